-- Every history feature looks strictly backwards from the quote's observed_at, so a row
-- never sees its own price or anything observed at the same instant or later.

with

observations as {{ inline_cte() }} (

    select * from {{ ref('fct_fare_observation') }}

),

flight_instants as (

    -- Quotes at one instant are not earlier than each other; the highest quote_id
    -- stands for the instant when a single "last price" is needed.
    select
        flight_id,
        cabin,
        observed_at,
        count(*) as quote_count,
        sum(price_usd) as price_sum_usd,
        {{ latest_value('price_usd', 'observed_at', 'quote_id') }} as closing_price_usd

    from observations
    group by flight_id, cabin, observed_at

),

flight_history as (

    -- History up to the previous instant: frames end one row before the current instant.
    select
        flight_id,
        cabin,
        observed_at,
        sum(quote_count) over (
            partition by flight_id, cabin
            order by observed_at
            rows between unbounded preceding and 1 preceding
        ) as prior_quote_count,
        sum(price_sum_usd) over (
            partition by flight_id, cabin
            order by observed_at
            rows between unbounded preceding and 1 preceding
        ) as prior_price_sum_usd,
        lag(closing_price_usd) over (
            partition by flight_id, cabin
            order by observed_at
        ) as last_price_usd

    from flight_instants

),

route_cabin_days as (

    select
        route,
        cabin,
        observation_date,
        count(*) as quote_count,
        sum(price_usd) as price_sum_usd

    from observations
    group by route, cabin, observation_date

),

route_cabin_trailing_7d as (

    -- The 7 whole days before the observation's date; the date itself is excluded.
    select
        observed_days.route,
        observed_days.cabin,
        observed_days.observation_date,
        sum(earlier_days.price_sum_usd) / sum(earlier_days.quote_count)
            as route_cabin_mean_price_7d_usd

    from route_cabin_days as observed_days
    inner join route_cabin_days as earlier_days
        on observed_days.route = earlier_days.route
        and observed_days.cabin = earlier_days.cabin
        and earlier_days.observation_date
            >= {{ add_days('observed_days.observation_date', -7) }}
        and earlier_days.observation_date < observed_days.observation_date
    group by observed_days.route, observed_days.cabin, observed_days.observation_date

),

final as (

    select
        observations.quote_id,
        observations.observed_at,
        observations.flight_id,
        observations.carrier,
        observations.flight_number,
        observations.origin,
        observations.destination,
        observations.route,
        observations.cabin,
        observations.stops,
        observations.duration_minutes,
        observations.departure_at,
        cast(observations.days_to_departure as double) as days_to_departure,
        {{ departure_calendar_columns('observations.departure_at') }},
        observations.capacity_seats as capacity,
        observations.seats_remaining,
        observations.load_factor,
        cast(coalesce(flight_history.prior_quote_count, 0) as bigint) as prior_quote_count,
        cast(
            flight_history.prior_price_sum_usd / nullif(flight_history.prior_quote_count, 0)
            as double
        ) as prior_price_mean_usd,
        cast(flight_history.last_price_usd as double) as last_price_usd,
        cast(route_cabin_trailing_7d.route_cabin_mean_price_7d_usd as double)
            as route_cabin_mean_price_7d_usd,
        cast(observations.price_usd as double) as price_usd

    from observations
    inner join flight_history
        on observations.flight_id = flight_history.flight_id
        and observations.cabin = flight_history.cabin
        and observations.observed_at = flight_history.observed_at
    left join route_cabin_trailing_7d
        on observations.route = route_cabin_trailing_7d.route
        and observations.cabin = route_cabin_trailing_7d.cabin
        and observations.observation_date = route_cabin_trailing_7d.observation_date

)

select * from final
