{{ config(
    materialized='incremental',
    unique_key=['flight_id', 'cabin', 'observation_date'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook=["{{ create_watermark_table() }}", "{{ create_vacated_days_table() }}"],
    post_hook=["{{ delete_vacated_rows('observation_date') }}", "{{ record_watermark() }}"],
) }}

with

{% if is_incremental() %}

changed_days as (

    -- The flight days that gained or changed a quote since this model's last build, and
    -- those a re-delivered quote left (a day left with no quote is deleted by a post-hook).
    select
        flight_id,
        cabin,
        observation_date
    from {{ ref('fct_fare_observation') }}
    where transformed_at > {{ last_built_at() }}

    union

    {{ vacated_since_last_build() }}

),

observations as (

    -- Every quote of those days, so that each is aggregated whole again.
    select all_observations.*
    from {{ ref('fct_fare_observation') }} as all_observations
    inner join changed_days
        on
        all_observations.flight_id = changed_days.flight_id
        and all_observations.cabin = changed_days.cabin
        and all_observations.observation_date = changed_days.observation_date

),

{% else %}

    observations as (

        select * from {{ ref('fct_fare_observation') }}

    ),

{% endif %}

daily_prices as (

    select
        flight_id,
        cabin,
        observation_date,
        min(carrier) as carrier,
        min(route) as route,
        min(departure_at) as departure_at,
        count(*) as quote_count,
        min(price_usd) as min_price_usd,
        avg(price_usd) as mean_price_usd,
        max(price_usd) as max_price_usd,
        -- The latest quote of the day that reported seats (seats_remaining is nullable).
        {{ latest_value('seats_remaining', 'observed_at', 'quote_id') }} as last_seats_remaining,
        min(capacity_seats) as capacity_seats

    from observations
    group by flight_id, cabin, observation_date

),

final as (

    select
        flight_id,
        cabin,
        observation_date,
        carrier,
        route,
        departure_at,
        quote_count,
        min_price_usd,
        mean_price_usd,
        max_price_usd,
        last_seats_remaining,
        capacity_seats,
        {{ load_factor('last_seats_remaining', 'capacity_seats') }} as load_factor,
        -- Stamped so that the data tests read only this build's rows (test_scope.sql).
        {{ run_started_at_ts() }} as transformed_at

    from daily_prices

)

select * from final
