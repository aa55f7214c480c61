"""The weekly training flow under Prefect: gate, train, decide, deploy (local), artifact."""

from __future__ import annotations

from datetime import date

import pytest

from flightprice.cli.run import load_flow
from flightprice.ingest.load import load_raw_files
from flightprice.project import init_project
from flightprice.settings import get_settings
from flightprice.store import open_store
from flightprice.synth.generate import generate_market
from flightprice.transform.dbt import run_dbt
from flightprice.transform.quality import run_quality_checks
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture
def prepared(settings, monkeypatch):
    """A home whose warehouse is loaded, transformed and quality-checked (without Prefect)."""
    monkeypatch.setenv("FLIGHTPRICE_API_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("FLIGHTPRICE_HOLDOUT_DAYS", "2")  # six days of data: train on four
    get_settings.cache_clear()
    init_project(settings)
    store = open_store(settings)
    generate_market(store, start=date(2026, 9, 1), days=6, routes=4, seed=2)
    with open_warehouse(settings) as wh:
        load_raw_files(store, wh)
    assert run_dbt(settings, ["build"]).success
    run_quality_checks(settings, run_id="q-1", run_tests=False)
    yield settings
    get_settings.cache_clear()


def test_training_flow_trains_promotes_first_model_and_deploys_locally(prepared):
    flow = load_flow(prepared.flows_dir, "training")
    state = flow(refresh=False, return_state=True)
    assert state.is_completed(), state
    result = state.result()
    assert result["status"] == "trained" and result["decision"] == "first_champion"
    assert result["deployed"]["version"] == result["version"]
    assert result["deployed"]["api_reloaded"] is False  # no API running: it loads at start
    assert result["report"].endswith("report.html")
    assert result["demand"] is None  # no bookings feed: nothing to learn demand from
    with open_warehouse(prepared, read_only=True) as wh:
        champ = wh.query_df("SELECT version FROM ML_PREDICTIONS.MODEL_REGISTRY "
                            "WHERE status = 'champion'")
    assert list(champ["version"]) == [result["version"]]

    markdown = flow.fn.__globals__["comparison_markdown"]
    from flightprice.train.run import TrainingOutcome

    text = markdown(TrainingOutcome(**{k: v for k, v in result.items()
                                       if k not in ("deployed", "mape_to_noise_floor", "demand",
                                                    "report")}),
                    result["deployed"])
    assert "first_champion" in text and "| mape |" in text


def test_training_flow_skips_when_the_quality_gate_is_closed(prepared):
    with open_warehouse(prepared) as wh:
        wh.execute("INSERT INTO ML_PREDICTIONS.DATA_QUALITY_LOG (run_id, checked_at, check_name, "
                   "check_type, status) VALUES ('q-2', now() + INTERVAL 1 HOUR, 'x', "
                   "'row_count', 'fail')")
    # The planted failure is the latest quality run (an hour ahead), so the gate closes.
    flow = load_flow(prepared.flows_dir, "training")
    state = flow(refresh=False, return_state=True)
    assert state.is_completed(), state
    result = state.result()
    assert result["status"] == "skipped" and "q-2" in result["reason"]
    assert result["deployed"] is None and result["version"] is None
    with open_warehouse(prepared, read_only=True) as wh:
        log = wh.query_df("SELECT status FROM ML_PREDICTIONS.TRAINING_LOG")
        models = wh.query_df("SELECT COUNT(*) AS n FROM ML_PREDICTIONS.MODEL_REGISTRY")
    assert list(log["status"]) == ["skipped"] and models["n"][0] == 0
