"""Benchmark how the refit's rounds follow from early stopping on a bounded slice of rows.

    uv run python benchmarks/bench_refit_rounds.py --profile realistic --seed 7
    uv run python benchmarks/bench_refit_rounds.py --home benchmarks/.data/training  # a kept home

Builds a market like `bench_model_quality.py` (or reads the training table of a kept home),
splits it like the pipeline (`choose_holdout`), and on the train rows:
  full    = early stopping on the latest 10 % of every train row (the refit's rounds before
            the bounded slice; ~1x a bare fit on top of the refit)
  es@N    = early stopping on the latest N train rows only (N: each `--es-rows`), whose
            rounds are scaled to the refit by none (x1), sqrt (x sqrt(train / fit rows)) or
            linear (x train / fit rows), under the round ceiling
  plain   = `bench_model_quality.py`'s plain XGBoost on the same rows
One refit on every train row runs the most rounds any rule asks for; the holdout MAPE of a
rule is that refit's first R trees (boosting is sequential: the same model as a refit with R
rounds), so every rule is scored on the same trees. CPU seconds (this process) per fit say
what early stopping costs next to the refit. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb
from bench_model_quality import prepare, train_plain

from flightprice.features import TARGET_COLUMN, TIME_COLUMN, build_spec, to_matrix
from flightprice.settings import Settings
from flightprice.train.model import (
    DEFAULT_OPTIONS,
    DEFAULT_PARAMS,
    choose_holdout,
    early_stopping_rows,
    fit_fold,
)
from flightprice.train.run import load_training_frame
from flightprice.warehouse import open_warehouse

SCALING = {"none": 0.0, "sqrt": 0.5, "linear": 1.0}  # rounds x (train / fit rows) ** exponent


def cpu_timed(fn):
    """Return (fn(), CPU seconds of this process)."""
    start = time.process_time()
    result = fn()
    return result, time.process_time() - start


def holdout_mape(
    booster: xgb.Booster, matrix: np.ndarray, actual: np.ndarray, rounds: int
) -> float:
    """Return the MAPE of the booster's first `rounds` trees on the holdout (log target)."""
    raw = booster.inplace_predict(matrix, iteration_range=(0, rounds), missing=np.nan)
    return float(np.mean(np.abs(np.exp(raw.astype("float64")) - actual) / actual))


def compare(frame: pd.DataFrame, settings: Settings, es_rows: list[int]) -> dict[str, Any]:
    """Run every early-stopping variant and the shared refit; return the JSON-ready figures."""
    split = choose_holdout(frame, settings.holdout_days, settings.holdout_max_share)
    train = split.train.sort_values(TIME_COLUMN, kind="stable")
    holdout = split.holdout
    options = {**DEFAULT_OPTIONS, "flight_min_rows": settings.flight_min_rows}
    ceiling = int(options["num_boost_round"])
    variants: dict[str, dict[str, Any]] = {}
    for cap in [None, *es_rows]:
        if cap is not None and cap >= len(train):
            continue
        fit, valid = early_stopping_rows(train, {**options, "early_stopping_max_rows": cap})
        fold, cpu = cpu_timed(lambda: fit_fold(fit, valid, {**DEFAULT_PARAMS, **options}))  # noqa: B023
        ratio = len(train) / len(fit)
        rules = (
            {"full": fold.best_rounds}
            if cap is None
            else {
                name: max(fold.best_rounds, min(ceiling, round(fold.best_rounds * ratio**power)))
                for name, power in SCALING.items()
            }
        )
        variants["full" if cap is None else f"es@{cap}"] = {
            "fit_rows": len(fit),
            "best_rounds": fold.best_rounds,
            "es_cpu_s": round(cpu, 2),
            "rounds": rules,
        }
    most = max(r for v in variants.values() for r in v["rounds"].values())
    spec = build_spec(train, min_rows={"flight_key": options["flight_min_rows"]})
    label = np.log(train[TARGET_COLUMN].to_numpy("float64"))

    def refit() -> xgb.Booster:
        dtrain = xgb.QuantileDMatrix(
            to_matrix(train, spec),
            label=label,
            feature_types=spec.feature_types,
            enable_categorical=True,
        )
        return xgb.train(DEFAULT_PARAMS, dtrain, num_boost_round=most)

    booster, refit_cpu = cpu_timed(refit)
    per_round = refit_cpu / most
    matrix = to_matrix(holdout, spec)
    actual = holdout[TARGET_COLUMN].to_numpy("float64")
    for variant in variants.values():
        variant["mape"] = {
            rule: round(holdout_mape(booster, matrix, actual, r), 5)
            for rule, r in variant["rounds"].items()
        }
        # What early stopping adds to a bare refit of the rule's rounds (CPU, same run).
        variant["es_cost_to_refit"] = {
            rule: round(variant["es_cpu_s"] / (per_round * r), 3)
            for rule, r in variant["rounds"].items()
        }
    grid = sorted({max(1, round(most * k / 20)) for k in range(1, 21)})
    curve = {r: holdout_mape(booster, matrix, actual, r) for r in grid}
    best = min(curve, key=curve.__getitem__)
    plain_prices, _ = train_plain(train, holdout)
    plain_mape = float(np.mean(np.abs(plain_prices - actual) / actual))
    return {
        "train_rows": len(train),
        "holdout_rows": len(holdout),
        "refit_rounds": most,
        "refit_cpu_s": round(refit_cpu, 2),
        "variants": variants,
        "holdout_best_rounds_on_grid": best,
        "holdout_best_mape": round(curve[best], 5),
        "plain_mape": round(plain_mape, 5),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("realistic", "clean"), default="realistic")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--routes", type=int, default=40)
    parser.add_argument("--quotes-per-day", type=float, default=0.2)
    parser.add_argument("--noise-sigma", type=float, default=0.10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--es-rows",
        type=int,
        nargs="+",
        default=[100_000],
        help="early-stopping slice sizes to compare (latest train rows)",
    )
    parser.add_argument("--home", type=Path, default=None, help="a kept home to read instead")
    parser.add_argument("--workdir", type=Path, default=Path(__file__).parent / ".data")
    args = parser.parse_args(argv)
    args.raw_dir = None
    if args.home:
        settings, home = Settings(home=args.home), None
    else:
        args.workdir.mkdir(parents=True, exist_ok=True)
        home = Path(tempfile.mkdtemp(prefix="refit_rounds-", dir=args.workdir))
    try:
        if home is not None:
            settings, _ = prepare(home, args)
        with open_warehouse(settings, read_only=True) as wh:
            frame = load_training_frame(wh)
        data = (
            "kept home"
            if args.home
            else (
                f"{args.profile} seed {args.seed}, {args.days} d x {args.routes} routes, "
                f"{args.quotes_per_day} quotes/day, noise {args.noise_sigma}"
            )
        )
        print(json.dumps({"data": data, **compare(frame, settings, args.es_rows)}), flush=True)
    finally:
        if home is not None:
            shutil.rmtree(home, ignore_errors=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
