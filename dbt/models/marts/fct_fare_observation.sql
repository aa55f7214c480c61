{{ config(
    materialized='incremental',
    unique_key='quote_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook=[
        "{{ create_watermark_table() }}",
        "{{ create_vacated_days_table() }}",
        "{{ record_vacated_days() }}",
    ],
    post_hook="{{ record_watermark() }}",
) }}

-- Read only by an incremental run (re-published flights): declared for dbt's graph.
-- depends_on: {{ ref('int_schedules_deduplicated') }}
-- The pre-hook records the flight days re-delivered quotes leave (macros/incremental.sql).

with

{% if is_incremental() %}

republished_flights as (

    -- A new schedule publication can change a flight's capacity, read from dim_flight.
    select distinct flight_id
    from {{ ref('int_schedules_deduplicated') }}
    where transformed_at > {{ last_built_at() }}

),

fares as (

    -- Quotes written since this model's last build, and the quotes of re-published flights.
    select *
    from {{ ref('int_fares_deduplicated') }}
    where
        transformed_at > {{ last_built_at() }}
        or flight_id in (select republished_flights.flight_id from republished_flights)

),

{% else %}

    fares as (

        select * from {{ ref('int_fares_deduplicated') }}

    ),

{% endif %}

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
        fares.price_usd,
        {{ run_started_at_ts() }} as transformed_at

    from fares
    left join flights
        on fares.flight_id = flights.flight_id
        and fares.cabin = flights.cabin

)

select * from final
