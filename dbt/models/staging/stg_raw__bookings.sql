with

source as (

    select * from {{ source('raw', 'bookings') }}

),

renamed as (

    select
        cast(booking_id as varchar) as booking_id,
        cast(booked_at as timestamp) as booked_at,
        upper(trim(carrier)) as carrier,
        upper(trim(flight_number)) as flight_number,
        upper(trim(origin)) as origin,
        upper(trim(destination)) as destination,
        cast(departure_at as timestamp) as departure_at,
        lower(trim(cabin)) as cabin,
        cast(seats as integer) as seats,
        cast(price_paid as double) as price_paid_local,
        upper(trim(currency)) as currency,
        _source_file as source_file,
        cast(_loaded_at as timestamp) as loaded_at

    from source

)

select
    booking_id,
    booked_at,
    {{ flight_id('carrier', 'flight_number', 'departure_at') }} as flight_id,
    carrier,
    flight_number,
    origin,
    destination,
    origin || '-' || destination as route,
    departure_at,
    cabin,
    seats,
    price_paid_local,
    currency,
    source_file,
    loaded_at

from renamed
