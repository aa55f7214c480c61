"""Demand learnt from the bookings feed: its cost, and how close it comes to the market's truth.

    uv run python benchmarks/bench_demand_fit.py --days 20 --routes 6

Builds a home (generate with the bookings feed, ingest, dbt build of ml_demand_history and
ml_training_features, a quick champion) in a temporary folder, or reuses `--home`. Then times,
in one process: a bare baseline (reading ML_TRAINING_FEATURES into pandas), reading the demand
history with the champion's market fares, and fit_demand; CPU seconds and the load average
beside each wall time. Last, the fitted price response (bookings at 1.1x the market fare over
0.9x) against the synthetic market's true one at the same days to departure (the simulator's
segments, which the synthetic bookings are drawn from). Prints JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from flightprice import registry
from flightprice.ingest.load import load_raw_files
from flightprice.project import init_project
from flightprice.revenue.demand import build_market
from flightprice.revenue.estimate import fit_demand
from flightprice.revenue.fitted import RESPONSE_DAYS, load_demand_history, price_response
from flightprice.settings import Settings
from flightprice.store import open_store
from flightprice.synth.generate import generate_market
from flightprice.train.model import save_model, train_model
from flightprice.train.run import load_training_frame
from flightprice.transform.dbt import run_dbt
from flightprice.warehouse import open_warehouse


def build_home(home: Path, days: int, routes: int) -> Settings:
    """A home with the bookings feed built into the warehouse and a champion."""
    settings = Settings(home=home, warehouse="duckdb", store="local", mlflow_tracking=False)
    init_project(settings)
    store = open_store(settings)
    generate_market(store, start=date(2026, 9, 1), days=days, routes=routes, seed=7,
                    quotes_per_day=1.0, bookings=True)  # fmt: skip
    with open_warehouse(settings) as wh:
        load_raw_files(store, wh)
    built = run_dbt(settings, ["build", "--select", "+ml_demand_history", "+ml_training_features",
                               "--indirect-selection", "cautious"])  # fmt: skip
    assert built.success, [n for n in built.nodes if n.status not in ("pass", "success")]
    with open_warehouse(settings, read_only=True) as wh:
        frame = load_training_frame(wh)
    trained = train_model(frame, {"num_boost_round": 200}, holdout_days=2)
    info = save_model(trained, store, "v-bench")
    with open_warehouse(settings) as wh:
        registry.register(wh, "v-bench", trained.metrics, info.model_uri, info.sha256, "champion")
    return settings


def timed(label: str, fn):
    cpu, wall = time.process_time(), time.perf_counter()
    out = fn()
    print(json.dumps({"step": label, "wall_s": round(time.perf_counter() - wall, 3),
                      "cpu_s": round(time.process_time() - cpu, 3),
                      "loadavg_1m": os.getloadavg()[0]}))  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--routes", type=int, default=6)
    parser.add_argument("--home", type=Path, help="reuse a built home (skips the build)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.home is None:
            settings = timed("build home", lambda: build_home(Path(tmp) / "home", args.days,
                                                              args.routes))  # fmt: skip
        else:
            settings = Settings(home=args.home, warehouse="duckdb", store="local")
        store = open_store(settings)
        with open_warehouse(settings, read_only=True) as wh:
            model = registry.load_champion(wh, store)
            rows = timed("baseline: read ML_TRAINING_FEATURES",
                         lambda: wh.query_df("SELECT * FROM ANALYTICS.ML_TRAINING_FEATURES"))  # fmt: skip
            history = timed("history with market fares", lambda: load_demand_history(wh, model))
        history = history.drop(columns="competitor_fare")  # as the fit does with gaps
        demand = timed("fit_demand", lambda: fit_demand(history))
    fitted = price_response(demand)
    market = build_market(200, seed=0)
    true = market.true_rate(np.array([0.9, 1.1]))  # (T, 2) per seat, days horizon..1
    days = market.params.days_left()
    truth = {f"{d:g}d": float(np.interp(d, days[::-1], (true[:, 1] / true[:, 0])[::-1]))
             for d in RESPONSE_DAYS}  # fmt: skip
    print(json.dumps({"training_rows": len(rows), "history_rows": len(history),
                      "bookings": int(history["bookings"].sum()),
                      "quotes_per_day": history.attrs["quotes_per_day"],
                      "d2_holdout_median": float(demand.fit["d2_holdout"].median()),
                      "response_1.1_over_0.9_fitted": fitted,
                      "response_1.1_over_0.9_true": truth}))  # fmt: skip


if __name__ == "__main__":
    main()
