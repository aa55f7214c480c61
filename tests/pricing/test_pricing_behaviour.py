"""Pricing behaviour: urgency only ever raises a price, whatever the other steps do.

A directional expectation in the style of Made-With-ML's tests/model/test_behavioral.py, over
a seeded sample of flights that reach every guardrail and rounding rule; tests/train/
test_behaviour.py checks the same through `serve.quote` with the model's fares.
"""

from __future__ import annotations

import numpy as np
import pytest

from flightprice.contract import CABINS
from flightprice.pricing import PricingParams, price_flights

FLOAT_NOISE = 1e-12
ROUNDINGS = ("charm", "whole", "cents", "none")


def sample_flights(n: int, seed: int) -> dict[str, np.ndarray]:
    """Flights from below the cabin floor to above its ceiling, inside and outside the window."""
    rng = np.random.default_rng(seed)
    fare = rng.lognormal(5.5, 1.8, n)
    last = fare * rng.uniform(0.6, 1.5, n)  # the change limit binds on about half
    last[rng.random(n) < 0.3] = np.nan
    load = rng.uniform(0, 1, n)
    load[rng.random(n) < 0.1] = np.nan
    return {
        "market_fare": fare,
        "cabin": rng.choice(CABINS, n),
        "days_to_departure": rng.uniform(-0.5, 10, n),
        "load_factor": load,
        "last_price": last,
    }


@pytest.mark.parametrize("rounding", ROUNDINGS)
@pytest.mark.parametrize("window_days", [7.0, 3.0, 30.0])
def test_urgency_never_lowers_a_price(rounding, window_days):
    flights = sample_flights(20_000, seed=len(rounding) + int(window_days))
    on = PricingParams(rounding=rounding, urgency_window_days=window_days)
    off = on.model_copy(update={"max_urgency_adjustment": 0.0})

    with_urgency = price_flights(**flights, params=on)
    without = price_flights(**flights, params=off)

    # Float noise only: the rounding's step-back path can give 64.99000000000001 where the
    # direct path gives 64.99 (the same published cent), so allow one part in 10^12.
    lower = with_urgency.price < without.price * (1 - FLOAT_NOISE)
    assert not lower.any(), f"urgency lowered {lower.sum()} of {len(lower)} prices"
    days = with_urgency.days_to_departure
    outside = days >= window_days
    np.testing.assert_array_equal(with_urgency.price[outside], without.price[outside])
    # Not vacuous: inside the window urgency raised every price that no guardrail set.
    free = (with_urgency.guardrail == 0) & (without.guardrail == 0) & ~outside
    assert free.sum() > 1000
    assert (with_urgency.unrounded_price[free] > without.unrounded_price[free]).all()
