"""What caps `optimal`'s uplift over `rule`: each guardrail relaxed in turn, and the grid.

    uv run python benchmarks/bench_revenue_caps.py --flights 200 --seeds 5

A diagnosis, not a setting: every variant runs `rule`, `optimal` and `oracle` on the same
markets and customers (common random numbers) with the pricing parameters changed for all
three alike, and prints per variant the uplifts over `rule` (t interval over seeds) and the
share of unit-days (with seats left) on which each guardrail set the price.

The variant `competitor_known` measures the value of information no policy has: an oracle
that also sees the day's competitor fare before pricing (`_competitor.CompetitorOracle`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from scipy import stats
from threadpoolctl import threadpool_limits

from flightprice.pricing import engine
from flightprice.pricing.params import CabinBounds, CabinBoundsByCabin, PricingParams
from flightprice.revenue import (
    build_market,
    build_policy,
    draw_customers,
    fit_demand,
    learning_history,
    run_policy,
)
from flightprice.revenue import policies as policies_module

sys.path.insert(0, str(Path(__file__).parent))
from _competitor import CompetitorOracle

POLICIES = ("rule", "optimal", "oracle")
_WIDE = CabinBounds(floor_usd=1, ceiling_usd=10_000_000)
VARIANTS = {
    "default": {},
    "no_change_limit": {"max_increase": 10.0, "max_decrease": 0.99},
    "no_cabin_bounds": {"cabin_bounds": CabinBoundsByCabin(economy=_WIDE, business=_WIDE)},
    "no_rounding": {"rounding": "none"},
    "all_relaxed": {"max_increase": 10.0, "max_decrease": 0.99, "rounding": "none",
                    "cabin_bounds": CabinBoundsByCabin(economy=_WIDE, business=_WIDE)},
}  # fmt: skip
_last_result: list = []


def _recording(*args, **kwargs):
    result = engine.price_flights(*args, **kwargs)
    _last_result[:] = [result]
    return result


class _Recorder:
    """Count which guardrail set each unit-day's price (units with seats left)."""

    def __init__(self, inner) -> None:
        self.inner, self.name = inner, inner.name
        self.counts = np.zeros(len(engine.GUARDRAILS))

    def price(self, t, seats_left, last_price):
        price = self.inner.price(t, seats_left, last_price)
        codes = _last_result[0].guardrail[seats_left > 0]
        self.counts += np.bincount(codes, minlength=len(self.counts))
        return price


@contextmanager
def _grid(grid):
    saved = policies_module.GRID
    policies_module.GRID = grid
    try:
        yield
    finally:
        policies_module.GRID = saved


def _uplift(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    per_seed = a / b - 1.0
    half = stats.t.ppf(0.975, len(a) - 1) * per_seed.std(ddof=1) / np.sqrt(len(a))
    return {"uplift": round(float(a.sum() / b.sum() - 1), 5),
            "ci95": [round(float(per_seed.mean() - half), 5),
                     round(float(per_seed.mean() + half), 5)]}  # fmt: skip


def run_variant(name: str, params: PricingParams, flights: int, seeds: int) -> dict:
    """Return uplifts over rule and guardrail shares for one variant."""
    revenue = {p: [] for p in POLICIES}
    counts = {p: np.zeros(len(engine.GUARDRAILS)) for p in POLICIES}
    for seed in range(seeds):
        market = build_market(flights, seed)
        demand = fit_demand(learning_history(market, seed), seed=seed)
        customers = draw_customers(market, seed)
        for policy in POLICIES:
            recorder = _Recorder(build_policy(policy, market, params, demand))
            revenue[policy].append(run_policy(market, customers, recorder).revenue.sum())
            counts[policy] += recorder.counts
    out = {"variant": name}
    for policy in ("optimal", "oracle"):
        out[f"{policy}_vs_rule"] = _uplift(np.array(revenue[policy]), np.array(revenue["rule"]))
    out["optimal_vs_oracle"] = _uplift(np.array(revenue["optimal"]), np.array(revenue["oracle"]))
    out["guardrail_share"] = {
        p: {g: round(float(c / counts[p].sum()), 4) for g, c in
            zip(engine.GUARDRAILS, counts[p], strict=True) if g != "none"}
        for p in POLICIES
    }  # fmt: skip
    return out


def run_competitor(flights: int, seeds: int) -> dict:
    """Return oracle and the oracle that sees the competitor's fare, against rule."""
    names = ("rule", "oracle", CompetitorOracle.name)
    revenue = {p: [] for p in names}
    params = PricingParams()
    for seed in range(seeds):
        market = build_market(flights, seed)
        customers = draw_customers(market, seed)
        for policy in (build_policy("rule", market, params, None),
                       build_policy("oracle", market, params, None),
                       CompetitorOracle(market, params)):  # fmt: skip
            revenue[policy.name].append(run_policy(market, customers, policy).revenue.sum())
    rule = np.array(revenue["rule"])
    return {"variant": "competitor_known"} | {
        f"{p}_vs_rule": _uplift(np.array(revenue[p]), rule) for p in names[1:]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flights", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--variants", nargs="*", default=[*VARIANTS, "fine_grid", "competitor_known"]
    )
    args = parser.parse_args()
    policies_module.price_flights = _recording
    with threadpool_limits(limits=1):
        for name in args.variants:
            start = time.perf_counter()
            if name == "competitor_known":
                out = run_competitor(args.flights, args.seeds)
            elif name == "fine_grid":  # the programme's price grid: finer and wider
                with _grid(np.geomspace(0.4, 4.0, 121)):
                    out = run_variant(name, PricingParams(), args.flights, args.seeds)
            else:
                out = run_variant(name, PricingParams(**VARIANTS[name]), args.flights, args.seeds)
            out["seconds"] = round(time.perf_counter() - start, 1)
            print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
