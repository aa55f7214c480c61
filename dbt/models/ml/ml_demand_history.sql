-- The seller's sales history, the grain demand is learnt at (flightprice.revenue.fitted):
-- per flight, cabin and sale day with a quote, the price on offer, the seats booked at it,
-- the seats left before the day, and the cheapest competitor's fare. The market fare the
-- price is compared with is the fare model's, added in Python (as the API prices).

with

quotes as (

    select * from {{ ref('fct_fare_observation') }}

),

bookings as (

    select * from {{ ref('fct_flight_load_daily') }}

),

offers as (

    -- The seller's offer of a day: its quotes of that flight and cabin, averaged.
    select
        flight_id,
        cabin,
        observation_date as sale_date,
        min(carrier) as carrier,
        min(flight_number) as flight_number,
        min(origin) as origin,
        min(destination) as destination,
        min(route) as route,
        min(departure_at) as departure_at,
        min(departure_date) as departure_date,
        min(stops) as stops,
        min(duration_minutes) as duration_minutes,
        min(observed_at) as first_observed_at,
        count(*) as quotes,
        avg(days_to_departure) as days_to_departure,
        max(capacity_seats) as capacity_seats,
        avg(price_usd) as price_usd

    from quotes
    group by flight_id, cabin, observation_date

),

competitors as (

    -- The cheapest other carrier's offer on the same route, cabin and departure date that day.
    select
        offers.flight_id,
        offers.cabin,
        offers.sale_date,
        min(rivals.price_usd) as competitor_fare_usd

    from offers
    inner join offers as rivals
        on
        offers.route = rivals.route
        and offers.cabin = rivals.cabin
        and offers.departure_date = rivals.departure_date
        and offers.sale_date = rivals.sale_date
        and offers.carrier <> rivals.carrier
    group by offers.flight_id, offers.cabin, offers.sale_date

),

sold_before as (

    -- Seats booked on earlier days: what the day's sales could not have.
    select
        offers.flight_id,
        offers.cabin,
        offers.sale_date,
        sum(bookings.seats_booked) as seats_booked

    from offers
    inner join bookings
        on
        offers.flight_id = bookings.flight_id
        and offers.cabin = bookings.cabin
        and offers.sale_date > bookings.booking_date
    group by offers.flight_id, offers.cabin, offers.sale_date

),

final as (

    select
        offers.flight_id,
        offers.cabin,
        offers.sale_date,
        offers.carrier,
        offers.flight_number,
        offers.origin,
        offers.destination,
        offers.route,
        offers.departure_at,
        offers.stops,
        offers.duration_minutes,
        offers.first_observed_at,
        offers.quotes,
        offers.days_to_departure,
        offers.capacity_seats,
        offers.capacity_seats - coalesce(sold_before.seats_booked, 0) as seats_left,
        cast(offers.price_usd as double) as price_usd,
        cast(coalesce(today.seats_booked, 0) as integer) as seats_booked,
        cast(competitors.competitor_fare_usd as double) as competitor_fare_usd

    from offers
    left join bookings as today
        on
        offers.flight_id = today.flight_id
        and offers.cabin = today.cabin
        and offers.sale_date = today.booking_date
    left join sold_before
        on
        offers.flight_id = sold_before.flight_id
        and offers.cabin = sold_before.cabin
        and offers.sale_date = sold_before.sale_date
    left join competitors
        on
        offers.flight_id = competitors.flight_id
        and offers.cabin = competitors.cabin
        and offers.sale_date = competitors.sale_date

)

select * from final
