"""Benchmark the pipeline's model against a plain XGBoost on the same train and holdout rows.

    uv run python benchmarks/bench_model_quality.py                    # realistic, 30 days x 40 routes
    uv run python benchmarks/bench_model_quality.py --profile clean
    uv run python benchmarks/bench_model_quality.py --raw-dir PATH     # your own raw-data/ feeds

Builds a market (or copies `--raw-dir`, laid out as raw-data/<feed>/<day>/<file>), ingests it
and builds the dbt models (tests excluded), then
  pipeline = `run_training` with the pipeline's defaults (what `flightprice train` runs:
             its own holdout, early stopping, refit or search, whatever the code does today);
             the registered model is loaded back and scored
  plain    = `xgboost.train` on the contract columns plus the flight (carrier + flight
             number) as pandas categoricals: 600 rounds, depth 7, eta 0.05, log price, no
             early stopping
Both train on the rows before the pipeline's holdout cutoff and are scored on the rows from
it (the cutoff the pipeline recorded), with the same metric code. Prints one JSON line;
results are recorded in README.md here. Accuracy is load-independent; seconds are not.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from flightprice.ingest import load_raw_files
from flightprice.project import init_project
from flightprice.settings import Settings
from flightprice.store import LocalStore
from flightprice.synth import generate_market, read_market_summary
from flightprice.train import load_model, load_training_frame, run_training
from flightprice.transform import run_dbt
from flightprice.warehouse import open_warehouse

PLAIN_PARAMS: dict[str, Any] = {
    "objective": "reg:squarederror",
    "tree_method": "hist",
    "max_depth": 7,
    "eta": 0.05,
    "seed": 42,
}
PLAIN_ROUNDS = 600
PLAIN_CATEGORICAL = ("route", "carrier", "cabin", "flight")
PLAIN_NUMERIC = ("stops", "duration_minutes", "departure_hour", "departure_weekday",
                 "departure_month", "departure_day_of_year", "days_to_departure")
# Targets from issue 11: pipeline MAPE <= 1.0x plain, <= 1.1x the market's noise floor.
TARGET_TO_PLAIN = 1.0
TARGET_TO_NOISE_FLOOR = 1.1


def prepare(home: Path, args: argparse.Namespace) -> tuple[Settings, LocalStore]:
    """Write the raw files into a fresh home, ingest them and build the dbt models."""
    shutil.rmtree(home, ignore_errors=True)
    settings = Settings(home=home)
    init_project(settings)
    store = LocalStore(settings.lake)
    if args.raw_dir:
        source = args.raw_dir / "raw-data" if (args.raw_dir / "raw-data").is_dir() else args.raw_dir
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            store.write_bytes(f"raw-data/{path.relative_to(source).as_posix()}", path.read_bytes())
    else:
        generate_market(store, start=date(2026, 9, 1), days=args.days, routes=args.routes,
                        seed=args.seed, quotes_per_day=args.quotes_per_day, schedules="new",
                        profile=args.profile, noise_sigma=args.noise_sigma)
    with open_warehouse(settings) as wh:
        load_raw_files(store, wh)
    result = run_dbt(settings, ["build", "--exclude", "resource_type:test",
                                "resource_type:unit_test"])
    if not result.success:
        raise SystemExit("dbt build failed")
    return settings, store


def plain_features(frame: pd.DataFrame, categories: dict[str, pd.Index] | None = None
                   ) -> tuple[pd.DataFrame, dict[str, pd.Index]]:
    """Return the plain model's inputs; categories come from the training rows when given."""
    departure = pd.to_datetime(frame["departure_at"])
    observed = pd.to_datetime(frame["observed_at"])
    raw = {
        "route": frame["origin"].astype(str) + "-" + frame["destination"].astype(str),
        "carrier": frame["carrier"].astype(str),
        "cabin": frame["cabin"].astype(str),
        "flight": frame["carrier"].astype(str) + frame["flight_number"].astype(str),
    }
    out = pd.DataFrame(index=frame.index)
    categories = dict(categories or {})
    for name in PLAIN_CATEGORICAL:
        # An unseen value becomes missing (NaN), as in any model fitted on the training rows.
        categories.setdefault(name, pd.Index(sorted(raw[name].unique())))
        out[name] = pd.Categorical(raw[name], categories=categories[name])
    out["stops"] = frame["stops"].astype("float64")
    out["duration_minutes"] = frame["duration_minutes"].astype("float64")
    out["departure_hour"] = departure.dt.hour + departure.dt.minute / 60
    out["departure_weekday"] = departure.dt.day_of_week
    out["departure_month"] = departure.dt.month
    out["departure_day_of_year"] = departure.dt.day_of_year
    out["days_to_departure"] = (departure - observed).dt.total_seconds() / 86400
    return out[list(PLAIN_CATEGORICAL + PLAIN_NUMERIC)], categories


