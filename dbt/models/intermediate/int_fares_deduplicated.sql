{{ config(
    materialized='incremental',
    unique_key='quote_id',
    incremental_strategy='replace_versions',
    versions_since='versions_in_batch',
    on_schema_change='append_new_columns',
    post_hook="{{ backfill_quote_keys() }}",
) }}

{%- set fare_columns = [
    'quote_id', 'observed_at', 'flight_id', 'carrier', 'flight_number', 'origin',
    'destination', 'route', 'departure_at', 'cabin', 'stops', 'duration_minutes',
    'seats_remaining', 'price_local', 'currency', 'source_file', 'loaded_at',
] %}

-- Read only by an incremental run (new rates re-price stored fares): declared for dbt's graph.
-- depends_on: {{ ref('stg_raw__currency_rates') }}

with

{% if is_incremental() %}

load_cutoff as (

    {{ load_cutoff() }}

),

processed_loads as (

    {{ processed_loads() }}

),

new_fares as (

    -- Raw rows loaded since the last run, less the loads already read (macros/incremental.sql).
    {{ unread_loads(ref('stg_raw__fares')) }}

),

new_rates as (

    -- A rate delivered since the last run re-prices the stored fares of its currency
    -- observed on or after its date.
    select
        staged_rates.currency,
        min(staged_rates.rate_date) as rate_from
    from {{ ref('stg_raw__currency_rates') }} as staged_rates
    cross join load_cutoff
    where staged_rates.loaded_at >= load_cutoff.loaded_from
    group by staged_rates.currency

),

stored_by_key as {{ materialized_cte() }} (

    -- The stored rows keyed like a new quote: a join on the integer quote_key, not on the
    -- text of every stored quote_id (macros/quote_keys.sql).
    {{ stored_rows_keyed_like('new_fares') }}

),

stored_fares as (

    -- The version already kept of each quote the batch touches: ranked again beside its
    -- re-deliveries, it keeps the result equal to a rebuild from all history.
    select
        {{ fare_columns | join(', ') }},
        price_usd as stored_price_usd,
        {{ stored_earliest_version_at() }} as stored_earliest_version_at
    from stored_by_key
    where quote_id in (select new_fares.quote_id from new_fares)

    union all

    select
        {% for column in fare_columns %}stored.{{ column }}, {% endfor %}
        stored.price_usd as stored_price_usd,
        {{ stored_earliest_version_at('stored') }} as stored_earliest_version_at
    from {{ this }} as stored
    inner join new_rates
        on
        stored.currency = new_rates.currency
        and cast(stored.observed_at as date) >= new_rates.rate_from

),

fares as (

    select {{ fare_columns | join(', ') }} from new_fares
    union all
    select {{ fare_columns | join(', ') }} from stored_fares

),

{% else %}

    fares as {{ inline_cte() }} (

        select * from {{ ref('stg_raw__fares') }}

    ),

{% endif %}

currency_rates as (

    select * from {{ ref('int_currency_rates') }}

),

repeated_quotes as (

    select quote_id
    from fares
    group by quote_id
    having count(*) > 1

),

latest_deliveries as (

    -- A re-sent file repeats quotes: keep the most recently loaded version of each.
    -- Only repeated quotes are ranked; the rest pass straight through, which spares a
    -- sort of every raw row (the costliest step of a build at 10M fares).
    select fares.*
    from fares
    left join repeated_quotes
        on fares.quote_id = repeated_quotes.quote_id
    where repeated_quotes.quote_id is null

    union all

    select fares.*
    from fares
    inner join repeated_quotes
        on fares.quote_id = repeated_quotes.quote_id
    qualify row_number() over (
        partition by fares.quote_id
        order by fares.loaded_at desc, fares.source_file desc
    ) = 1

),

rate_periods as (

    select
        currency,
        rate_to_usd,
        rate_date as valid_from,
        lead(rate_date) over (partition by currency order by rate_date) as valid_until

    from currency_rates

),

calendar as (

    {{ date_spine(
        'select min(valid_from) from rate_periods',
        'select max(cast(observed_at as date)) from fares'
    ) }}

),

daily_rates as (

    -- The as-of join, done once on the small tables: each currency's rate in force each
    -- day (that of the nearest rate_date on or before it). Fares then join it on equality,
    -- which both warehouses run as a hash join (DuckDB's ASOF JOIN and Snowflake's
    -- MATCH_CONDITION differ in syntax, and a range join per fare would scan every rate).
    select
        rate_periods.currency,
        calendar.date_day as rate_day,
        rate_periods.rate_to_usd

    from calendar
    inner join rate_periods
        on
        calendar.date_day >= rate_periods.valid_from
        and (rate_periods.valid_until is null or calendar.date_day < rate_periods.valid_until)

),

converted as (

    -- Converted after the de-duplication, so each quote is joined once, not per delivery.
    select
        latest_deliveries.*,
        latest_deliveries.price_local * daily_rates.rate_to_usd as price_usd

    from latest_deliveries
    -- Left join: a currency with no rate on or before the observation date leaves
    -- price_usd null and fails its not_null test (ingest refuses such fares).
    left join daily_rates
        on
        latest_deliveries.currency = daily_rates.currency
        and cast(latest_deliveries.observed_at as date) = daily_rates.rate_day

)

{%- if is_incremental() %},

changed as (

    -- The lookback re-reads rows already processed: write only the quotes whose kept
    -- delivery or USD price changed, so that the models downstream redo nothing else.
    select converted.*
    from converted
    where not exists (
        select 1
        from stored_fares
        where
            stored_fares.quote_id = converted.quote_id
            and stored_fares.loaded_at = converted.loaded_at
            and stored_fares.source_file = converted.source_file
            and stored_fares.stored_price_usd = converted.price_usd
    )

),

stored_versions as (

    -- Changed quotes with a stored version keep its earliest_version_at: the rows of their
    -- earlier versions, here and downstream, were written at or after it (the delete of
    -- the replace_versions strategy reads from there on, macros/replaced_versions.sql).
    -- A quote's rows in stored_fares are copies of its one stored row.
    select
        quote_id as stored_quote_id,
        min(stored_earliest_version_at) as earliest_version_at
    from stored_fares
    group by quote_id

)

{%- endif %},

written as (

    {%- if is_incremental() %}
    -- A quote new to this table: this row is its first version (it has none downstream).
    select
        changed.*,
        case
            when stored_versions.stored_quote_id is null then {{ run_started_at_ts() }}
            else stored_versions.earliest_version_at
        end as earliest_version_at
    from changed
    left join stored_versions
        on changed.quote_id = stored_versions.stored_quote_id
    {%- else %}
        -- A rebuild cannot tell how old the rows downstream are (they may predate it).
        select
            converted.*,
            cast(null as timestamp) as earliest_version_at
        from converted
    {%- endif %}

)

select
    quote_id,
    observed_at,
    flight_id,
    carrier,
    flight_number,
    origin,
    destination,
    route,
    departure_at,
    cabin,
    stops,
    duration_minutes,
    seats_remaining,
    price_local,
    currency,
    price_usd,
    source_file,
    loaded_at,
    {{ run_started_at_ts() }} as transformed_at,
    earliest_version_at,
    {{ integer_key('quote_id') }} as quote_key

from written
