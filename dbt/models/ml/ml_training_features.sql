-- Each fare quote as the price request it answers (what was known at observed_at) and the
-- price quoted. Model features are derived from these columns in Python
-- (flightprice.features), by the code the API and batch scoring run.

{{ config(
    materialized='incremental',
    unique_key='quote_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook="{{ create_watermark_table() }}",
    post_hook="{{ record_watermark() }}",
) }}

with

observations as (

    select * from {{ ref('fct_fare_observation') }}
    {% if is_incremental() -%}
        -- Only the quotes written since this model's last build.
        where transformed_at > {{ last_built_at() }}
    {%- endif %}

),

final as (

    select
        quote_id,
        observed_at,
        flight_id,
        carrier,
        flight_number,
        origin,
        destination,
        cabin,
        stops,
        duration_minutes,
        departure_at,
        capacity_seats as capacity,
        seats_remaining,
        cast(price_usd as double) as price_usd,
        -- Stamped so that the data tests read only this build's rows (test_scope.sql); not a
        -- request column: training selects the contract's columns by name.
        {{ run_started_at_ts() }} as transformed_at

    from observations

)

select * from final
