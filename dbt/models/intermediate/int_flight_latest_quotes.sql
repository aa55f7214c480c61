{{ config(
    materialized='incremental',
    unique_key=['flight_id', 'cabin'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook="{{ create_watermark_table() }}",
    post_hook="{{ record_watermark() }}",
) }}

{#- Kept per flight so that dim_flight and ml_scoring_features read one row per flight
    instead of scanning every quote of the history for the latest one each day. -#}
{%- set quote_columns = [
    'quote_id', 'observed_at', 'flight_id', 'cabin', 'carrier', 'flight_number', 'origin',
    'destination', 'route', 'departure_at', 'stops', 'duration_minutes', 'seats_remaining',
] %}

with

{% if is_incremental() %}

new_quotes as (

    -- Quotes written since this model's last build (new, late, re-delivered or re-priced).
    select {{ quote_columns | join(', ') }}
    from {{ ref('int_fares_deduplicated') }}
    where transformed_at > {{ last_built_at() }}

),

touched_flights as (

    select distinct
        flight_id,
        cabin
    from new_quotes

),

moved_flights as (

    -- A re-delivery that moves a flight's stored latest quote to another instant or flight
    -- can make an older quote the latest: those flights are ranked again from all their
    -- quotes (a re-priced quote keeps its instant and does not count).
    select distinct
        stored.flight_id,
        stored.cabin
    from {{ this }} as stored
    inner join new_quotes
        on stored.quote_id = new_quotes.quote_id
    where
        stored.observed_at != new_quotes.observed_at
        or stored.flight_id != new_quotes.flight_id
        or stored.cabin != new_quotes.cabin

),

candidates as (

    select {{ quote_columns | join(', ') }} from new_quotes

    union all

    -- The latest quote kept so far of each flight the batch touches, unless re-delivered.
    select {% for column in quote_columns %}stored.{{ column }}{{ ", " if not loop.last }}{% endfor %}
    from {{ this }} as stored
    inner join touched_flights
        on
        stored.flight_id = touched_flights.flight_id
        and stored.cabin = touched_flights.cabin
    where not exists (
        select 1 from new_quotes where new_quotes.quote_id = stored.quote_id
    )

    union all

    select {% for column in quote_columns %}fares.{{ column }}{{ ", " if not loop.last }}{% endfor %}
    from {{ ref('int_fares_deduplicated') }} as fares
    inner join moved_flights
        on
        fares.flight_id = moved_flights.flight_id
        and fares.cabin = moved_flights.cabin

),

latest_quotes as (

    -- A quote can be a candidate twice (new, and again as a moved flight's quote).
    select *
    from candidates
    qualify row_number() over (
        partition by flight_id, cabin
        order by observed_at desc, quote_id desc
    ) = 1

)

{% else %}

    fares as {{ inline_cte() }} (

        select {{ quote_columns | join(', ') }} from {{ ref('int_fares_deduplicated') }}

    ),

    latest_quotes as (

        {{ latest_quote_per_flight('fares', quote_columns) }}

    )

{% endif %}

select
    {{ quote_columns | join(',\n    ') }},
    {{ run_started_at_ts() }} as transformed_at

from latest_quotes
