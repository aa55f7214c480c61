-- Each flight and cabin still on sale, described as if quoted at the data clock as_of:
-- the same features as ml_training_features, computed only from what was known then.

with

observations as {{ inline_cte() }} (

    select * from {{ ref('fct_fare_observation') }}

),

flights as (

    select * from {{ ref('dim_flight') }}

),

data_clock as (

    {% if var('scoring_as_of') is none -%}
    select max(observed_at) as as_of from observations
    {%- else -%}
    select cast('{{ var("scoring_as_of") }}' as timestamp) as as_of
    {%- endif %}

),

known_quotes as {{ inline_cte() }} (

    -- Quotes up to and including the clock: the latest one supplies seats_remaining.
    -- Price history is strictly before the clock, as for a training row.
    select
        observations.*,
        observations.observed_at < data_clock.as_of as is_before_clock

    from observations
    cross join data_clock
    where observations.observed_at <= data_clock.as_of

),

flight_history as (

    -- One pass over the quotes: each flight's latest known instant (to find its latest
    -- quote below) and its price history strictly before the clock.
    select
        flight_id,
        cabin,
        max(observed_at) as latest_observed_at,
        sum(case when is_before_clock then 1 else 0 end) as prior_quote_count,
        avg(case when is_before_clock then price_usd end) as prior_price_mean_usd,
        {{ latest_value('case when is_before_clock then price_usd end', 'observed_at', 'quote_id') }}
            as last_price_usd

    from known_quotes
    group by flight_id, cabin

),

latest_quotes as (

    -- The highest quote_id at each flight's latest instant: joining to that instant first
    -- leaves the window a handful of rows to rank instead of every quote.
    select known_quotes.*
    from known_quotes
    inner join flight_history
        on known_quotes.flight_id = flight_history.flight_id
        and known_quotes.cabin = flight_history.cabin
        and known_quotes.observed_at = flight_history.latest_observed_at
    qualify row_number() over (
        partition by known_quotes.flight_id, known_quotes.cabin
        order by known_quotes.quote_id desc
    ) = 1

),

route_cabin_trailing_7d as (

    -- The 7 whole days before the clock's date.
    select
        known_quotes.route,
        known_quotes.cabin,
        avg(known_quotes.price_usd) as route_cabin_mean_price_7d_usd

    from known_quotes
    cross join data_clock
    where known_quotes.observation_date >= {{ add_days('data_clock.as_of', -7) }}
        and known_quotes.observation_date < cast(data_clock.as_of as date)
    group by known_quotes.route, known_quotes.cabin

),

flights_on_sale as (

    -- Scheduled flights, or flights quoted by the clock, that have not yet departed.
    -- The latest known quote describes the flight as a training row's own quote would.
    select
        data_clock.as_of,
        flights.flight_id,
        flights.cabin,
        coalesce(latest_quotes.carrier, flights.carrier) as carrier,
        coalesce(latest_quotes.flight_number, flights.flight_number) as flight_number,
        coalesce(latest_quotes.origin, flights.origin) as origin,
        coalesce(latest_quotes.destination, flights.destination) as destination,
        coalesce(latest_quotes.route, flights.route) as route,
        coalesce(latest_quotes.stops, flights.stops) as stops,
        coalesce(latest_quotes.duration_minutes, flights.duration_minutes) as duration_minutes,
        coalesce(latest_quotes.departure_at, flights.departure_at) as departure_at,
        flights.capacity_seats,
        latest_quotes.seats_remaining

    from flights
    cross join data_clock
    left join latest_quotes
        on flights.flight_id = latest_quotes.flight_id
        and flights.cabin = latest_quotes.cabin
    where (flights.is_scheduled or latest_quotes.quote_id is not null)
        and coalesce(latest_quotes.departure_at, flights.departure_at) > data_clock.as_of

),

final as (

    select
        flights_on_sale.as_of as observed_at,
        flights_on_sale.flight_id,
        flights_on_sale.carrier,
        flights_on_sale.flight_number,
        flights_on_sale.origin,
        flights_on_sale.destination,
        flights_on_sale.route,
        flights_on_sale.cabin,
        flights_on_sale.stops,
        flights_on_sale.duration_minutes,
        flights_on_sale.departure_at,
        cast({{ days_to_departure('flights_on_sale.as_of', 'flights_on_sale.departure_at') }}
            as double) as days_to_departure,
        {{ departure_calendar_columns('flights_on_sale.departure_at') }},
        flights_on_sale.capacity_seats as capacity,
        flights_on_sale.seats_remaining,
        {{ load_factor('flights_on_sale.seats_remaining', 'flights_on_sale.capacity_seats') }}
            as load_factor,
        cast(coalesce(flight_history.prior_quote_count, 0) as bigint) as prior_quote_count,
        cast(flight_history.prior_price_mean_usd as double) as prior_price_mean_usd,
        cast(flight_history.last_price_usd as double) as last_price_usd,
        cast(route_cabin_trailing_7d.route_cabin_mean_price_7d_usd as double)
            as route_cabin_mean_price_7d_usd,
        flights_on_sale.as_of

    from flights_on_sale
    left join flight_history
        on flights_on_sale.flight_id = flight_history.flight_id
        and flights_on_sale.cabin = flight_history.cabin
    left join route_cabin_trailing_7d
        on flights_on_sale.route = route_cabin_trailing_7d.route
        and flights_on_sale.cabin = route_cabin_trailing_7d.cabin

)

select * from final