def train_plain(train: pd.DataFrame, holdout: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Fit the plain XGBoost on `train`; return its holdout prices and the training seconds."""
    start = time.perf_counter()
    x_train, categories = plain_features(train)
    dtrain = xgb.DMatrix(x_train, label=np.log(train["price_usd"].to_numpy("float64")),
                         enable_categorical=True)
    booster = xgb.train(PLAIN_PARAMS, dtrain, num_boost_round=PLAIN_ROUNDS)
    seconds = time.perf_counter() - start
    x_holdout, _ = plain_features(holdout, categories)
    predicted = booster.predict(xgb.DMatrix(x_holdout, enable_categorical=True))
    return np.exp(predicted.astype("float64")), seconds


def metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Return R², MAPE (a fraction), RMSE and MAE of `predicted` prices."""
    error = predicted - actual
    return {
        "r2": float(1 - np.sum(error**2) / np.sum((actual - actual.mean()) ** 2)),
        "mape": float(np.mean(np.abs(error) / actual)),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": float(np.mean(np.abs(error))),
    }


def run(args: argparse.Namespace, home: Path) -> dict[str, Any]:
    """Prepare the data in `home`, train both models and return the JSON-ready comparison."""
    settings, store = prepare(home, args)
    with open_warehouse(settings) as wh:
        start = time.perf_counter()
        outcome = run_training(settings, wh, store, run_id="bench-quality", check_quality=False)
        pipeline_s = time.perf_counter() - start
        # The frame the pipeline read (same row limit), split at the cutoff it recorded.
        frame = load_training_frame(wh, settings.max_training_rows)
    model = load_model(store, outcome.version)
    cutoff = pd.Timestamp(outcome.window["holdout_start"])
    later = (pd.to_datetime(frame["observed_at"]) >= cutoff).to_numpy()
    train, holdout = frame.loc[~later], frame.loc[later]
    if (len(train), len(holdout)) != (outcome.rows["train"], outcome.rows["holdout"]):
        raise SystemExit(f"split differs from the pipeline's: {len(train)}/{len(holdout)} "
                         f"rows vs {outcome.rows}")
    actual = holdout["price_usd"].to_numpy("float64")
    pipeline = {**metrics(actual, model.predict(holdout)), "rows": len(train),
                "seconds": round(pipeline_s, 2),
                "rounds": model.booster.num_boosted_rounds()}
    plain_prices, plain_s = train_plain(train, holdout)
    plain = {**metrics(actual, plain_prices), "rows": len(train), "seconds": round(plain_s, 2),
             "rounds": PLAIN_ROUNDS}
    market = read_market_summary(store)
    floor = market["noise_floor_mape"] if market else None
    ratio = {key: pipeline[key] / plain[key] for key in ("mape", "rmse", "mae", "r2")}
    return {
        "data": str(args.raw_dir) if args.raw_dir else f"synthetic {args.profile}",
        "days": None if args.raw_dir else args.days,
        "routes": None if args.raw_dir else args.routes,
        "train_rows": len(train), "holdout_rows": len(holdout),
        "holdout_start": cutoff.isoformat(), "holdout_end": outcome.window.get("holdout_end"),
        "pipeline": _rounded(pipeline), "plain_xgboost": _rounded(plain),
        "ratio_pipeline_to_plain": _rounded(ratio),
        "noise_floor_mape": floor,
        "mape_to_noise_floor": round(pipeline["mape"] / floor, 4) if floor else None,
        "plain_mape_to_noise_floor": round(plain["mape"] / floor, 4) if floor else None,
        "target_mape_to_plain_met": ratio["mape"] <= TARGET_TO_PLAIN,
        "target_mape_to_noise_floor_met": (pipeline["mape"] / floor <= TARGET_TO_NOISE_FLOOR
                                           if floor else None),
    }


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in values.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("realistic", "clean"), default="realistic")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--routes", type=int, default=40)
    parser.add_argument("--quotes-per-day", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--noise-sigma", type=float, default=0.10,
                        help="the market's lognormal price noise (the generator's default 0.10)")
    parser.add_argument("--raw-dir", type=Path, default=None,
                        help="real feeds instead of the synthetic market: raw-data/<feed>/<day>/")
    parser.add_argument("--workdir", type=Path, default=Path(__file__).parent / ".data")
    parser.add_argument("--keep", action="store_true", help="keep the workdir's home")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    # A home of its own: runs sharing a workdir must not delete each other's files.
    home = Path(tempfile.mkdtemp(prefix="model_quality-", dir=args.workdir))
    try:
        print(json.dumps(run(args, home)), flush=True)
    finally:
        if args.keep:
            print(f"kept {home}", file=sys.stderr)
        else:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
