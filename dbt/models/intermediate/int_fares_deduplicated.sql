with

fares as {{ inline_cte() }} (

    select * from {{ ref('stg_raw__fares') }}

),

currency_rates as (

    select * from {{ ref('currency_rates') }}

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

converted as (

    -- Converted after the de-duplication, so each quote is joined once, not per delivery.
    select
        latest_deliveries.*,
        latest_deliveries.price_local * currency_rates.usd_per_unit as price_usd

    from latest_deliveries
    -- Left join: an unknown currency leaves price_usd null and fails its not_null test.
    left join currency_rates
        on latest_deliveries.currency = upper(currency_rates.currency)

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
