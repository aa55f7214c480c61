"""PSI, unseen shares and the report, on numbers whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flightprice.monitor._drift import (
    Check,
    input_drift,
    output_drift,
    population_stability,
    unseen_shares,
)
from flightprice.monitor._report import write_report
from flightprice.monitor.run import MonitoringResult
from flightprice.train._reference import drift_reference


def test_psi_is_zero_for_the_same_shares_and_matches_the_formula():
    assert population_stability([0.5, 0.5], [0.5, 0.5]) == 0.0
    expected = (0.8 - 0.5) * np.log(0.8 / 0.5) + (0.2 - 0.5) * np.log(0.2 / 0.5)
    assert population_stability([0.5, 0.5], [0.8, 0.2]) == pytest.approx(expected)


def test_a_shifted_feature_drifts_and_a_resample_does_not():
    rng = np.random.default_rng(3)
    train = pd.DataFrame({"days_to_departure": rng.uniform(0, 60, 20_000),
                          "load_factor": rng.beta(2, 5, 20_000)})  # fmt: skip
    reference = drift_reference(train)
    assert set(reference) == {"days_to_departure", "load_factor"}
    assert sum(reference["load_factor"]["shares"]) == pytest.approx(1.0)
    same = pd.DataFrame({"days_to_departure": rng.uniform(0, 60, 5000),
                         "load_factor": rng.beta(2, 5, 5000)})  # fmt: skip
    shifted = same.assign(load_factor=rng.beta(5, 2, 5000))
    quiet = {c.name: c for c in input_drift(reference, same, 0.25)}
    loud = {c.name: c for c in input_drift(reference, shifted, 0.25)}
    assert not any(c.breached for c in quiet.values())
    assert loud["load_factor"].breached and not loud["days_to_departure"].breached


def test_unseen_shares_and_output_drift():
    checks = {c.name: c for c in unseen_shares({"route": 30, "any": 40}, 200, 0.1)}
    assert checks["route"].value == 0.15 and checks["route"].breached
    assert checks["carrier"].value == 0.0 and not checks["carrier"].breached
    assert checks["any"].value == 0.2
    earlier = pd.DataFrame({"market_fare_usd": np.linspace(100, 500, 1000),
                            "price_usd": np.linspace(100, 500, 1000)})  # fmt: skip
    moved = earlier.assign(market_fare_usd=earlier["market_fare_usd"] * 2)
    drift = {c.name: c for c in output_drift(moved, earlier, 0.25)}
    assert drift["market_fare_usd"].breached and not drift["price_usd"].breached
    none = output_drift(moved, earlier.iloc[0:0], 0.25)  # a first run: nothing to compare
    assert [c.value for c in none] == [None, None] and not any(c.breached for c in none)


def test_the_report_marks_breaches(tmp_path):
    result = MonitoringResult("run-9", "v-1", [
        Check("input_drift", "load_factor", "psi", 0.9, 0.25, 100),
        Check("accuracy", "overall", "mape", 0.1, 0.25, 50),
        Check("accuracy", "day 2026-09-07", "mape", 0.1, None, 50)])  # fmt: skip
    path = write_report(result, pd.DataFrame(), tmp_path / "r.html")
    text = path.read_text()
    assert "run-9" in text and "<b>1</b> breach(es) of 2 thresholds" in text
    assert text.count('<tr class="breach">') == 1 and "day 2026-09-07" in text


def test_report_bars_share_one_scale_with_the_threshold(tmp_path):
    # A lone PSI of 0.026 against a threshold of 0.25 draws a tenth of the bar, not all of it.
    result = MonitoringResult("run-1", "v-1", [Check("input_drift", "route", "psi", 0.026, 0.25, 9)])
    text = write_report(result, pd.DataFrame(), tmp_path / "r.html").read_text()
    assert 'style="width:20px"' in text, text
