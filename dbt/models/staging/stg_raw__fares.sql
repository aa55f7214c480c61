with

source as {{ inline_cte() }} (

    select * from {{ source('raw', 'fares') }}

),

currency_rates as (

    select * from {{ ref('currency_rates') }}

),

repeated_quotes as (

    select quote_id
    from source
    group by quote_id
    having count(*) > 1

),

latest_deliveries as (

    -- A re-sent file repeats quotes: keep the most recently loaded version of each.
    -- Only repeated quotes are ranked; the rest pass straight through, which spares a
    -- sort of every raw row (the costliest step of a build at 10M fares).
    select source.*
    from source
    left join repeated_quotes
        on source.quote_id = repeated_quotes.quote_id
    where repeated_quotes.quote_id is null

    union all

    select source.*
    from source
    inner join repeated_quotes
        on source.quote_id = repeated_quotes.quote_id
    qualify row_number() over (
        partition by source.quote_id
        order by source._loaded_at desc, source._source_file desc
    ) = 1

),

renamed as (

    select
        cast(quote_id as varchar) as quote_id,
        cast(observed_at as timestamp) as observed_at,
        upper(trim(carrier)) as carrier,
        upper(trim(flight_number)) as flight_number,
        upper(trim(origin)) as origin,
        upper(trim(destination)) as destination,
        cast(departure_at as timestamp) as departure_at,
        lower(trim(cabin)) as cabin,
        cast(stops as integer) as stops,
        cast(duration_minutes as integer) as duration_minutes,
        cast(seats_remaining as integer) as seats_remaining,
        cast(price as double) as price_local,
        upper(trim(currency)) as currency,
        _source_file as source_file,
        cast(_loaded_at as timestamp) as loaded_at

    from latest_deliveries

),

converted as (

    select
        renamed.*,
        {{ flight_id('renamed.carrier', 'renamed.flight_number', 'renamed.departure_at') }}
            as flight_id,
        renamed.origin || '-' || renamed.destination as route,
        renamed.price_local * currency_rates.usd_per_unit as price_usd

    from renamed
    -- Left join: an unknown currency leaves price_usd null and fails its not_null test.
    left join currency_rates
        on renamed.currency = upper(currency_rates.currency)

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
