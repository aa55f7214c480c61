with

fares as {{ inline_cte() }} (

    select * from {{ ref('stg_raw__fares') }}

),

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
    loaded_at

from converted
