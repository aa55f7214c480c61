"""Benchmark the experiment's cost per quote: `quote_flights` with and without the ArmRouter.

    uv run python benchmarks/bench_experiment.py [--batches 2000] [--batch-size 1 16]
        [--challenger model|policy]

In one process, on bench_scoring's home (a champion of 300 rounds, depth 5), the same
batches of validated requests (what the API's batcher hands over) are priced alternately by

  bare     `quote_flights(model, requests, ...)`, the API's pricing function
  arms     the same function behind `ArmRouter` (share 0.5, the assignment log appended to
           a temporary file); the challenger is the same model loaded twice (`model`), or
           the `optimal` pricing policy (`policy`, against `bare` pricing with `rule`)

Prints one JSON line per batch size: median milliseconds per batch of each, and the ratio.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from api.metrics import ApiMetrics
from api.routes.price import quote_flights
from api.schemas import PriceRequest
from bench_scoring import build_home

from flightprice.experiment import ArmRouter, AssignmentLog, Experiment
from flightprice.serve.quoting import load_served_model
from flightprice.warehouse import open_warehouse

COLUMNS = ("carrier", "flight_number", "origin", "destination", "cabin", "observed_at",
           "departure_at", "stops", "duration_minutes", "seats_remaining", "capacity")  # fmt: skip


def _by_policy(bare, model, requests, policies):
    return bare(model, requests, pricing_policy=policies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--challenger", choices=("model", "policy"), default="model")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = build_home(Path(tmp) / "home", rows=2000)
        # The simulated market's demand: this home has no bookings feed to fit one from.
        settings = settings.model_copy(update={"demand_source": "simulator"})
        with open_warehouse(settings, read_only=True) as wh:
            rows = wh.query_df(f"select {', '.join(COLUMNS)} from ANALYTICS.ML_SCORING_FEATURES")
        rows = rows.astype(object).where(rows.notna(), None)  # unknown seats: None, not NaN
        requests = [PriceRequest(**r) for r in rows.to_dict("records")]
        champion, challenger = load_served_model(settings), load_served_model(settings)
        bare = functools.partial(quote_flights, params=settings.pricing, metrics=ApiMetrics(),
                                 unseen_policy="price")  # fmt: skip
        log = AssignmentLog(Path(tmp) / "assignments.jsonl")
        if args.challenger == "policy":
            by_policy = functools.partial(_by_policy, bare)
            arms = ArmRouter(Experiment("bench", "optimal", 0.5, "policy"), bare, log,
                             price_policy=by_policy)  # fmt: skip
            bare(champion, requests, pricing_policy="optimal")  # solve every table up front
        else:
            arms = ArmRouter(Experiment("bench", "v-bench-2", 0.5), bare, log,
                             challenger_model=lambda: challenger)  # fmt: skip
        for size in args.batch_size:
            times: dict[str, list[float]] = {"bare": [], "arms": []}
            for i in range(args.batches):
                start = (i * size) % (len(requests) - size)
                batch = requests[start : start + size]
                for name, price in (("bare", bare), ("arms", arms)):
                    began = time.perf_counter()
                    price(champion, batch)
                    times[name].append(time.perf_counter() - began)
            medians = {k: statistics.median(v) * 1000 for k, v in times.items()}
            print(json.dumps({"challenger": args.challenger, "batch_size": size,
                              "bare_ms": round(medians["bare"], 3),
                              "arms_ms": round(medians["arms"], 3),
                              "ratio": round(medians["arms"] / medians["bare"], 3)}))  # fmt: skip
        log.close()


if __name__ == "__main__":
    main()
