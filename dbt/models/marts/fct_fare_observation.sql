with

fares as (

    select * from {{ ref('int_fares_deduplicated') }}

),

flights as (

    select * from {{ ref('dim_flight') }}

),

final as (

    select
        fares.quote_id,
        fares.observed_at,
        cast(fares.observed_at as date) as observation_date,
        fares.flight_id,
        fares.carrier,
        fares.flight_number,
        fares.origin,
        fares.destination,
        fares.route,
        fares.departure_at,
        cast(fares.departure_at as date) as departure_date,
        fares.cabin,
        fares.stops,
        fares.duration_minutes,
        {{ days_to_departure('fares.observed_at', 'fares.departure_at') }} as days_to_departure,
        fares.seats_remaining,
        -- Capacity comes from the schedule only: null for a flight quoted without one.
        flights.capacity_seats,
        {{ load_factor('fares.seats_remaining', 'flights.capacity_seats') }} as load_factor,
        fares.price_local,
        fares.currency,
        fares.price_usd

    from fares
    left join flights
        on fares.flight_id = flights.flight_id
        and fares.cabin = flights.cabin

)

select * from final
