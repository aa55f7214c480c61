with

bookings as (

    select * from {{ ref('stg_raw__bookings') }}

),

currency_rates as (

    select * from {{ ref('int_currency_rates') }}

),

latest_deliveries as (

    -- A re-sent file repeats bookings: keep the most recently loaded version of each.
    select *
    from bookings
    qualify row_number() over (
        partition by booking_id
        order by loaded_at desc, source_file desc
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

converted as (

    -- The rate in force on the booking date (ingest refuses a booking without one). Bookings
    -- are far fewer than fares: a range join on the rate periods is cheap here.
    select
        latest_deliveries.*,
        latest_deliveries.price_paid_local * rate_periods.rate_to_usd as price_paid_usd

    from latest_deliveries
    left join rate_periods
        on
        latest_deliveries.currency = rate_periods.currency
        and cast(latest_deliveries.booked_at as date) >= rate_periods.valid_from
        and (
            rate_periods.valid_until is null
            or cast(latest_deliveries.booked_at as date) < rate_periods.valid_until
        )

)

select
    booking_id,
    booked_at,
    flight_id,
    carrier,
    flight_number,
    origin,
    destination,
    route,
    departure_at,
    cabin,
    seats,
    price_paid_local,
    currency,
    price_paid_usd,
    source_file,
    loaded_at

from converted
