"""Benchmark training through the pipeline against a bare `xgboost.train` on the same rows.

    uv run python benchmarks/bench_training.py                 # ~1M fare rows
    uv run python benchmarks/bench_training.py --keep          # keep (and next time reuse) the home
    uv run python benchmarks/bench_training.py --workdir W --keep --pipeline-only   # A/B: no bare
    uv run python benchmarks/bench_training.py --workdir W --keep --repeats 3       # medians

Builds a ~1M-row synthetic market, ingests and transforms it (not timed), then times, in the
same process, with the search off (the target excludes the search budget; both sides use
the default parameters):
  pipeline   = `run_training` (read ML_TRAINING_FEATURES from DuckDB, encode, choose the
               rounds by early stopping on the latest train rows, refit on every train row
               with them, score the model and both baselines on the holdout, save the UBJSON
               artifact, register, log)
  bare       = `xgboost.QuantileDMatrix` + `xgboost.train` on the same train rows with the
               same parameters and the registered model's rounds: the same model, checked
  bare_es    = the same on the fit rows with early stopping on the latest 10 % of the train
               rows under the round ceiling (the pipeline's one fit before the refit existed)
With `--repeats N` the pipeline and bare run N times, alternated, and a last line gives the
median, minimum and maximum ratio: one pair moves by up to ±5 % between runs on this kind of
machine (bare alone took 41.4-45.3 s in four quiet runs). Wall and CPU seconds (this process's user + system) both: CPU seconds are steadier when other
work shares the machine; `phases` is the pipeline's own timing by phase (`run_training`'s
`timing`: [wall, CPU] seconds, "+" marks work overlapped with another phase). Prints one
JSON line; results are recorded in README.md here.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import time
from datetime import date
from pathlib import Path
from statistics import median

import numpy as np
import xgboost as xgb

from flightprice.clock import new_run_id
from flightprice.features import to_matrix
from flightprice.ingest.load import load_raw_files
from flightprice.project import init_project
from flightprice.settings import Settings
from flightprice.store import LocalStore
from flightprice.synth.generate import generate_market
from flightprice.train.model import DEFAULT_OPTIONS, choose_holdout, load_model
from flightprice.train.run import load_training_frame, run_training
from flightprice.transform.dbt import run_dbt
from flightprice.transform.quality import run_quality_checks
from flightprice.warehouse import open_warehouse


def prepare(home: Path, routes: int, days: int) -> Settings:
    shutil.rmtree(home, ignore_errors=True)
    settings = Settings(home=home)
    init_project(settings)
    store = LocalStore(settings.lake)
    generate_market(
        store,
        start=date(2026, 9, 1),
        days=days,
        routes=routes,
        seed=7,
        quotes_per_day=1.0,
        schedules="new",
    )
    with open_warehouse(settings) as wh:
        load_raw_files(store, wh)
    assert run_dbt(settings, ["build"]).success
    run_quality_checks(settings, run_id="bench", run_tests=False)
    return settings


def timed(fn):
    """Return (fn(), wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def train_rows(settings: Settings):
    with open_warehouse(settings, read_only=True) as wh:
        frame = load_training_frame(wh)
    split = choose_holdout(frame, settings.holdout_days, settings.holdout_max_share)
    return split.train.sort_values("observed_at", kind="stable"), split.holdout


def bare_refit(
    settings: Settings, params: dict, rounds: int, spec
) -> tuple[xgb.Booster, float, float]:
    """Train with xgboost alone on every train row for `rounds`; return (booster, wall, cpu)."""
    train, _ = train_rows(settings)
    x, y = to_matrix(train, spec), np.log(train["price_usd"].to_numpy("float64"))

    def fit() -> xgb.Booster:
        dtrain = xgb.QuantileDMatrix(
            x, label=y, feature_types=spec.feature_types, enable_categorical=True
        )
        return xgb.train(params, dtrain, num_boost_round=rounds)

    return timed(fit)


def bare_early_stopping(settings: Settings, params: dict, spec) -> tuple[int, float, float]:
    """Early-stop on the latest 10 % of every train row; return (rounds, wall, cpu)."""
    train, _ = train_rows(settings)
    n_valid = max(1, math.ceil(len(train) * DEFAULT_OPTIONS["validation_fraction"]))
    fit, valid = train.iloc[:-n_valid], train.iloc[-n_valid:]
    x_fit, x_valid = to_matrix(fit, spec), to_matrix(valid, spec)
    y_fit = np.log(fit["price_usd"].to_numpy("float64"))
    y_valid = np.log(valid["price_usd"].to_numpy("float64"))

    def train_es() -> int:
        dfit = xgb.QuantileDMatrix(
            x_fit, label=y_fit, feature_types=spec.feature_types, enable_categorical=True
        )
        dvalid = xgb.QuantileDMatrix(
            x_valid,
            label=y_valid,
            feature_types=spec.feature_types,
            enable_categorical=True,
            ref=dfit,
        )
        stopping = xgb.callback.EarlyStopping(
            rounds=DEFAULT_OPTIONS["early_stopping_rounds"], data_name="validation", save_best=True
        )
        booster = xgb.train(
            params,
            dfit,
            num_boost_round=DEFAULT_OPTIONS["num_boost_round"],
            evals=[(dvalid, "validation")],
            callbacks=[stopping],
            verbose_eval=False,
        )
        return booster.num_boosted_rounds()

    return timed(train_es)


def _pipeline_result(outcome, rounds: int, wall: float, cpu: float) -> dict:
    """Return the pipeline's figures: rows, rounds, seconds, MAPE and its phase timing."""
    return {
        "training_rows": outcome.rows["train"],
        "holdout_rows": outcome.rows["holdout"],
        "early_stopping_rows": outcome.rows["fit"] + outcome.rows["validation"],
        "rounds": rounds,
        "pipeline_s": round(wall, 2),
        "pipeline_cpu_s": round(cpu, 2),
        "holdout_mape": round(outcome.metrics["mape"], 5),
        "noise_floor_mape": outcome.noise_floor_mape,
        "mape_to_noise_floor": round(outcome.mape_to_noise_floor or 0, 3),
        # run_training's own phase timing: [wall, CPU] seconds ("+": overlapped, hidden).
        "phases": {
            name + ("+" if p.get("overlapped") else ""): [
                round(p["wall_s"], 2),
                round(p["cpu_s"], 2),
            ]
            for name, p in outcome.timing.get("phases", {}).items()
        },
        "phases_other_s": outcome.timing.get("other_s"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def measure(settings: Settings, args: argparse.Namespace) -> dict | None:
    """Time the pipeline, then bare on the same rows; return the figures (None: pipeline only)."""
    with open_warehouse(settings) as wh:
        outcome, pipeline, pipeline_cpu = timed(
            lambda: run_training(
                settings, wh, LocalStore(settings.lake), run_id=new_run_id("bench")
            )
        )
    model = load_model(LocalStore(settings.lake), outcome.version)
    params = model.metadata["params"]
    rounds = model.booster.num_boosted_rounds()
    if args.pipeline_only:
        print(json.dumps(_pipeline_result(outcome, rounds, pipeline, pipeline_cpu)), flush=True)
        return None
    booster, bare, bare_cpu = bare_refit(settings, params, rounds, model.spec)
    _, holdout = train_rows(settings)
    check = to_matrix(holdout.head(10_000), model.spec)
    same_model = bool(
        np.allclose(booster.inplace_predict(check), model.booster.inplace_predict(check), rtol=1e-6)
    )
    result = {
        **_pipeline_result(outcome, rounds, pipeline, pipeline_cpu),
        "same_model_as_bare": same_model,
        "bare_s": round(bare, 2),
        "ratio": round(pipeline / bare, 3),
        "bare_cpu_s": round(bare_cpu, 2),
        "cpu_ratio": round(pipeline_cpu / bare_cpu, 3),
    }
    if not args.skip_bare_es:
        es_rounds, es, es_cpu = bare_early_stopping(settings, params, model.spec)
        result |= {
            "bare_es_rounds": es_rounds,
            "bare_es_s": round(es, 2),
            "bare_es_cpu_s": round(es_cpu, 2),
            "ratio_to_bare_es": round(pipeline / es, 3),
            "cpu_ratio_to_bare_es": round(pipeline_cpu / es_cpu, 3),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, default=40)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--workdir", type=Path, default=Path(__file__).parent / ".data")
    parser.add_argument("--keep", action="store_true", help="keep the home; reuse it next time")
    parser.add_argument(
        "--repeats", type=int, default=1, help="pipeline + bare N times, alternated"
    )
    parser.add_argument("--skip-bare-es", action="store_true", help="skip the bare_es fit")
    parser.add_argument(
        "--pipeline-only",
        action="store_true",
        help="time the pipeline only (its phases; no bare fit, no ratio): A/B of the pipeline",
    )
    args = parser.parse_args()
    home = args.workdir / "training"
    if args.keep and (home / "warehouse.duckdb").exists():
        settings = Settings(home=home)
    else:
        settings = prepare(home, args.routes, args.days)
    settings = settings.model_copy(update={"search_trials": 0})
    ratios, cpu_ratios = [], []
    for repeat in range(args.repeats):
        result = measure(settings, args)
        if result is None:
            continue
        print(json.dumps({"repeat": repeat + 1, **result}), flush=True)
        ratios.append(result["ratio"])
        cpu_ratios.append(result["cpu_ratio"])
    if len(ratios) > 1:
        summary = {"repeats": len(ratios), "ratios": ratios, "median_ratio": median(ratios),
                   "min_ratio": min(ratios), "max_ratio": max(ratios),
                   "median_cpu_ratio": median(cpu_ratios)}  # fmt: skip
        print(json.dumps(summary), flush=True)
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
