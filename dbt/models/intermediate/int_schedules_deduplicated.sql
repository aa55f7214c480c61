{{ config(
    materialized='incremental',
    unique_key=['carrier', 'flight_number', 'departure_at', 'cabin'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
) }}

{%- set schedule_columns = [
    'flight_id', 'carrier', 'flight_number', 'origin', 'destination', 'route',
    'departure_at', 'arrival_at', 'scheduled_duration_minutes', 'cabin', 'stops',
    'capacity_seats', 'source_file', 'loaded_at',
] %}

with

{% if is_incremental() %}

load_cutoff as (

    {{ load_cutoff() }}

),

processed_loads as (

    -- Loads an earlier run already read whole, skipped as in int_fares_deduplicated.
    {{ processed_loads() }}

),

new_publications as (

    {{ unread_loads(ref('stg_raw__schedules')) }}

),

published_legs as (

    select distinct
        carrier,
        flight_number,
        departure_at,
        cabin
    from new_publications

),

stored_publications as (

    -- The publication already kept of each leg re-published, ranked again beside the new.
    select {% for column in schedule_columns %}stored.{{ column }}{{ ", " if not loop.last }}{% endfor %}
    from {{ this }} as stored
    inner join published_legs
        on
        stored.carrier = published_legs.carrier
        and stored.flight_number = published_legs.flight_number
        and stored.departure_at = published_legs.departure_at
        and stored.cabin = published_legs.cabin

),

stored_flights as (

    -- The publication dim_flight reads (its latest load; ties: the later departure) of each
    -- flight and cabin re-published: the capacity the fare fact holds for it, and when that
    -- last changed.
    select
        stored.flight_id,
        stored.cabin,
        stored.capacity_seats,
        {{ stored_capacity_changed_at('stored') }} as capacity_changed_at
    from {{ this }} as stored
    inner join (select distinct flight_id, cabin from new_publications) as published_flights
        on
        stored.flight_id = published_flights.flight_id
        and stored.cabin = published_flights.cabin
    qualify row_number() over (
        partition by stored.flight_id, stored.cabin
        order by stored.loaded_at desc, stored.departure_at desc
    ) = 1

),

schedules as (

    select {{ schedule_columns | join(', ') }} from new_publications
    union all
    select {{ schedule_columns | join(', ') }} from stored_publications

),

{% else %}

    schedules as (

        select * from {{ ref('stg_raw__schedules') }}

    ),

{% endif %}

latest_publications as (

    -- Schedules are re-published: the latest load of a flight leg and cabin wins.
    select *
    from schedules
    qualify row_number() over (
        partition by carrier, flight_number, departure_at, cabin
        order by loaded_at desc, source_file desc
    ) = 1

)

{%- if is_incremental() %},

changed as (

    -- The lookback re-reads publications already processed: write only the legs whose
    -- kept publication changed, so that the models downstream redo nothing else.
    select latest_publications.*
    from latest_publications
    where not exists (
        select 1
        from stored_publications
        where
            stored_publications.carrier = latest_publications.carrier
            and stored_publications.flight_number = latest_publications.flight_number
            and stored_publications.departure_at = latest_publications.departure_at
            and stored_publications.cabin = latest_publications.cabin
            and stored_publications.loaded_at = latest_publications.loaded_at
            and stored_publications.source_file = latest_publications.source_file
    )

),

stamped as (

    -- Now when the leg is new or its flight's capacity differs from the one stored (compared
    -- with the flight's publication, not the leg's: a flight re-timed back to an earlier leg
    -- takes that leg's capacity), else the stamp carried over (macros/capacity_changes.sql).
    select
        changed.*,
        case
            when
                stored_publications.carrier is null
                or stored_flights.flight_id is null
                or changed.capacity_seats is distinct from stored_flights.capacity_seats
                then {{ run_started_at_ts() }}
            else stored_flights.capacity_changed_at
        end as capacity_changed_at
    from changed
    left join stored_publications
        on
        changed.carrier = stored_publications.carrier
        and changed.flight_number = stored_publications.flight_number
        and changed.departure_at = stored_publications.departure_at
        and changed.cabin = stored_publications.cabin
    left join stored_flights
        on
        changed.flight_id = stored_flights.flight_id
        and changed.cabin = stored_flights.cabin

)

{%- endif %}

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
    loaded_at,
    {{ run_started_at_ts() }} as transformed_at,
    -- A full rebuild cannot tell: null, which the fact reads as changed.
    {% if is_incremental() %}capacity_changed_at{% else %}cast(null as timestamp) as capacity_changed_at{% endif %}

from {% if is_incremental() %}stamped{% else %}latest_publications{% endif %}
