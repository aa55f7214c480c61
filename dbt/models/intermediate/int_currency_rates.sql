with

shipped_rates as (

    select
        cast(date as date) as rate_date,
        upper(trim(currency)) as currency,
        cast(rate_to_usd as double) as rate_to_usd

    from {{ ref('currency_rates') }}

),

delivered_rates as (

    select * from {{ ref('stg_raw__currency_rates') }}

),

latest_deliveries as (

    -- A re-sent rate keeps its latest load, as a re-sent fare does.
    select
        rate_date,
        currency,
        rate_to_usd
    from delivered_rates
    qualify row_number() over (
        partition by rate_date, currency
        order by loaded_at desc, source_file desc
    ) = 1

),

shipped_only as (

    -- The feed wins over the shipped history for the same date and currency.
    select shipped_rates.*
    from shipped_rates
    left join latest_deliveries
        on
        shipped_rates.rate_date = latest_deliveries.rate_date
        and shipped_rates.currency = latest_deliveries.currency
    where latest_deliveries.currency is null

),

dated_rates as (

    select
        rate_date,
        currency,
        rate_to_usd,
        'feed' as rate_source
    from latest_deliveries

    union all

    select
        rate_date,
        currency,
        rate_to_usd,
        'seed' as rate_source
    from shipped_only

)

select
    rate_date,
    currency,
    rate_to_usd,
    rate_source

from dated_rates
