with

observations as (

    select * from {{ ref('fct_fare_observation') }}

),

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
        min(capacity_seats) as capacity_seats

    from observations
    group by flight_id, cabin, observation_date

),

last_seats_of_day as (

    -- The latest quote of the day that reported seats (seats_remaining is nullable).
    select
        flight_id,
        cabin,
        observation_date,
        seats_remaining as last_seats_remaining

    from observations
    where seats_remaining is not null
    qualify row_number() over (
        partition by flight_id, cabin, observation_date
        order by observed_at desc, quote_id desc
    ) = 1

),

final as (

    select
        daily_prices.flight_id,
        daily_prices.cabin,
        daily_prices.observation_date,
        daily_prices.carrier,
        daily_prices.route,
        daily_prices.departure_at,
        daily_prices.quote_count,
        daily_prices.min_price_usd,
        daily_prices.mean_price_usd,
        daily_prices.max_price_usd,
        last_seats_of_day.last_seats_remaining,
        daily_prices.capacity_seats,
        {{ load_factor('last_seats_of_day.last_seats_remaining', 'daily_prices.capacity_seats') }}
            as load_factor

    from daily_prices
    left join last_seats_of_day
        on daily_prices.flight_id = last_seats_of_day.flight_id
        and daily_prices.cabin = last_seats_of_day.cabin
        and daily_prices.observation_date = last_seats_of_day.observation_date

)

select * from final
