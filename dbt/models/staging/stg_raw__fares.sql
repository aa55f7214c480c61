with

source as (

    select * from {{ source('raw', 'fares') }}

),

renamed as (

    select
        cast(quote_id as varchar) as quote_id,
        cast(observed_at as timestamp) as observed_at,
        upper(trim(carrier)) as carrier,
        upper(trim(flight_number)) as flight_number,
        upper(trim(origin)) as origin,
        upper(trim(destination)) as destination,
        cast(departure_at as timestamp) as departure_at,
        lower(trim(cabin)) as cabin,
        cast(stops as integer) as stops,
        cast(duration_minutes as integer) as duration_minutes,
        cast(seats_remaining as integer) as seats_remaining,
        cast(price as double) as price_local,
        upper(trim(currency)) as currency,
        _source_file as source_file,
        cast(_loaded_at as timestamp) as loaded_at

    from source

)

select
    quote_id,
    observed_at,
    {{ flight_id('carrier', 'flight_number', 'departure_at') }} as flight_id,
    carrier,
    flight_number,
    origin,
    destination,
    origin || '-' || destination as route,
    departure_at,
    cabin,
    stops,
    duration_minutes,
    seats_remaining,
    price_local,
    currency,
    source_file,
    loaded_at

from renamed
