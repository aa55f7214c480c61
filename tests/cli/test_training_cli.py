"""`flightprice train --compare`, the registry and rollback, on a real synthetic market."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flightprice import registry
from flightprice.cli import app
from flightprice.registry import champion, list_models, register
from flightprice.settings import Settings
from flightprice.store import LocalStore
from flightprice.train.model import ArtifactChecksumError, train_model
from flightprice.train.run import load_training_frame, run_training
from flightprice.warehouse.duckdb import DuckDBWarehouse

pytestmark = pytest.mark.slow
runner = CliRunner()


def invoke(home, *args):
    return runner.invoke(app, ["--home", str(home), *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A home with 10 days x 10 routes ingested, transformed and quality-checked."""
    home = tmp_path_factory.mktemp("train") / "home"
    for step in (["init"], ["generate", "--days", "10", "--routes", "10", "--seed", "5"],
                 ["ingest"], ["transform"], ["quality"]):
        result = invoke(home, *step, "--json")
        assert result.exit_code == 0, (step, result.output)
    return home


@pytest.fixture(scope="module")
def first_two_runs(home):
    runs = []
    for _ in range(2):
        result = invoke(home, "train", "--compare", "--json")
        assert result.exit_code == 0, result.output
        runs.append(json.loads(result.stdout))
    return runs


def _warehouse(home) -> DuckDBWarehouse:
    return DuckDBWarehouse(home / "warehouse.duckdb")


def test_first_model_becomes_champion_and_beats_the_baselines(first_two_runs):
    first = first_two_runs[0]
    assert first["status"] == "trained" and first["decision"] == "first_champion"
    assert first["promoted"] is True
    mape = first["metrics"]["mape"]
    for name in ("route_cabin_median", "route_cabin_dtd_median"):
        assert mape < 0.8 * first["baselines"][name]["mape"], name
    assert {"mae", "rmse", "mape", "r2", "mape_dtd_lt_7"} <= set(first["metrics"])


def test_json_has_all_five_metrics_for_the_model_and_both_baselines(first_two_runs):
    for run in first_two_runs:
        columns = {"model": run["metrics"], **run["baselines"]}
        assert set(columns) == {"model", "route_cabin_median", "route_cabin_dtd_median"}
        for name, metrics in columns.items():
            for key in ("r2", "mae", "rmse", "mape", "mape_dtd_lt_7"):
                assert isinstance(metrics[key], float), (name, key)
            assert 0 < metrics["r2"] < 1 and metrics["rmse"] >= metrics["mae"] > 0, name
        assert run["metrics"]["r2"] > run["baselines"]["route_cabin_dtd_median"]["r2"]


