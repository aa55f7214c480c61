"""The simulated customers: seeded, Poisson by days to departure, two segments, capacity."""

from __future__ import annotations

import numpy as np
import pytest

from flightprice.revenue import MarketParams, build_market, draw_customers, sell_day


@pytest.fixture(scope="module")
def market():
    return build_market(200, seed=3)


def test_same_seed_same_market_and_customers(market):
    again = build_market(200, seed=3)
    np.testing.assert_array_equal(market.competitor_fare, again.competitor_fare)
    a, b = draw_customers(market, 11), draw_customers(again, 11)
    np.testing.assert_array_equal(a.reservation, b.reservation)
    np.testing.assert_array_equal(a.day_start, b.day_start)
    other = draw_customers(market, 12)
    assert len(other) != len(a) or not np.array_equal(other.reservation, a.reservation)


def test_arrivals_follow_the_rate_and_business_comes_late(market):
    customers = draw_customers(market, 5)
    expected = market.arrival_rate.sum()
    assert abs(len(customers) - expected) < 4 * np.sqrt(expected)
    horizon = market.params.horizon_days
    days_left = horizon - np.repeat(np.arange(horizon), np.diff(customers.day_start))
    leisure, business = (days_left[customers.segment == s].mean() for s in (0, 1))
    assert business < 20 < leisure
    # Business buyers are less price sensitive: more of them pay 1.5x the market fare.
    fare = market.market_fare[customers.unit, horizon - days_left]
    rich = customers.reservation >= 1.5 * fare
    assert rich[customers.segment == 1].mean() > 3 * rich[customers.segment == 0].mean()


def test_demand_factor_is_bookings_at_the_market_fare_per_seat():
    params = MarketParams(competitor_log_sd=0.1)
    market = build_market(400, seed=1, params=params)
    customers = draw_customers(market, 1)
    fare = market.market_fare[
        customers.unit, np.repeat(np.arange(90), np.diff(customers.day_start))
    ]
    would_buy = (customers.reservation >= fare).sum()
    assert would_buy / market.capacity.sum() == pytest.approx(params.demand_factor, rel=0.05)


def test_sell_day_matches_a_buyer_by_buyer_loop(market):
    customers = draw_customers(market, 9)
    rng = np.random.default_rng(0)
    t = 80  # late: many business buyers
    price = market.market_fare[:, t] * rng.uniform(0.5, 1.5, len(market))
    seats = rng.integers(0, 4, len(market))
    sold, offered, bought = sell_day(customers, t, price, seats)
    left = seats.copy()
    day = customers.day(t)
    for i, (unit, reservation) in enumerate(zip(customers.unit[day], customers.reservation[day])):
        assert offered[i] == (left[unit] > 0)
        buys = left[unit] > 0 and reservation >= price[unit]
        assert bought[i] == buys
        left[unit] -= buys
    np.testing.assert_array_equal(sold, seats - left)
