"""The quality gate on whole feeds: real-looking ones pass with warnings, broken ones fail.

The "healthy real-looking feeds" are built from the clean synthetic profile: the realistic
profile's files are still quarantined whole by ingest (4-stop itineraries, fares above the
contract's price cap in their own currency) until row-level rejects and the new contract
limits land. So: a market whose schedules files are missing on some days, and a fares-only
market with no schedules feed at all (many scrapers have no capacity data).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from flightprice.ingest.load import load_raw_files
from flightprice.project import init_project
from flightprice.settings import Settings
from flightprice.store import open_store
from flightprice.synth.generate import generate_market
from flightprice.train.run import quality_gate
from flightprice.transform.dbt import run_dbt
from flightprice.transform.quality import run_quality_checks, transform
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow

DAYS, ROUTES = 8, 12
START = date(2026, 9, 1)


def _market(home: Path, *, drop_schedules: set[int] | None = None, holdout_days: int = 2):
    """Generate a clean market; delete the schedules files of the given day indexes (all: None)."""
    settings = Settings(home=home, warehouse="duckdb", store="local", notify_webhook_url=None,
                        holdout_days=holdout_days)  # fmt: skip
    init_project(settings)
    store = open_store(settings)
    generate_market(store, start=START, days=DAYS, routes=ROUTES, seed=11, schedules="new")
    for i, key in enumerate(sorted(store.list("raw-data/schedules/"))):
        if drop_schedules is None or i in drop_schedules:
            store.delete(key)
    return settings


def _ingest(settings) -> None:
    with open_warehouse(settings) as wh:
        load_raw_files(open_store(settings), wh, run_id="ingest-test")


def _statuses(rows: list[dict]) -> dict[str, tuple[str, str]]:
    return {r["check_name"]: (r["status"], r["severity"]) for r in rows}


@pytest.fixture(scope="module")
def fares_only(tmp_path_factory):
    """A fares-only market after ingest, `dbt build` (tests included) and a quality run."""
    settings = _market(tmp_path_factory.mktemp("fares-only") / "home")
    _ingest(settings)
    run = transform(settings, run_id="transform-test")
    assert run.success, [(n.name, n.message) for n in run.failed]
    _, rows = run_quality_checks(settings, run_id="quality-test")
    return settings, rows


def test_a_fares_only_feed_passes_the_gate_with_warnings_only(fares_only):
    settings, rows = fares_only
    statuses = _statuses(rows)
    assert not [name for name, (status, _) in statuses.items() if status in ("fail", "error")]
    assert statuses["row_count:RAW.SCHEDULES"] == ("warn", "warn")
    assert statuses["null_rate:ANALYTICS.ML_TRAINING_FEATURES.capacity"] == ("warn", "warn")
    assert statuses["null_rate:ANALYTICS.FCT_FARE_OBSERVATION.load_factor"] == ("warn", "warn")
    assert statuses["delivery_volume:RAW.FARES"] == ("pass", "error")
    assert any(r["check_type"] == "dbt_test" for r in rows)  # dbt's tests ran and passed
    with open_warehouse(settings, read_only=True) as wh:
        assert quality_gate(wh) is None
        logged = wh.query_df("SELECT severity FROM ML_PREDICTIONS.DATA_QUALITY_LOG "
                             "WHERE run_id = 'quality-test'")  # fmt: skip
        capacity = wh.query_df("SELECT COUNT(*) AS n, COUNT(capacity) AS known "
                               "FROM ANALYTICS.ML_TRAINING_FEATURES").iloc[0]  # fmt: skip
    assert set(logged["severity"]) == {"error", "warn"}
    assert capacity["n"] > 0 and capacity["known"] == 0  # every fare kept, capacity NULL


def test_a_feed_missing_some_schedules_files_passes_the_gate(tmp_path):
    settings = _market(tmp_path / "home", drop_schedules={2, 5, 6})
    _ingest(settings)
    run = run_dbt(settings, ["build", "--exclude", "resource_type:test", "resource_type:unit_test"])
    assert run.success, [n.message for n in run.failed]
    _, rows = run_quality_checks(settings, run_id="q-partial", run_tests=False)
    statuses = _statuses(rows)
    assert statuses["row_count:RAW.SCHEDULES"] == ("pass", "warn")
    assert not [name for name, (status, _) in statuses.items() if status in ("fail", "error")]
    with open_warehouse(settings, read_only=True) as wh:
        assert quality_gate(wh) is None
        known = wh.query_df("SELECT COUNT(capacity) * 1.0 / COUNT(*) AS share "
                            "FROM ANALYTICS.ML_TRAINING_FEATURES").iloc[0, 0]  # fmt: skip
    assert 0 < known < 1  # flights opened on the days without a schedules file: unknown


def test_a_day_with_a_twentieth_of_the_usual_fares_fails_the_gate_naming_the_check(tmp_path):
    settings = _market(tmp_path / "home", drop_schedules=set())
    store = open_store(settings)
    last = max(k for k in store.list("raw-data/fares/") if k.endswith(".csv"))
    rows = list(csv.reader(io.StringIO(store.read_bytes(last).decode())))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows[: 1 + (len(rows) - 1) // 20])
    store.write_bytes(last, out.getvalue().encode())
    _ingest(settings)
    run = run_dbt(settings, ["build", "--exclude", "resource_type:test", "resource_type:unit_test"])
    assert run.success, [n.message for n in run.failed]
    _, checks = run_quality_checks(settings, run_id="q-broken", run_tests=False)
    assert _statuses(checks)["delivery_volume:RAW.FARES"] == ("fail", "error")
    with open_warehouse(settings, read_only=True) as wh:
        why = quality_gate(wh)
    assert why is not None and "q-broken" in why and "delivery_volume:RAW.FARES" in why
    assert "RAW.SCHEDULES" not in why


FAST_TRAINING = {"num_boost_round": 40, "early_stopping_rounds": 10, "learning_rate": 0.3}


def test_a_fares_only_feed_trains_reports_and_scores_with_a_neutral_demand_adjustment(
    fares_only, tmp_path
):
    from flightprice.score.batch import run_scoring
    from flightprice.train.run import build_model_report, run_training

    settings, _ = fares_only
    store = open_store(settings)
    with open_warehouse(settings) as wh:
        # The quality gate is on (check_quality defaults to True): warnings do not block.
        outcome = run_training(settings, wh, store, run_id="train-fares-only",
                               params=FAST_TRAINING)  # fmt: skip
        assert outcome.status == "trained", outcome.reason
        assert outcome.decision == "first_champion"
        build_model_report(settings, wh, store, out_dir=tmp_path / "report")
    assert any((tmp_path / "report").glob("*.png"))
    report = run_scoring(settings, mode="local", run_id="score-fares-only")
    assert report.status == "success" and report.rows > 0, report.error
    with open_warehouse(settings, read_only=True) as wh:
        prices = wh.query_df("SELECT price_usd, demand_adjustment FROM ML_PREDICTIONS.FLIGHT_PRICES")
    assert len(prices) == report.rows and (prices["price_usd"] > 0).all()
    assert (prices["demand_adjustment"] == 0).all()  # load factor unknown: no demand adjustment
