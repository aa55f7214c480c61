"""`flightprice monitor`: a scored run measured from the CLI, its rows and report."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow


def test_monitor_measures_the_latest_run_and_writes_its_report(champion_home, make_settings,
                                                                 monkeypatch):  # fmt: skip
    for key in list(os.environ):
        if key.startswith("FLIGHTPRICE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("FLIGHTPRICE_MLFLOW_TRACKING", "false")
    runner = CliRunner()
    home = ["--home", str(champion_home)]
    assert runner.invoke(app, [*home, "score", "--mode", "local", "--run-id", "s-1"]).exit_code == 0
    result = runner.invoke(app, [*home, "monitor", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["run_id"] == "s-1" and out["model_version"] == "v-test-1"
    names = {(c["kind"], c["name"]) for c in out["checks"]}
    assert {("input_drift", "load_factor"), ("unseen", "route"), ("output_drift", "price_usd"),
            ("accuracy", "overall")} <= names  # fmt: skip
    assert os.path.isfile(out["report"])
    with open_warehouse(make_settings(champion_home), read_only=True) as wh:
        rows = wh.query_df("SELECT run_id, COUNT(*) AS n FROM ML_PREDICTIONS.MODEL_MONITORING "
                           "GROUP BY run_id")  # fmt: skip
    assert rows.to_dict("records") == [{"run_id": "s-1", "n": len(out["checks"])}]
    missing = runner.invoke(app, [*home, "monitor", "no-such-run", "--json"])
    assert missing.exit_code == 1
    assert "no successful SCORING_LOG row" in json.loads(missing.stdout)["error"]["message"]
