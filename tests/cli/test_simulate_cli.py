"""`flightprice simulate --json`: per-policy totals, the comparison, the report; JSON on failure."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from flightprice.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("FLIGHTPRICE_"):
            monkeypatch.delenv(key)


@pytest.mark.slow  # two 20-flight simulations: ~10 s on a loaded machine
def test_simulate_json_shape_and_report(tmp_path):
    args = ["--home", str(tmp_path), "simulate", "--policy", "oracle", "--vs", "ladder",
            "--flights", "20", "--seeds", "2", "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["status"] == "ok"
    assert set(doc["policies"]) == {"oracle", "ladder"}
    for totals in doc["policies"].values():
        assert set(totals) >= {"revenue", "load_factor", "average_fare", "spill"}
        assert 0 < totals["load_factor"] <= 1
    comparison = doc["comparison"]
    low, high = comparison["ci95"]
    assert low < high
    oracle, ladder = doc["policies"]["oracle"], doc["policies"]["ladder"]
    assert comparison["revenue_uplift"] == pytest.approx(oracle["revenue"] / ladder["revenue"] - 1)
    assert comparison["load_factor_diff"] == pytest.approx(
        oracle["load_factor"] - ladder["load_factor"]
    )
    html = (tmp_path / "reports" / "simulate" / "report.html").read_text()
    assert doc["report"].endswith("report.html") and html.count("data:image/png") == 3
    # The same seeds give the same figures.
    again = json.loads(runner.invoke(app, args).stdout)
    assert again["policies"] == doc["policies"]


def test_simulate_same_policy_twice_is_a_json_error(tmp_path):
    result = runner.invoke(app, ["--home", str(tmp_path), "simulate", "--policy", "rule",
                                 "--vs", "rule", "--json"])  # fmt: skip
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["status"] == "error" and "differ" in doc["error"]["message"]