def test_models_show_json_carries_the_model_and_baseline_metrics(home, first_two_runs):
    first = first_two_runs[0]
    result = invoke(home, "models", "show", first["version"], "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)["metrics"]
    for key in ("r2", "mae", "rmse", "mape", "mape_dtd_lt_7"):
        assert shown[key] == pytest.approx(first["metrics"][key]), key
    assert shown["baselines"] == first["baselines"]  # JSON round-trips floats exactly


def test_human_table_shows_every_metric_for_every_column(home, first_two_runs):
    result = invoke(home, "train", "--compare")
    assert result.exit_code == 0, result.output
    rows = {line.strip("│ ").split("│")[0].strip(): line.split("│")[2:-1]
            for line in result.stdout.splitlines() if line.startswith("│")}
    # challenger, champion and the two baselines, every one with a value
    for label in ("MAPE", "MAPE < 7 days", "MAE (USD)", "RMSE (USD)", "R²"):
        cells = [cell.strip() for cell in rows[label]]
        assert len(cells) == 4 and "–" not in cells, (label, cells)
    assert all(0 < float(cell) < 1 for cell in rows["R²"]), rows["R²"]


def test_holdout_mape_is_within_115_percent_of_the_noise_floor(first_two_runs):
    first = first_two_runs[0]
    assert first["noise_floor_mape"] == pytest.approx(0.08, abs=0.01)
    assert first["mape_to_noise_floor"] <= 1.15, first["metrics"]["mape"]


def test_second_run_is_compared_on_the_same_rows_and_a_decision_given(first_two_runs):
    first, second = first_two_runs
    assert second["champion_version"] == first["version"]
    assert second["champion_metrics"]["rows"] == second["metrics"]["rows"]
    assert second["decision"] in ("rejected", "would_promote")
    assert "champion MAPE" in second["reason"]


def test_registry_keeps_one_champion_and_the_history(home, first_two_runs):
    with _warehouse(home) as wh:
        entries = list_models(wh)
        assert [e.status for e in entries].count("champion") == 1
        assert {e.version for e in entries} >= {r["version"] for r in first_two_runs}
        log = wh.query_df("SELECT status, decision FROM ML_PREDICTIONS.TRAINING_LOG "
                          "ORDER BY started_at")
    assert list(log["decision"][:2]) == ["first_champion", first_two_runs[1]["decision"]]


def test_better_challenger_is_promoted_and_rollback_returns_the_previous(home, first_two_runs):
    settings = Settings(home=home)
    store = LocalStore(settings.lake)
    with _warehouse(home) as wh:
        original = champion(wh).version
        # Plant a weak champion (3 boosting rounds) so that a full model is clearly better.
        from flightprice.train.model import new_version, save_model

        weak = train_model(load_training_frame(wh), {"num_boost_round": 3}, settings.holdout_days)
        version = new_version()
        info = save_model(weak, store, version)
        register(wh, version, weak.metrics, info.model_uri, info.sha256)
        from flightprice.registry import promote

        promote(wh, version, "test: weak champion")
        outcome = run_training(settings, wh, store, run_id="t-promote", promote=True)
        assert outcome.decision == "promoted" and outcome.promoted
        assert champion(wh).version == outcome.version
        assert champion(wh).promoted_from == version
    result = invoke(home, "models", "rollback", "--reason", "test", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["version"] == version
    shown = json.loads(invoke(home, "models", "show", outcome.version, "--json").stdout)
    assert shown["status"] == "challenger" and shown["reason"] == "rolled back: test"
    result = invoke(home, "models", "rollback", "--json")
    assert json.loads(result.stdout)["version"] == original
    listed = json.loads(invoke(home, "models", "list", "--json").stdout)
    assert [m["status"] for m in listed].count("champion") == 1


def test_training_is_skipped_and_logged_when_quality_failed(home, first_two_runs):
    with _warehouse(home) as wh:
        wh.execute("INSERT INTO ML_PREDICTIONS.DATA_QUALITY_LOG (run_id, checked_at, check_name, "
                   "check_type, status) VALUES ('bad-run', now() + INTERVAL 1 HOUR, "
                   "'row_count:RAW.FARES', 'row_count', 'fail')")
    try:
        result = invoke(home, "train", "--json")
        assert result.exit_code == 7
        out = json.loads(result.stdout)
        assert out["status"] == "skipped" and "bad-run" in out["reason"]
        with _warehouse(home) as wh:
            last = wh.query_df("SELECT status, reason FROM ML_PREDICTIONS.TRAINING_LOG "
                               "ORDER BY started_at DESC LIMIT 1").iloc[0]
        assert last["status"] == "skipped" and "failed check" in last["reason"]
    finally:
        with _warehouse(home) as wh:
            wh.execute("DELETE FROM ML_PREDICTIONS.DATA_QUALITY_LOG WHERE run_id = 'bad-run'")


def test_tampered_champion_artifact_is_refused_with_a_clear_error(home, first_two_runs):
    with _warehouse(home) as wh:
        current = champion(wh).version
    path = home / "lake" / "models" / current / "model.ubj"
    original = path.read_bytes()
    path.write_bytes(original[:-1] + bytes([original[-1] ^ 0xFF]))
    try:
        result = runner.invoke(app, ["--home", str(home), "train", "--compare"])
        assert result.exit_code == 1
        message = " ".join(result.output.split())
        assert "checksum mismatch" in message and current in message
        with _warehouse(home) as wh:
            last = wh.query_df("SELECT status, reason FROM ML_PREDICTIONS.TRAINING_LOG "
                               "ORDER BY started_at DESC LIMIT 1").iloc[0]
            assert last["status"] == "failed" and "ArtifactChecksumError" in last["reason"]
            with pytest.raises(ArtifactChecksumError):
                registry.load_champion(wh, LocalStore(home / "lake"))
    finally:
        path.write_bytes(original)


def test_compare_command_scores_two_versions(home, first_two_runs):
    a, b = (r["version"] for r in first_two_runs)
    result = invoke(home, "compare", a, b, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["challenger"] == a and out["champion"] == b
    assert out["challenger_metrics"]["rows"] == out["champion_metrics"]["rows"] > 0
    assert isinstance(out["promote"], bool) and out["reason"]


def test_report_writes_self_contained_html_for_the_champion(home, first_two_runs, tmp_path):
    result = invoke(home, "report", "--out", str(tmp_path / "r"), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    html = (tmp_path / "r" / "report.html").read_text()
    assert out["version"] in html and html.count("data:image/png;base64,") >= 4
    assert {"predicted_vs_actual", "error_by_dtd", "feature_importance", "fare_curves"} <= set(
        out["pngs"])
    assert "mean |SHAP value| (log-price contribution)" in html
    for name in ("model", "route_cabin_median", "route_cabin_dtd_median"):
        assert out["metrics"][name]["r2"] is not None, name


def test_training_features_equal_the_serving_path_on_every_row(home, first_two_runs):
    """Training derives features from the ml_ rows; scoring and the API from request tables.

    The same rows read as a request table (batch scoring's and the Arrow API's path) give
    every feature column exactly as the training frame holds it.
    """
    import numpy as np

    from flightprice.features import FEATURE_COLUMNS, derive_request_features
    from flightprice.serve._request_table import request_frame

    with _warehouse(home) as wh:
        training_rows = load_training_frame(wh)
        requests = wh.query_arrow(
            "SELECT carrier, flight_number, origin, destination, cabin, stops, "
            "duration_minutes, departure_at, observed_at, capacity, seats_remaining "
            "FROM ANALYTICS.ML_TRAINING_FEATURES ORDER BY observed_at, quote_id")
    serving_rows = derive_request_features(request_frame(requests))
    assert len(training_rows) == len(serving_rows) > 10_000
    for column in FEATURE_COLUMNS:
        expected = training_rows[column]
        actual = serving_rows[column]
        if expected.dtype.kind in "fiub" or column in ("capacity", "seats_remaining"):
            assert np.array_equal(expected.to_numpy("float64"), actual.to_numpy("float64"),
                                  equal_nan=True), column
        else:
            assert (expected.astype("string") == actual.astype("string")).all(), column
