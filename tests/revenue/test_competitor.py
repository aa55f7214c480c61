"""The competitor's fare as a learnt input: in the history, in the fit, in the price."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from flightprice.pricing.params import PricingParams
from flightprice.revenue import (
    build_market,
    build_policy,
    draw_customers,
    fit_demand,
    learning_history,
    run_policy,
)
from flightprice.revenue.demand_store import ServedDemand
from flightprice.revenue.serving import price_with_policy


@pytest.fixture(scope="module")
def market():
    return build_market(120, seed=3)


@pytest.fixture(scope="module")
def history(market):
    return learning_history(market, seed=3)


@pytest.fixture(scope="module")
def demand(history):
    return fit_demand(history, seed=3)


@pytest.fixture(scope="module")
def optimal(market, demand):
    return build_policy("optimal", market, PricingParams(), demand)


def test_history_carries_the_competitor_fare_of_each_day(market, history):
    horizon = market.params.horizon_days
    first = history[history["days_to_departure"] == horizon]
    assert np.allclose(first["competitor_fare"], market.competitor_fare[:, 0])
    assert not np.allclose(history["competitor_fare"], history["market_fare"])


def test_the_fit_learns_that_buyers_leave_above_the_competitor(demand, history):
    assert demand.competitor_ratio is not None and demand.competitor_knots is not None
    # Leisure buyers (most of them 8 weeks out) never pay over the competitor's fare.
    report = demand.report()
    assert (report["competitor_drop_56d"] < 0.3).all()
    # Late, business buyers accept a premium: the drop is smaller a week out.
    assert (report["competitor_drop_7d"] > report["competitor_drop_56d"]).all()
    blind = fit_demand(history.drop(columns="competitor_fare"), seed=3)
    assert blind.competitor_ratio is None
    # Knowing the competitor explains more of the held-out bookings.
    assert demand.fit["d2_holdout"].median() > blind.fit["d2_holdout"].median()


@pytest.mark.slow  # the programme over 7 competitor bins for ~40 groups: ~12 s
def test_optimal_price_follows_the_competitor_fare(market, optimal):
    policy = optimal
    t = 30  # 60 days out, nothing sold yet: mostly leisure buyers
    prices = {}
    for factor in (0.9, 1.1):
        moved = market.competitor_fare.copy()
        moved[:, t] = factor * market.market_fare[:, t]
        other = replace(policy, market=replace(market, competitor_fare=moved))
        prices[factor] = other.price(t, market.capacity.copy(), np.full(len(market), np.nan))
    assert np.mean(prices[1.1] != prices[0.9]) > 0.8
    # A dear competitor: undercut it (leisure buyers never pay more than its fare) ...
    ratio = prices[1.1] / market.market_fare[:, t]
    assert np.mean((ratio > 1.0) & (ratio < 1.1)) > 0.8
    # ... a cheap one: match it or hold the seats for dearer days, never sell below 0.8 x.
    assert np.all(prices[0.9] / market.market_fare[:, t] > 0.8)


@pytest.mark.slow  # four seasons of 120 flights: ~15 s
def test_seeing_the_competitor_earns_more_than_the_blind_programme(market, demand, optimal):
    customers = draw_customers(market, seed=3)
    policies = {name: build_policy(name, market, PricingParams(), demand)
                for name in ("oracle", "oracle_blind", "optimal_blind")}  # fmt: skip
    policies["optimal"] = optimal
    revenue = {name: run_policy(market, customers, p).revenue.sum() for name, p in policies.items()}
    # 1,000 flights x 20 seeds: +5-6% (benchmarks/README.md); 120 flights are noisier.
    assert revenue["oracle"] > 1.02 * revenue["oracle_blind"]
    assert revenue["optimal"] > 1.01 * revenue["optimal_blind"]


def _quote(policy, competitor=None, **extra):
    rows = 3
    args = {
        "market_fare": np.full(rows, 400.0), "cabin": np.array(["economy"] * rows, dtype=object),
        "days_to_departure": np.array([60.0, 30.0, 8.0]), "load_factor": np.full(rows, 0.5),
        "seats_remaining": np.full(rows, 90.0), "capacity": np.full(rows, 180.0),
        "last_price": None, "params": PricingParams(),
        "demand": ServedDemand("simulator"),  # the simulated market's demand, not a fit
    }  # fmt: skip
    if competitor is not None:
        extra["competitor_fare"] = competitor
    result, used = price_with_policy(policy, **args, **extra)
    return result.price, used


def test_a_request_without_the_competitor_fare_prices_as_before():
    before, used = _quote("oracle")
    assert np.array_equal(_quote("oracle", np.full(3, np.nan))[0], before)
    assert np.array_equal(_quote("oracle", competitor_fare=None)[0], before)
    assert list(used) == ["oracle"] * 3


@pytest.mark.slow  # fits the serving demand twice (with and without the competitor): ~20 s
def test_serving_oracle_and_optimal_respond_to_the_competitor_fare():
    for policy in ("oracle", "optimal"):
        blind, _ = _quote(policy)
        low, _ = _quote(policy, np.full(3, 360.0))
        high, used = _quote(policy, np.full(3, 440.0))
        assert list(used) == [policy] * 3
        # Not monotone: against a cheap competitor the programme may hold seats for dearer days.
        assert np.any(high != low) and np.any(high != blind) and np.any(low != blind)
