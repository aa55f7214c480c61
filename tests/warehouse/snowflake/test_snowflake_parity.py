"""Parity: the same synthetic days through the CLI on DuckDB and on the Snowflake stand-in.

`init -> ingest -> transform -> quality -> train -> score --mode local`, each a `flightprice`
command selected by FLIGHTPRICE_* variables only, must give the same row counts, the same
dbt results, the same features and the same prices (to rounding) on both warehouses.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fakesnow_standin import stand_in_env, stand_in_settings
from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.features import TRAINING_TABLE_COLUMNS
from flightprice.settings import Settings
from flightprice.store import LocalStore
from flightprice.synth.generate import generate_market
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.snowflake

START, DAYS, ROUTES, SEED = date(2026, 9, 1), 6, 3, 11
# The search runs a fixed number of trials with no clock: a time budget ends it after a
# different trial on each side when the machine is busy (a flaky MAE, seen under load).
COMMON_ENV = {"FLIGHTPRICE_HOLDOUT_DAYS": "2", "FLIGHTPRICE_STORE": "local",
              "FLIGHTPRICE_SEARCH_TRIALS": "2", "FLIGHTPRICE_SEARCH_TIMEOUT_SECONDS": "3600"}
RAW_TABLES = ("RAW.FARES", "RAW.SCHEDULES", "RAW.CURRENCY_RATES", "RAW.BOOKINGS",
              "RAW.LOAD_MANIFEST")
PRICE_COLUMNS = ["flight_id", "cabin", "departure_at", "days_to_departure", "price_usd",
                 "market_fare_usd", "demand_adjustment", "urgency_adjustment", "guardrail",
                 "previous_price_usd", "as_of"]  # fmt: skip


@dataclass
class PipelineRun:
    """What one warehouse made of the same raw files."""

    settings: Settings
    outputs: dict[str, Any]
    counts: dict[str, int]
    training_features: pd.DataFrame
    scoring_features: pd.DataFrame
    prices: pd.DataFrame


def cli(env: dict[str, str | None], *args: str) -> Any:
    """Run one `flightprice ... --json` command in this process; return its JSON output."""
    result = CliRunner().invoke(app, [*args, "--json"], env=env)
    assert result.exit_code == 0, f"{args}: exit {result.exit_code}\n{result.output}"
    return json.loads(result.stdout)


def run_pipeline(settings: Settings, env: dict[str, str], raw_lake: Path) -> PipelineRun:
    # Hide the developer's FLIGHTPRICE_* variables; only `env` selects the backends.
    full_env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("FLIGHTPRICE_")}
    full_env |= {**COMMON_ENV, **env}
    shutil.copytree(raw_lake, settings.lake)
    outputs = {
        "init": cli(full_env, "init"),
        "ingest": cli(full_env, "ingest"),
        # --unit-tests: the daily default leaves them to CI; this test compares them too.
        "transform": cli(full_env, "transform", "--unit-tests"),
        "quality": cli(full_env, "quality", "--no-tests"),
        "train": cli(full_env, "train"),
        "score": cli(full_env, "score", "--mode", "local", "--run-id", "parity-score"),
    }
    with open_warehouse(settings) as wh:
        # Views from information_schema.views: the stand-in lists only tables in .tables.
        tables = wh.query_df(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('STAGING', 'ANALYTICS') AND table_type = 'BASE TABLE' "
            "UNION SELECT table_schema, table_name FROM information_schema.views "
            "WHERE table_schema IN ('STAGING', 'ANALYTICS')"
        )
        names = [*RAW_TABLES, *(f"{s}.{t}".upper() for s, t in tables.itertuples(index=False))]
        counts = {
            name: int(wh.query_df(f"SELECT COUNT(*) AS n FROM {name}")["n"][0]) for name in names
        }
        # The columns training reads: transformed_at says when each run built the table.
        training = wh.query_df(f"SELECT {', '.join(TRAINING_TABLE_COLUMNS)} "
                               "FROM ANALYTICS.ML_TRAINING_FEATURES ORDER BY quote_id")  # fmt: skip
        scoring = wh.query_df(
            "SELECT * FROM ANALYTICS.ML_SCORING_FEATURES ORDER BY flight_id, cabin"
        )
        prices = wh.query_df(
            f"SELECT {', '.join(PRICE_COLUMNS)} FROM ML_PREDICTIONS.FLIGHT_PRICES "
            "ORDER BY flight_id, cabin"
        )
    return PipelineRun(settings, outputs, counts, training, scoring, prices)


@pytest.fixture(scope="module")
def raw_lake(tmp_path_factory) -> Path:
    """The raw files of a small synthetic market, written once."""
    lake = tmp_path_factory.mktemp("parity") / "lake"
    generate_market(LocalStore(lake), start=START, days=DAYS, routes=ROUTES, seed=SEED,
                    schedules="new", bookings=True)  # fmt: skip
    return lake


@pytest.fixture(scope="module")
def duckdb_run(raw_lake, tmp_path_factory) -> PipelineRun:
    home = tmp_path_factory.mktemp("duckdb") / "home"
    settings = Settings(home=home, warehouse="duckdb", store="local")
    return run_pipeline(settings, {"FLIGHTPRICE_HOME": str(home),
                                   "FLIGHTPRICE_WAREHOUSE": "duckdb"}, raw_lake)  # fmt: skip


@pytest.fixture(scope="module")
def snowflake_run(raw_lake, fakesnow_server, tmp_path_factory) -> PipelineRun:
    settings = stand_in_settings(fakesnow_server, tmp_path_factory.mktemp("snowflake") / "home")
    return run_pipeline(settings, stand_in_env(settings), raw_lake)


def test_every_step_ran_and_loaded_everything(duckdb_run, snowflake_run):
    for run in (duckdb_run, snowflake_run):
        totals = run.outputs["ingest"]["totals"]
        # schedules, fares and bookings each day
        assert totals["files_loaded"] == 3 * DAYS and totals["files_quarantined"] == 0
        assert run.outputs["transform"]["success"]
        assert run.outputs["train"]["status"] == "trained"
        assert run.outputs["score"]["status"] == "success"
    assert snowflake_run.outputs["init"]["warehouse"].startswith("snowflake://fakesnow/")


def test_same_row_counts_in_raw_and_every_dbt_table(duckdb_run, snowflake_run):
    assert len(duckdb_run.counts) > len(RAW_TABLES) + 10  # seeds, staging, intermediate, marts, ml
    assert {"STAGING.STG_RAW__FARES", "STAGING.INT_FARES_DEDUPLICATED"} <= set(duckdb_run.counts)
    assert snowflake_run.counts == duckdb_run.counts
    # The clean market delivers no rates feed: the shipped seed converts its USD fares.
    feed = {"RAW.CURRENCY_RATES", "STAGING.STG_RAW__CURRENCY_RATES"}
    assert {name: duckdb_run.counts[name] for name in feed} == dict.fromkeys(feed, 0)
    assert all(n > 0 for name, n in duckdb_run.counts.items() if name not in feed)


def test_same_dbt_results(duckdb_run, snowflake_run):
    def results(run: PipelineRun, kinds: tuple[str, ...]) -> dict[str, tuple]:
        nodes = run.outputs["transform"]["nodes"]
        return {n["unique_id"]: (n["status"], n["failures"]) for n in nodes
                if n["resource_type"] in kinds}  # fmt: skip

    kinds = ("seed", "model", "test")
    assert results(snowflake_run, kinds) == results(duckdb_run, kinds)
    assert len(results(duckdb_run, ("test",))) > 50
    # Unit tests run on DuckDB only: the stand-in cannot create their temporary tables.
    assert results(duckdb_run, ("unit_test",)) and not results(snowflake_run, ("unit_test",))
    assert all(status == "pass" for status, _ in results(duckdb_run, ("unit_test",)).values())


def test_same_quality_metrics(duckdb_run, snowflake_run):
    # Freshness and the data clock are measured against each run's own load time.
    def metrics(run: PipelineRun) -> dict[str, tuple]:
        return {c["check_name"]: (c["status"], c["rows_checked"], c["metric_value"])
                for c in run.outputs["quality"]["checks"]
                if c["check_type"] not in ("freshness", "clock")}

    def statuses(run: PipelineRun) -> dict[str, tuple]:
        return {c["check_name"]: (c["status"], c["severity"])
                for c in run.outputs["quality"]["checks"]}

    assert metrics(snowflake_run) == metrics(duckdb_run)
    assert statuses(snowflake_run) == statuses(duckdb_run)
    assert snowflake_run.outputs["quality"]["failed"] == 0


def assert_same_frame(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert list(left.columns) == list(right.columns)
    assert len(left) == len(right) > 0
    for column in left.columns:
        a, b = left[column], right[column]
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-9,
                                       equal_nan=True, err_msg=column)  # fmt: skip
        else:
            assert a.isna().tolist() == b.isna().tolist(), column
            assert a.dropna().tolist() == b.dropna().tolist(), column


def test_same_training_and_scoring_features(duckdb_run, snowflake_run):
    assert_same_frame(duckdb_run.training_features, snowflake_run.training_features)
    assert_same_frame(duckdb_run.scoring_features, snowflake_run.scoring_features)


def test_same_model_quality_and_same_prices(duckdb_run, snowflake_run):
    duck, snow = duckdb_run.outputs["train"], snowflake_run.outputs["train"]
    assert snow["rows"] == duck["rows"]
    assert snow["decision"] == duck["decision"] == "first_champion"
    for name, value in duck["metrics"].items():
        assert snow["metrics"][name] == pytest.approx(value, rel=1e-6), name
    assert snowflake_run.outputs["score"]["rows"] == duckdb_run.outputs["score"]["rows"] > 0
    cents = {"price_usd": 2, "market_fare_usd": 2, "previous_price_usd": 2}
    assert_same_frame(duckdb_run.prices.round(cents), snowflake_run.prices.round(cents))
