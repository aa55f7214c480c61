with

source as (

    select * from {{ source('raw', 'schedules') }}

),

renamed as (

    select
        upper(trim(carrier)) as carrier,
        upper(trim(flight_number)) as flight_number,
        upper(trim(origin)) as origin,
        upper(trim(destination)) as destination,
        cast(departure_at as timestamp) as departure_at,
        cast(arrival_at as timestamp) as arrival_at,
        lower(trim(cabin)) as cabin,
        cast(stops as integer) as stops,
        cast(capacity as integer) as capacity_seats,
        _source_file as source_file,
        cast(_loaded_at as timestamp) as loaded_at

    from source

)

select
    {{ flight_id('carrier', 'flight_number', 'departure_at') }} as flight_id,
    carrier,
    flight_number,
    origin,
    destination,
    origin || '-' || destination as route,
    departure_at,
    arrival_at,
    {{ minutes_between('departure_at', 'arrival_at') }} as scheduled_duration_minutes,
    cabin,
    stops,
    capacity_seats,
    source_file,
    loaded_at

from renamed
