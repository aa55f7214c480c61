"""Batch scoring on a Dask cluster prices exactly as local scoring, in and out of the flow."""

from __future__ import annotations

import pandas as pd
import pytest
from distributed import Client
from prefect_dask import DaskTaskRunner

from flightprice.cli.run import load_flow
from flightprice.pricing.params import PricingParams
from flightprice.score.batch import run_scoring
from flightprice.settings import get_settings
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow

PRICED = [
    "flight_id", "cabin", "price_usd", "market_fare_usd", "demand_adjustment",
    "urgency_adjustment", "guardrail", "reasons", "previous_price_usd", "model_version",
    "unseen", "confidence", "fare_source",
]  # fmt: skip


def history(settings, run_id: str) -> pd.DataFrame:
    with open_warehouse(settings, read_only=True) as wh:
        return wh.query_df(
            "SELECT * FROM ML_PREDICTIONS.PRICE_HISTORY WHERE run_id = ? ORDER BY flight_id, cabin",
            [run_id],
        )


def task_prefixes(cluster) -> set[str]:
    """The names of every kind of task the cluster's scheduler has run."""
    with Client(cluster) as client:
        return set(
            client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
        )


def test_dask_scoring_prices_like_local_scoring(dask_cluster, champion_home, make_settings):
    settings = make_settings(champion_home, scoring_chunk_rows=700)
    # A first run publishes higher prices (a stronger urgency policy), so the compared runs
    # have a change-limit reference that binds for many flights.
    urgent = PricingParams(urgency_window_days=90, max_urgency_adjustment=0.6)
    run_scoring(settings.model_copy(update={"pricing": urgent}), mode="local", run_id="published")
    run_scoring(settings, mode="local", run_id="parity")
    local = history(settings, "parity")
    on_dask = settings.model_copy(
        update={"engine": "dask", "dask_address": dask_cluster.scheduler_address}
    )
    # The same run id again: the reference stays the "published" run's prices.
    report = run_scoring(on_dask, mode="local", run_id="parity")
    priced = history(settings, "parity")
    assert report.status == "success" and report.rows == len(local) > 1000
    assert "price_slice" in task_prefixes(dask_cluster)  # the chunks were priced on the cluster
    pd.testing.assert_frame_equal(priced[PRICED], local[PRICED])
    assert (local["guardrail"] == "max_decrease").sum() > 100  # the reference binds


def test_scoring_flow_runs_on_the_dask_task_runner(
    dask_cluster, champion_home, make_settings, monkeypatch
):
    settings = make_settings(champion_home, scoring_chunk_rows=700)
    run_scoring(settings, mode="local", run_id="local")
    local = history(settings, "local")
    for key, value in {"HOME": champion_home, "WAREHOUSE": "duckdb", "STORE": "local",
                       "ENGINE": "dask", "DASK_ADDRESS": dask_cluster.scheduler_address,
                       "SCORING_CHUNK_ROWS": 700, "NOTIFY_WEBHOOK_URL": ""}.items():  # fmt: skip
        monkeypatch.setenv(f"FLIGHTPRICE_{key}", str(value))
    get_settings.cache_clear()
    flow = load_flow(settings.flows_dir, "scoring")
    # The flow file picks the runner from FLIGHTPRICE_ENGINE; this one reuses the test cluster.
    assert isinstance(flow.task_runner, DaskTaskRunner)
    runner = DaskTaskRunner(address=dask_cluster.scheduler_address)
    try:
        state = flow.with_options(task_runner=runner)(
            mode="local", run_id="local", refresh_features=False, return_state=True
        )
    finally:
        get_settings.cache_clear()
    assert state.is_completed(), state
    assert state.result()["status"] == "success"
    assert {"score_flights", "price_slice"} <= task_prefixes(dask_cluster)
    # Re-running the local run's id on the cluster reproduced its prices exactly.
    assert len(local) > 1000
    pd.testing.assert_frame_equal(history(settings, "local")[PRICED], local[PRICED])
