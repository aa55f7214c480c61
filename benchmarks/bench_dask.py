"""Benchmark the Dask engine against the local engine: holdout MAPE, training time, prices.

    uv run python benchmarks/bench_dask.py                       # ~200k fare rows
    uv run python benchmarks/bench_dask.py --quotes-per-day 1    # ~1M fare rows

Builds a synthetic market, ingests and transforms it (not timed), starts a 2-worker
`LocalCluster` (timed apart), then on the same rows, with the same parameters
(the production recipe: early stopping, refit, FLIGHTPRICE_FLIGHT_MIN_ROWS):
  local  = `load_training_frame` + `train_model` in this process (the baseline)
  dask   = `load_partitions` + `train_model_dask` on the cluster
and scores every flight on sale twice with the local model as champion: local engine, then
the dask engine re-running the same run id (same change-limit reference); the prices of the
two runs are compared row by row. Prints one JSON line; results are in README.md here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from datetime import date
from pathlib import Path

from flightprice import registry
from flightprice.engine import local_cluster_kwargs
from flightprice.ingest.load import load_raw_files
from flightprice.project import init_project
from flightprice.score.batch import run_scoring
from flightprice.settings import Settings
from flightprice.store import LocalStore
from flightprice.synth.generate import generate_market
from flightprice.train._dask import load_partitions, train_model_dask
from flightprice.train.model import save_model, train_model
from flightprice.train.run import load_training_frame, training_sql
from flightprice.transform.dbt import run_dbt
from flightprice.warehouse import open_warehouse

PRICED = ("price_usd", "market_fare_usd", "guardrail", "previous_price_usd", "unseen")


def prepare(home: Path, routes: int, days: int, quotes_per_day: float) -> Settings:
    shutil.rmtree(home, ignore_errors=True)
    settings = Settings(home=home, search_trials=0, scoring_mode="local")
    init_project(settings)
    store = LocalStore(settings.lake)
    generate_market(store, start=date(2026, 9, 1), days=days, routes=routes, seed=7,
                    quotes_per_day=quotes_per_day, schedules="new")  # fmt: skip
    with open_warehouse(settings) as wh:
        load_raw_files(store, wh)
    assert run_dbt(settings, ["build", "--exclude", "resource_type:test"]).success
    return settings


def history(settings: Settings, run_id: str):
    with open_warehouse(settings, read_only=True) as wh:
        return wh.query_df(
            "SELECT * FROM ML_PREDICTIONS.PRICE_HISTORY WHERE run_id = ? ORDER BY flight_id, cabin",
            [run_id],
        )


def main() -> None:
    # Deferred: distributed spawns worker processes that re-import this file.
    from distributed import Client, LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, default=40)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--quotes-per-day", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=Path(__file__).parent / ".data")
    args = parser.parse_args()
    home = args.workdir / "dask"
    settings = prepare(home, args.routes, args.days, args.quotes_per_day)
    params = {"flight_min_rows": settings.flight_min_rows}
    result: dict = {}

    with open_warehouse(settings, read_only=True) as wh:
        start = time.perf_counter()
        local = train_model(load_training_frame(wh), params, settings.holdout_days,
                            holdout_max_share=settings.holdout_max_share)  # fmt: skip
        result["local_train_s"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    kwargs = local_cluster_kwargs(settings.model_copy(update={"dask_workers": args.workers}))
    with LocalCluster(**kwargs) as cluster, Client(cluster) as client:
        result["cluster_start_s"] = round(time.perf_counter() - start, 2)
        with open_warehouse(settings, read_only=True) as wh:
            start = time.perf_counter()
            parts = load_partitions(client, wh, training_sql(), settings.dask_partition_rows)
            on_dask = train_model_dask(parts, params, settings.holdout_days,
                                       holdout_max_share=settings.holdout_max_share)  # fmt: skip
            result["dask_train_s"] = round(time.perf_counter() - start, 2)
        result["partitions"] = len(parts.futures)
        del parts

        info = save_model(local, LocalStore(settings.lake), "v-bench")
        with open_warehouse(settings) as wh:
            registry.register(wh, "v-bench", local.metrics, info.model_uri, info.sha256, "champion")
        start = time.perf_counter()
        run_scoring(settings, mode="local", run_id="bench")
        result["local_score_s"] = round(time.perf_counter() - start, 2)
        local_prices = history(settings, "bench")
        on_cluster = settings.model_copy(
            update={"engine": "dask", "dask_address": cluster.scheduler_address}
        )
        start = time.perf_counter()
        run_scoring(on_cluster, mode="local", run_id="bench")  # the same run id: same reference
        result["dask_score_s"] = round(time.perf_counter() - start, 2)
        dask_prices = history(settings, "bench")

    same_keys = (local_prices[["flight_id", "cabin"]] == dask_prices[["flight_id", "cabin"]]).all()
    differing = local_prices[list(PRICED)].fillna(-1) != dask_prices[list(PRICED)].fillna(-1)
    mape_local, mape_dask = local.metrics["mape"], on_dask.metrics["mape"]
    print(json.dumps({
        "training_rows": local.rows["train"], "holdout_rows": local.rows["holdout"],
        "workers": args.workers, **result,
        "dask_train_ratio": round(result["dask_train_s"] / result["local_train_s"], 2),
        "dask_score_ratio": round(result["dask_score_s"] / result["local_score_s"], 2),
        "rounds_local": local.booster.num_boosted_rounds(),
        "rounds_dask": on_dask.booster.num_boosted_rounds(),
        "holdout_mape_local": round(mape_local, 5), "holdout_mape_dask": round(mape_dask, 5),
        "mape_relative_diff": round(abs(mape_dask - mape_local) / mape_local, 4),
        "scored_rows": len(local_prices), "same_rows": bool(same_keys.all()),
        "differing_price_rows": int(differing.any(axis=1).sum()),
    }))  # fmt: skip
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
