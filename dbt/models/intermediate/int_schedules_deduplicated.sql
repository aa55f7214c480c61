with

schedules as (

    select * from {{ ref('stg_raw__schedules') }}

),

latest_publications as (

    -- Schedules are re-published: the latest load of a flight leg and cabin wins.
    select *
    from schedules
    qualify row_number() over (
        partition by carrier, flight_number, departure_at, cabin
        order by loaded_at desc, source_file desc
    ) = 1

)

select
    flight_id,
    carrier,
    flight_number,
    origin,
    destination,
    route,
    departure_at,
    arrival_at,
    scheduled_duration_minutes,
    cabin,
    stops,
    capacity_seats,
    source_file,
    loaded_at

from latest_publications
