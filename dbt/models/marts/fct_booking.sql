with

bookings as (

    select * from {{ ref('int_bookings_deduplicated') }}

),

final as (

    select
        booking_id,
        booked_at,
        cast(booked_at as date) as booking_date,
        flight_id,
        carrier,
        flight_number,
        origin,
        destination,
        route,
        departure_at,
        cabin,
        seats,
        price_paid_local,
        currency,
        price_paid_usd,
        seats * price_paid_usd as revenue_usd,
        {{ days_to_departure('booked_at', 'departure_at') }} as days_to_departure

    from bookings

)

select * from final
