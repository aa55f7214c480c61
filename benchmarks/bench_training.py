"""Benchmark training through the pipeline against a bare `xgboost.train` on the same matrix.

    uv run python benchmarks/bench_training.py            # ~1M fare rows

Builds a ~1M-row synthetic market, ingests and transforms it (not timed), then times
  pipeline = `run_training` (read ML_TRAINING_FEATURES from DuckDB, encode, train with early
             stopping, refit on every train row with the chosen rounds, score the model and
             both baselines on the holdout, save the UBJSON artifact, register, log)
  bare     = `xgboost.QuantileDMatrix` + `xgboost.train` on the same fit rows with the same
             params and options: the same round limit and early stopping on the same
             validation set, so both train the same rounds (30 past the best one)
in the same process, and prints one JSON line. Results are recorded in README.md here.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import time
from datetime import date
from pathlib import Path

import numpy as np
import xgboost as xgb

from flightprice.features import build_spec, to_matrix
from flightprice.ingest.load import load_raw_files
from flightprice.train.model import DEFAULT_OPTIONS, DEFAULT_PARAMS, choose_holdout
from flightprice.project import init_project
from flightprice.transform.quality import run_quality_checks
from flightprice.settings import Settings
from flightprice.store import LocalStore
from flightprice.synth.generate import generate_market
from flightprice.train.run import load_training_frame, run_training
from flightprice.transform.dbt import run_dbt
from flightprice.warehouse import open_warehouse


def prepare(home: Path, routes: int, days: int) -> Settings:
    shutil.rmtree(home, ignore_errors=True)
    settings = Settings(home=home)
    init_project(settings)
    store = LocalStore(settings.lake)
    generate_market(store, start=date(2026, 9, 1), days=days, routes=routes, seed=7,
                    quotes_per_day=1.0, schedules="new")
    with open_warehouse(settings) as wh:
        load_raw_files(store, wh)
    assert run_dbt(settings, ["build"]).success
    run_quality_checks(settings, run_id="bench", run_tests=False)
    return settings


def bare_train(settings: Settings) -> tuple[float, int, int]:
    """Train with xgboost alone on the pipeline's fit rows; return (seconds, rows, rounds)."""
    with open_warehouse(settings) as wh:
        frame = load_training_frame(wh)
    split = choose_holdout(frame, settings.holdout_days, settings.holdout_max_share)
    train = split.train.sort_values("observed_at", kind="stable")
    n_valid = max(1, math.ceil(len(train) * DEFAULT_OPTIONS["validation_fraction"]))
    fit, valid = train.iloc[:-n_valid], train.iloc[-n_valid:]
    spec = build_spec(train, min_rows={"flight_key": settings.flight_min_rows})
    x_fit, x_valid = to_matrix(fit, spec), to_matrix(valid, spec)
    y_fit = np.log(fit["price_usd"].to_numpy("float64"))
    y_valid = np.log(valid["price_usd"].to_numpy("float64"))
    start = time.perf_counter()
    dfit = xgb.QuantileDMatrix(x_fit, label=y_fit, feature_types=spec.feature_types,
                               enable_categorical=True)
    dvalid = xgb.QuantileDMatrix(x_valid, label=y_valid, feature_types=spec.feature_types,
                                 enable_categorical=True, ref=dfit)
    stopping = xgb.callback.EarlyStopping(
        rounds=DEFAULT_OPTIONS["early_stopping_rounds"], data_name="validation", save_best=True)
    booster = xgb.train(DEFAULT_PARAMS, dfit, num_boost_round=DEFAULT_OPTIONS["num_boost_round"],
                        evals=[(dvalid, "validation")], callbacks=[stopping], verbose_eval=False)
    return time.perf_counter() - start, len(fit), booster.num_boosted_rounds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, default=40)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--workdir", type=Path, default=Path(__file__).parent / ".data")
    args = parser.parse_args()
    settings = prepare(args.workdir / "training", args.routes, args.days)
    with open_warehouse(settings) as wh:
        start = time.perf_counter()
        outcome = run_training(settings, wh, LocalStore(settings.lake), run_id="bench")
        pipeline = time.perf_counter() - start
    meta = json.loads((settings.lake / "models" / outcome.version / "metadata.json").read_text())
    bare, fit_rows, bare_rounds = bare_train(settings)
    print(json.dumps({
        "training_rows": outcome.rows["train"], "holdout_rows": outcome.rows["holdout"],
        "fit_rows": fit_rows, "rounds": meta["num_boosted_rounds"], "bare_rounds": bare_rounds,
        "pipeline_s": round(pipeline, 2), "bare_xgboost_s": round(bare, 2),
        "ratio": round(pipeline / bare, 2), "holdout_mape": round(outcome.metrics["mape"], 4),
        "noise_floor_mape": outcome.noise_floor_mape,
        "mape_to_noise_floor": round(outcome.mape_to_noise_floor or 0, 3),
    }))
    shutil.rmtree(args.workdir / "training", ignore_errors=True)


if __name__ == "__main__":
    main()
