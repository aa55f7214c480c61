"""Revenue targets of the simulator's default market, and its speed against a bare sell loop.

    uv run python benchmarks/bench_revenue.py --flights 1000 --seeds 20

Prints JSON lines: per-policy totals, the comparisons the targets are about (optimal against
ladder and rule with 95% CIs over seeds, optimal / oracle), and the time to simulate
`--timing-flights` flights x 90 days with one policy (market, customers and the season;
`optimal` also learns demand and solves its programme) against a bare loop that sells the
same customers at the market fare (same run, so the ratio holds under load), with CPU
seconds and the load average beside each wall time. `oracle` and `optimal` see the day's
competitor fare; `oracle_blind` is the programme without it (the oracle before it was an
input), run alongside as the reference the earlier figures were measured against.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from threadpoolctl import threadpool_limits

from flightprice.pricing.params import PricingParams
from flightprice.revenue import (
    build_market,
    build_policy,
    draw_customers,
    fit_demand,
    learning_history,
    run_policy,
    sell_day,
    simulate,
)
from flightprice.revenue.report import result_dict
from flightprice.revenue.simulator import compare

POLICIES = ("ladder", "rule", "optimal", "oracle", "oracle_blind")


def targets(flights: int, seeds: int) -> None:
    """Print totals and the target comparisons over `seeds` markets."""
    start, cpu = time.perf_counter(), time.process_time()
    sim = simulate(POLICIES, flights=flights, seeds=seeds)
    result = result_dict(sim, "optimal", "ladder")
    print(json.dumps({"policies": result["policies"], "demand_fit": result["demand_fit"],
                      "seconds": round(time.perf_counter() - start, 1),
                      "cpu_seconds": round(time.process_time() - cpu, 1),
                      "load_average": os.getloadavg()}))  # fmt: skip
    for policy, baseline in (("optimal", "ladder"), ("optimal", "rule"), ("optimal", "oracle"),
                             ("rule", "ladder"), ("oracle", "rule"), ("oracle_blind", "rule"),
                             ("optimal", "oracle_blind")):  # fmt: skip
        print(json.dumps(compare(sim, policy, baseline)))


def _bare(market, customers) -> None:
    seats = market.capacity.copy()
    for t in range(market.params.horizon_days):
        sold, _, _ = sell_day(customers, t, market.market_fare[:, t], seats)
        seats = seats - sold


def timing(flights: int) -> None:
    """Print seconds for one policy's season of `flights` flights against the bare loop."""
    with threadpool_limits(limits=1):
        for policy in ("rule", "optimal"):
            start, cpu = time.perf_counter(), time.process_time()
            market = build_market(flights, seed=0)
            customers = draw_customers(market, 0)
            bare_start = time.perf_counter()
            _bare(market, customers)
            bare = time.perf_counter() - bare_start
            demand = None
            if policy == "optimal":
                demand = fit_demand(learning_history(market, 0))
            run = run_policy(
                market, customers, build_policy(policy, market, PricingParams(), demand)
            )
            total = time.perf_counter() - start - bare
            print(json.dumps({
                "timing": policy, "flights": flights, "days": market.params.horizon_days,
                "seconds": round(total, 2), "bare_seconds": round(bare, 2),
                "cpu_seconds": round(time.process_time() - cpu, 2), "load_average": os.getloadavg(),
                "ratio_to_bare": round(total / bare, 1), "revenue": float(np.sum(run.revenue)),
            }))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flights", type=int, default=1000, help="flights per market")
    parser.add_argument("--seeds", type=int, default=20, help="markets (>= 20 for the targets)")
    parser.add_argument("--timing-flights", type=int, default=1000)
    parser.add_argument("--skip-targets", action="store_true")
    args = parser.parse_args()
    timing(args.timing_flights)
    if not args.skip_targets:
        targets(args.flights, args.seeds)


if __name__ == "__main__":
    main()
