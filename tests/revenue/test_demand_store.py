"""Fitted demand in the lake and what optimal and ladder price with without one (no warehouse)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from flightprice.pricing.params import PricingParams
from flightprice.revenue import demand_store
from flightprice.revenue.demand_store import LATEST_KEY, ServedDemand, read_latest, write_fit
from flightprice.revenue.fitted import quotes_per_day
from flightprice.revenue.serving import NO_DEMAND_NOTE, fallback_note, price_with_policy
from flightprice.store import LocalStore

ROWS = {
    "market_fare": np.full(2, 400.0), "cabin": np.array(["economy", "business"], dtype=object),
    "days_to_departure": np.array([40.0, 10.0]), "load_factor": np.full(2, 0.5),
    "seats_remaining": np.array([90.0, np.nan]), "capacity": np.array([180.0, 30.0]),
    "last_price": None, "params": PricingParams(),
}  # fmt: skip


def test_a_fit_is_written_once_and_latest_names_the_newest(tmp_path):
    store = LocalStore(tmp_path / "lake")
    assert read_latest(store) is None
    write_fit(store, {"version": "demand-1", "coef": [1.0]})
    write_fit(store, {"version": "demand-2", "coef": [2.0]})
    assert read_latest(store) == {"version": "demand-2", "coef": [2.0]}
    with pytest.raises(FileExistsError):
        write_fit(store, {"version": "demand-1", "coef": [3.0]})
    assert json.loads(store.read_bytes(LATEST_KEY))["version"] == "demand-2"
    assert read_latest(store)["coef"] == [2.0]  # the refused rewrite changed nothing


def test_install_serves_the_latest_fit_or_the_simulator(tmp_path):
    store = LocalStore(tmp_path / "lake")
    try:
        assert demand_store.install("warehouse", store) == ServedDemand("warehouse", None)
        write_fit(store, {"version": "demand-1"})
        assert demand_store.install("warehouse", store).version == "demand-1"
        assert demand_store.served().version == "demand-1"
        assert demand_store.install("simulator", store) == ServedDemand("simulator", None)
        with pytest.raises(ValueError, match="unknown demand source"):
            demand_store.install("bookings", store)
    finally:
        demand_store.install("warehouse", None)


@pytest.mark.parametrize("policy", ["optimal", "ladder"])
def test_without_a_fit_revenue_policies_price_by_rule_and_say_why(policy):
    rule, _ = price_with_policy("rule", **ROWS)
    result, used = price_with_policy(policy, **ROWS, demand=ServedDemand("warehouse", None))
    assert list(used) == ["rule", "rule"]
    assert np.array_equal(result.price, rule.price)
    notes = fallback_note(policy, used, ServedDemand("warehouse", None))
    assert list(notes) == [NO_DEMAND_NOTE, NO_DEMAND_NOTE]


def test_the_simulator_setting_keeps_the_simulated_demand():
    _, used = price_with_policy("ladder", **ROWS, demand=ServedDemand("simulator"))
    # The row without seats remaining is still rule's, for that reason.
    assert list(used) == ["ladder", "rule"]
    notes = fallback_note("ladder", used, ServedDemand("simulator"))
    assert notes[0] == "" and "no capacity or seats remaining" in notes[1]


def test_oracle_needs_no_fit():
    _, used = price_with_policy("oracle", **ROWS, demand=ServedDemand("warehouse", None))
    assert list(used) == ["oracle", "rule"]


@pytest.mark.parametrize("rate", [0.2, 1.0, 3.0])
def test_quotes_per_day_recovers_the_feed_rate_from_quoted_days(rate):
    counts = np.random.default_rng(1).poisson(rate, 200_000)
    assert quotes_per_day(counts[counts > 0]) == pytest.approx(rate, rel=0.03)
