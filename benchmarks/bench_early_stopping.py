"""Time the early-stopping fit against the refit, per variant, on a kept training home.

    uv run python benchmarks/bench_early_stopping.py --home benchmarks/.data/training \\
        --rows 200000 --variant '{}' --variant '{"nthread": 1}'

Reads the latest `--rows` training rows (a home kept by `bench_training.py --keep`), splits
them as training does, then for each variant (booster parameters or training options as
JSON) fits early stopping on the bounded slice (`fit_fold`) and the refit on every train row
with the scaled rounds, and prints one JSON line: rounds, CPU and wall seconds of both, the
early-stopping fit's CPU share of the refit's, and the refit's holdout MAPE.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import xgboost as xgb

from flightprice.settings import Settings
from flightprice.train._predictor import TrainedModel
from flightprice.train.model import (
    DEFAULT_OPTIONS,
    DEFAULT_PARAMS,
    _dmatrix,
    _spec,
    choose_holdout,
    early_stopping_rows,
    evaluate,
    fit_fold,
    refit_rounds,
)
from flightprice.train.run import load_training_frame
from flightprice.warehouse import open_warehouse


def timed(fn):
    """Return (fn(), CPU seconds of this process, wall seconds)."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--variant", action="append", type=json.loads, default=[])
    args = parser.parse_args()
    settings = Settings(home=args.home)
    with open_warehouse(settings, read_only=True) as wh:
        frame = load_training_frame(wh, args.rows)
    split = choose_holdout(frame, settings.holdout_days, settings.holdout_max_share)
    train = split.train.sort_values("observed_at", kind="stable")
    print(json.dumps({"train_rows": len(train), "flights": int(train["flight_key"].nunique())}))
    for variant in args.variant or [{}]:
        options = {**DEFAULT_OPTIONS, **{k: v for k, v in variant.items() if k in DEFAULT_OPTIONS}}
        params = {**DEFAULT_PARAMS, **{k: v for k, v in variant.items() if k not in options}}
        fit, valid = early_stopping_rows(train, options)
        fold, es_cpu, es_wall = timed(lambda: fit_fold(fit, valid, {**params, **options}))  # noqa: B023
        rounds = refit_rounds(fold.best_rounds, len(fit), len(train), options)
        spec = _spec(train, options)

        def refit() -> xgb.Booster:
            return xgb.train(params, _dmatrix(train, spec, options), num_boost_round=rounds)  # noqa: B023

        booster, refit_cpu, refit_wall = timed(refit)
        mape = evaluate(TrainedModel(booster, spec, "log"), split.holdout)["mape"]
        print(json.dumps({
            "variant": variant, "early_stopping_rows": len(fit) + len(valid),
            "best_rounds": fold.best_rounds, "refit_rounds": rounds,
            "es_cpu_s": round(es_cpu, 2), "es_wall_s": round(es_wall, 2),
            "refit_cpu_s": round(refit_cpu, 2), "refit_wall_s": round(refit_wall, 2),
            "es_cpu_share": round(es_cpu / refit_cpu, 3), "holdout_mape": round(mape, 5),
        }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
