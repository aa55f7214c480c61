"""The model-quality benchmark runs end to end on a tiny market and reports both models."""

from __future__ import annotations

import importlib.util
import json
import math
import os
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "benchmarks" / "bench_model_quality.py"

pytestmark = pytest.mark.slow  # generate, ingest, dbt build and two trainings


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_model_quality", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ~15 s of CPU (dbt's fixed cost is most of it); the limit guards against a hang and leaves
# room for a loaded machine (2 cores shared: 60 s of wall time at load average 14).
@pytest.mark.timeout(180)
def test_benchmark_compares_both_models_on_the_same_rows(tmp_path, monkeypatch, capsys):
    for key in list(os.environ):
        if key.startswith("FLIGHTPRICE_"):
            monkeypatch.delenv(key)
    # A 4-day market: hold out at most 2 days (the default 7 would leave no training rows).
    monkeypatch.setenv("FLIGHTPRICE_HOLDOUT_DAYS", "2")
    _bench_module().main(["--days", "4", "--routes", "3", "--workdir", str(tmp_path)])

    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"pipeline", "plain_xgboost", "ratio_pipeline_to_plain", "noise_floor_mape",
            "mape_to_noise_floor", "train_rows", "holdout_rows"} <= result.keys()
    assert result["train_rows"] > 0 and result["holdout_rows"] > 0
    for name in ("pipeline", "plain_xgboost"):
        model = result[name]
        assert {"r2", "mape", "rmse", "mae", "rows", "seconds"} <= model.keys()
        assert model["rows"] == result["train_rows"]
        # Both learn the market: far better than a constant price, not better than its noise.
        assert model["r2"] > 0.5
        assert result["noise_floor_mape"] * 0.8 < model["mape"] < 0.5
    ratio = result["ratio_pipeline_to_plain"]["mape"]
    expected = result["pipeline"]["mape"] / result["plain_xgboost"]["mape"]
    assert math.isclose(ratio, expected, rel_tol=1e-2)
    assert not list(tmp_path.iterdir())  # the benchmark's home is cleaned up
