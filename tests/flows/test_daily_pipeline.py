"""The daily data pipeline as a real Prefect flow over a real DuckDB file and real dbt."""

from __future__ import annotations

from datetime import date

import pytest

from flightprice.cli.run import load_flow
from flightprice.settings import Settings, get_settings
from flightprice.store import open_store
from flightprice.synth.generate import generate_market
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture
def daily(settings):
    return load_flow(settings.flows_dir, "daily")


def _count(settings: Settings, sql: str) -> int:
    with open_warehouse(settings, read_only=True) as wh:
        return int(wh.query_df(sql).iloc[0, 0])


def test_daily_flow_loads_transforms_and_logs_quality(settings, daily):
    get_settings.cache_clear()  # the flow reads settings at its entry, from FLIGHTPRICE_HOME
    from flightprice.project import init_project

    init_project(settings)
    generate_market(open_store(settings), start=date(2026, 9, 1), days=4, routes=3, seed=11)

    state = daily(return_state=True)
    assert state.is_completed(), state
    result = state.result()
    assert result["new_files"] == 8  # 4 days x (schedules + fares)
    assert len(result["ingest"]["loaded"]) == 8 and not result["ingest"]["quarantined"]
    assert result["dbt_failed_tests"] == 0 and result["quality_failed"] == 0
    assert _count(settings, "SELECT COUNT(*) FROM ANALYTICS.ML_TRAINING_FEATURES") == _count(
        settings, "SELECT COUNT(DISTINCT quote_id) FROM RAW.FARES")
    tests_logged = _count(settings, "SELECT COUNT(*) FROM ML_PREDICTIONS.DATA_QUALITY_LOG "
                                    "WHERE check_type = 'dbt_test'")
    assert tests_logged > 10

    # Nothing new: the flow says so and transforms nothing.
    again = daily(return_state=True).result()
    assert again["new_files"] == 0 and again["ingest"] is None
    assert _count(settings, "SELECT COUNT(*) FROM ML_PREDICTIONS.DATA_QUALITY_LOG "
                            "WHERE check_type = 'dbt_test'") == tests_logged

    # full_refresh rebuilds the incremental models from all history: one write for all rows.
    written = "SELECT MAX(transformed_at) FROM ANALYTICS.FCT_FARE_OBSERVATION"
    with open_warehouse(settings, read_only=True) as wh:
        before = wh.query_df(written).iloc[0, 0]
    rebuilt = daily(force=True, full_refresh=True, return_state=True)
    assert rebuilt.is_completed(), rebuilt
    assert rebuilt.result()["dbt_failed_tests"] == 0
    with open_warehouse(settings, read_only=True) as wh:
        after = wh.query_df("SELECT MIN(transformed_at) AS first, COUNT(*) AS n "
                            "FROM ANALYTICS.FCT_FARE_OBSERVATION").iloc[0]
    assert after["first"] > before
    assert after["n"] == _count(settings, "SELECT COUNT(DISTINCT quote_id) FROM RAW.FARES")
    get_settings.cache_clear()


def test_summary_artifact_names_quarantined_files():
    # The flow file is loaded by path, as a deployment loads it; its helpers come with it.
    module = load_flow(Settings().flows_dir, "daily").fn.__globals__
    text = module["summary_markdown"](
        "daily-x", ["a", "b"],
        {"loaded": [{"key": "a", "feed": "fares", "rows": 3}],
         "quarantined": [{"key": "b", "reason": "missing column price"}],
         "failed": []},
        {"tests": {"success": False, "nodes": [{"status": "fail"}, {"status": "pass"}]}},
        [{"status": "fail", "check_name": "row_count:RAW.FARES", "details": "empty"}],
    )
    assert "quarantined `b`: missing column price" in text
    assert "| tests | False | 2 | 1 |" in text
    assert "**fail** row_count:RAW.FARES: empty" in text
