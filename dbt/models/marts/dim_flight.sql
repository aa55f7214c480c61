with

schedules as (

    select * from {{ ref('int_schedules_deduplicated') }}

),

quoted_flights as (

    -- Flights can be quoted without a schedule row: describe them by their latest quote.
    select * from {{ ref('int_flight_latest_quotes') }}

),

scheduled_flights as (

    -- A flight re-timed within its day keeps its flight_id: the latest published row wins.
    select *
    from schedules
    qualify row_number() over (
        partition by flight_id, cabin
        order by loaded_at desc, departure_at desc
    ) = 1

),

flight_cabins as (

    select
        flight_id,
        cabin
    from scheduled_flights
    union
    select
        flight_id,
        cabin
    from quoted_flights

),

final as (

    select
        flight_cabins.flight_id,
        flight_cabins.cabin,
        coalesce(scheduled_flights.carrier, quoted_flights.carrier) as carrier,
        coalesce(scheduled_flights.flight_number, quoted_flights.flight_number) as flight_number,
        coalesce(scheduled_flights.origin, quoted_flights.origin) as origin,
        coalesce(scheduled_flights.destination, quoted_flights.destination) as destination,
        coalesce(scheduled_flights.route, quoted_flights.route) as route,
        coalesce(scheduled_flights.departure_at, quoted_flights.departure_at) as departure_at,
        scheduled_flights.arrival_at,
        coalesce(
            scheduled_flights.scheduled_duration_minutes, quoted_flights.duration_minutes
        ) as duration_minutes,
        coalesce(scheduled_flights.stops, quoted_flights.stops) as stops,
        scheduled_flights.capacity_seats,
        scheduled_flights.flight_id is not null as is_scheduled

    from flight_cabins
    left join scheduled_flights
        on flight_cabins.flight_id = scheduled_flights.flight_id
        and flight_cabins.cabin = scheduled_flights.cabin
    left join quoted_flights
        on flight_cabins.flight_id = quoted_flights.flight_id
        and flight_cabins.cabin = quoted_flights.cabin

)

select * from final
