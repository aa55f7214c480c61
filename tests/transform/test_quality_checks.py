"""The checks table: severities in one place, thresholds relative to the data, a gate on errors."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from flightprice.train.run import quality_gate
from flightprice.transform.checks import CHECKS, measure
from flightprice.transform.quality import latest_quality, quality_row, write_quality_rows

BY_NAME = {check.name: check for check in CHECKS}


def _deliver(warehouse, rows_by_day: dict[str, int]) -> None:
    """Record one fares file per day in the manifest, as ingest would."""
    for day, rows in rows_by_day.items():
        warehouse.execute(
            "INSERT INTO RAW.LOAD_MANIFEST (path, content_hash, feed, rows_loaded, loaded_at) "
            "VALUES (?, ?, 'fares', ?, now())", [f"raw-data/fares/{day}/fares.csv", day, rows])


def _days(n: int, rows: int) -> dict[str, int]:
    return {f"2026-09-{d:02d}": rows for d in range(1, n + 1)}


def test_every_check_has_one_name_and_a_severity_and_fares_only_feeds_only_warn():
    assert len(BY_NAME) == len(CHECKS)
    assert {c.severity for c in CHECKS} == {"error", "warn"}
    # What a fares-only feed lacks is a warning; what training cannot do without is an error.
    assert BY_NAME["row_count:RAW.SCHEDULES"].severity == "warn"
    assert BY_NAME["null_rate:ANALYTICS.ML_TRAINING_FEATURES.capacity"].severity == "warn"
    assert BY_NAME["null_rate:ANALYTICS.FCT_FARE_OBSERVATION.load_factor"].severity == "warn"
    for name in ("row_count:RAW.FARES", "delivery_volume:RAW.FARES", "clock:RAW.FARES",
                 "null_rate:ANALYTICS.ML_TRAINING_FEATURES.required"):
        assert BY_NAME[name].severity == "error", name


@pytest.mark.parametrize(("latest", "passed"), [(50, False), (499, False), (500, True),
                                                (3_000, True)])  # fmt: skip
def test_delivery_volume_compares_the_latest_day_with_the_trailing_mean(
    warehouse, settings, latest, passed
):
    _deliver(warehouse, {**_days(7, 1_000), "2026-09-08": latest})
    outcome = measure(BY_NAME["delivery_volume:RAW.FARES"], warehouse, settings)
    assert outcome.passed is passed
    assert outcome.metric_value == pytest.approx(latest / 1_000)
    assert "2026-09-08" in outcome.details


def test_delivery_volume_scales_with_the_market_and_reads_only_the_trailing_window(
    warehouse, settings
):
    # A market ten times smaller passes at its own size; a huge delivery long ago is outside
    # the 7-day window and does not raise the bar.
    _deliver(warehouse, {"2026-08-01": 1_000_000, **_days(7, 100), "2026-09-08": 90})
    outcome = measure(BY_NAME["delivery_volume:RAW.FARES"], warehouse, settings)
    assert outcome.passed and outcome.metric_value == pytest.approx(0.9)
    strict = settings.model_copy(update={"quality_min_volume_ratio": 0.95})
    assert not measure(BY_NAME["delivery_volume:RAW.FARES"], warehouse, strict).passed


def test_the_first_delivery_has_nothing_to_compare_with_and_passes(warehouse, settings):
    _deliver(warehouse, {"2026-09-01": 10})
    outcome = measure(BY_NAME["delivery_volume:RAW.FARES"], warehouse, settings)
    assert outcome.passed and "no earlier delivery" in outcome.details


def _fare(warehouse, observed_at: datetime, loaded_at: datetime) -> None:
    warehouse.execute(
        "INSERT INTO RAW.FARES VALUES ('q1', ?, 'AA', '100', 'JFK', 'LAX', ?, 'economy', 0, "
        "360, NULL, 100.0, 'USD', 'raw-data/fares/2026-09-01/fares.csv', ?)",
        [observed_at, observed_at + timedelta(days=3), loaded_at])


def test_a_data_clock_far_ahead_of_the_loads_is_an_error(warehouse, settings):
    loaded = datetime(2026, 9, 2, 6)
    _fare(warehouse, datetime(2026, 9, 1, 12), loaded)
    check = BY_NAME["clock:RAW.FARES"]
    assert measure(check, warehouse, settings).passed
    _fare(warehouse, datetime(2099, 1, 1), loaded)
    outcome = measure(check, warehouse, settings)
    assert outcome.passed is False and "2099-01-01" in outcome.details
    assert check.status(outcome) == "fail"


def test_a_failed_warn_check_is_logged_as_warn_and_an_unmeasurable_error_check_as_error(
    warehouse, settings
):
    warehouse.execute("DROP TABLE RAW.SCHEDULES")
    schedules = BY_NAME["row_count:RAW.SCHEDULES"]
    assert schedules.status(measure(schedules, warehouse, settings)) == "warn"
    warehouse.execute("DROP TABLE RAW.FARES")
    fares = BY_NAME["row_count:RAW.FARES"]
    assert fares.status(measure(fares, warehouse, settings)) == "error"


def _log(warehouse, run_id: str, at: datetime, *rows: tuple[str, str, str | None]) -> None:
    write_quality_rows(warehouse, [
        quality_row(run_id, name, "row_count", "RAW.FARES", status, checked_at=at,
                    details=f"{name} details", severity=severity)
        for name, status, severity in rows
    ])  # fmt: skip


def test_the_gate_blocks_only_on_error_checks_of_the_latest_run_and_names_them(warehouse):
    at = datetime(2026, 9, 1, 6)
    _log(warehouse, "q-1", at, ("row_count:RAW.FARES", "fail", "error"))
    _log(warehouse, "q-2", at + timedelta(hours=1), ("row_count:RAW.SCHEDULES", "warn", "warn"),
         ("row_count:RAW.FARES", "pass", "error"))  # fmt: skip
    assert quality_gate(warehouse) is None
    assert latest_quality(warehouse).passed
    _log(warehouse, "q-3", at + timedelta(hours=2), ("row_count:RAW.SCHEDULES", "warn", "warn"),
         ("delivery_volume:RAW.FARES", "fail", "error"), ("broken", "error", "warn"))  # fmt: skip
    why = quality_gate(warehouse)
    assert "q-3" in why and "1 failed check(s) of severity error" in why
    assert "delivery_volume:RAW.FARES: delivery_volume:RAW.FARES details" in why
    assert "SCHEDULES" not in why and "broken" not in why
    summary = latest_quality(warehouse)
    assert (summary.checks, summary.failed, summary.passed) == (3, 2, False)


def test_rows_logged_before_severities_existed_still_block(warehouse):
    _log(warehouse, "old", datetime(2026, 9, 1), ("row_count:RAW.FARES", "fail", None))
    assert "row_count:RAW.FARES" in quality_gate(warehouse)
