{{ config(
    materialized='incremental',
    unique_key='quote_id',
    incremental_strategy='replace_versions',
    versions_since='fact_versions',
    on_schema_change='append_new_columns',
    pre_hook=[
        "{{ create_watermark_table() }}",
        "{{ create_vacated_days_table() }}",
        "{{ record_vacated_days() }}",
        "{{ prune_vacated_days(['fct_flight_daily', 'ml_demand_history']) }}",
    ],
    post_hook="{{ record_watermark() }}",
) }}

-- Read only by an incremental run (re-published flights): declared for dbt's graph.
-- depends_on: {{ ref('int_schedules_deduplicated') }}
-- The pre-hook records the flight days re-delivered quotes leave (macros/incremental.sql);
-- the delete reads only the rows their earlier versions may be in (macros/replaced_versions.sql).

with

{% if is_incremental() %}

fares as (

    -- Quotes written since this model's last build, and the quotes of re-published flights
    -- (a new schedule publication can change a flight's capacity, read from dim_flight).
    {{ fact_fares_to_write() }}

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
