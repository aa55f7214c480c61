with

source as (

    select * from {{ source('raw', 'fares') }}

),

currency_rates as (

    select * from {{ ref('currency_rates') }}

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

    from source

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
