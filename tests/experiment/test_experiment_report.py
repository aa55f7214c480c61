"""The experiment report: revenue per flight by arm, Welch's interval, the recommendation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from flightprice.experiment.report import experiment_report


def _data(champion: list[float], challenger: list[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One flight per revenue value (0: no booking), each logged twice (two quotes)."""
    assignments, bookings = [], []
    for arm, revenues in (("champion", champion), ("challenger", challenger)):
        for i, revenue in enumerate(revenues):
            flight = f"{arm.upper()}{i}-20260901"
            assignments += [{"flight_id": flight, "arm": arm, "model_version": f"v-{arm}"}] * 2
            if revenue:  # split in two bookings: revenue per flight is their sum
                bookings += [{"flight_id": flight, "seats": 1, "revenue_usd": revenue / 2}] * 2
    return pd.DataFrame(assignments), pd.DataFrame(bookings)


def test_a_clearly_better_challenger_is_switched_to_with_welchs_interval():
    rng = np.random.default_rng(1)
    champion = rng.normal(1000, 100, 40).round(2).tolist()
    challenger = rng.normal(1150, 150, 60).round(2).tolist()
    report = experiment_report(*_data(champion, challenger), experiment="exp")
    assert report.recommendation == "switch"
    champ, chal = report.arms
    assert (champ.arm, champ.flights, champ.bookings) == ("champion", 40, 80)
    assert (chal.arm, chal.flights, chal.revenue_usd) == (
        "challenger",
        60,
        pytest.approx(sum(challenger)),
    )
    assert chal.priced_by == ["v-challenger"]
    welch = stats.ttest_ind(challenger, champion, equal_var=False).confidence_interval(0.95)
    assert report.ci95 == pytest.approx([welch.low, welch.high])
    assert report.revenue_per_flight_diff == pytest.approx(np.mean(challenger) - np.mean(champion))
    assert report.revenue_uplift == pytest.approx(
        report.revenue_per_flight_diff / np.mean(champion)
    )


def test_a_worse_challenger_is_kept_out_and_a_tie_is_inconclusive():
    rng = np.random.default_rng(2)
    worse = experiment_report(
        *_data(rng.normal(1000, 50, 30).tolist(), rng.normal(800, 50, 30).tolist())
    )
    assert worse.recommendation == "keep" and worse.ci95[1] < 0
    same = rng.normal(1000, 200, 60).tolist()
    tie = experiment_report(*_data(same[:30], same[30:]))
    assert tie.recommendation == "inconclusive" and tie.ci95[0] < 0 < tie.ci95[1]


def test_flights_without_bookings_count_as_zero_and_too_few_flights_are_inconclusive():
    report = experiment_report(*_data([100.0, 0.0, 0.0, 0.0], [400.0, 400.0, 0.0, 0.0]))
    champ, chal = report.arms
    assert champ.flights == 4 and champ.flights_with_bookings == 1
    assert champ.revenue_per_flight_usd == pytest.approx(25.0)
    assert chal.revenue_per_flight_usd == pytest.approx(200.0)
    assert report.recommendation == "inconclusive" and "too few flights" in report.reason
    assert experiment_report(*_data([100.0, 0.0], [400.0, 300.0]), min_flights=2).ci95 is not None


def test_mixed_flights_are_left_out_and_unattributed_bookings_counted():
    assignments, bookings = _data([100.0] * 12, [200.0] * 12)
    moved = assignments.iloc[[0]].assign(
        arm="challenger"
    )  # a champion flight, logged under both arms
    extra = pd.DataFrame([{"flight_id": "ZZ1-20260901", "seats": 2, "revenue_usd": 999.0}])
    report = experiment_report(pd.concat([assignments, moved]), pd.concat([bookings, extra]))
    assert report.mixed_flights == 1 and report.unattributed_bookings == 1
    assert [a.flights for a in report.arms] == [11, 12]
    assert report.ci95 == [pytest.approx(100.0), pytest.approx(100.0)]  # no spread: a point
    assert report.recommendation == "switch"
