"""The simulator: reproducible by seed, every policy inside the guardrails, CIs that pair."""

from __future__ import annotations

import numpy as np
import pytest

from flightprice.pricing.params import PricingParams
from flightprice.revenue import (
    build_market,
    build_policy,
    draw_customers,
    fit_demand,
    learning_history,
    sell_day,
    simulate,
)
from flightprice.revenue.simulator import compare


@pytest.fixture(scope="module")
def sim():
    return simulate(("ladder", "oracle"), flights=30, seeds=1, first_seed=4)


def test_same_seed_same_figures(sim):
    again = simulate(("ladder", "oracle"), flights=30, seeds=1, first_seed=4)
    assert again.summary() == sim.summary()
    other = simulate(("ladder", "oracle"), flights=30, seeds=1, first_seed=5)
    assert other.summary() != sim.summary()


def test_one_seed_pairs_over_units_and_the_oracle_beats_the_ladder(sim):
    result = compare(sim, "oracle", "ladder")
    low, high = result["ci95"]
    assert result["ci_method"] == "delta over units"
    assert low < result["revenue_uplift"] < high
    assert result["revenue_uplift"] > 0  # the programme with the truth beats a static ladder


@pytest.mark.parametrize("name", ["ladder", "rule", "optimal", "oracle"])
def test_every_policy_stays_inside_the_guardrails(name):
    market = build_market(10, seed=2)
    params = PricingParams(max_increase=0.1, max_decrease=0.1, rounding="whole")
    demand = None
    if name in {"ladder", "optimal"}:
        demand = fit_demand(learning_history(market, 2))
    policy = build_policy(name, market, params, demand)
    customers = draw_customers(market, 2)
    seats, last = market.capacity.copy(), np.full(len(market), np.nan)
    for t in range(market.params.horizon_days):
        price = policy.price(t, seats, last)
        assert np.all(price == np.round(price))
        if t:
            assert np.all(price <= np.round(last * 1.1) + 1) and np.all(
                price >= np.round(last * 0.9) - 1
            )
        sold, _, _ = sell_day(customers, t, price, seats)
        seats, last = seats - sold, price
    assert np.all(seats >= 0)
