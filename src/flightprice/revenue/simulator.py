"""The revenue simulator: run the market forward with each policy on the same customers.

For each seed: build the market (`demand.build_market`), learn its demand from a season of
price tests (`learning_history`: the same flights, other customers, prices drawn log-uniformly
between 0.6 and 2.0 x the market fare, one per unit and day), then sell the horizon once per
policy to the same customer stream (`demand.draw_customers`: common random numbers). The
comparison of policy A with B is the relative revenue uplift sum(A) / sum(B) - 1 with a 95%
confidence interval: a t interval over the seeds' paired uplifts when there are two or more
seeds, else the delta method over the flights' paired revenues.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from flightprice.pricing.params import PricingParams
from flightprice.revenue.demand import (
    Customers,
    Market,
    MarketParams,
    build_market,
    draw_customers,
    sell_day,
)
from flightprice.revenue.estimate import DemandModel, fit_demand
from flightprice.revenue.policies import Policy, build_policy

__all__ = ["PolicyRun", "Simulation", "compare", "learning_history", "run_policy", "simulate"]

_LEARNING_SEED = 1_000_003  # offsets the learning season's customers from the test season's
_TEST_PRICES = (0.6, 2.0)
PRICE_PATHS = 6  # units whose daily prices a run keeps (the report's price paths)


@dataclass(frozen=True, eq=False)
class PolicyRun:
    """One policy's season on one market: totals per unit, curves per day."""

    policy: str
    revenue: np.ndarray  # (units,) USD
    sold: np.ndarray  # (units,) seats
    spill: np.ndarray  # (units,) buyers turned away for lack of seats
    revenue_by_day: np.ndarray  # (T,) USD, all units
    load_by_day: np.ndarray  # (T,) seats sold so far / seats, after each day
    price_paths: np.ndarray  # (PRICE_PATHS, T) USD / that unit's base fare

    def totals(self, capacity: np.ndarray) -> dict[str, float]:
        """Return revenue, load factor, average fare and spill over all units."""
        sold = self.sold.sum()
        return {
            "revenue": float(self.revenue.sum()),
            "load_factor": float(sold / capacity.sum()),
            "average_fare": float(self.revenue.sum() / max(sold, 1)),
            "spill": float(self.spill.sum()),
        }


def run_policy(market: Market, customers: Customers, policy: Policy) -> PolicyRun:
    """Sell the whole horizon with `policy`; return what it earned."""
    horizon = market.params.horizon_days
    seats = market.capacity.copy()
    last = np.full(len(market), np.nan)
    revenue, spill = np.zeros(len(market)), np.zeros(len(market))
    by_day, load = np.zeros(horizon), np.zeros(horizon)
    paths = np.zeros((min(PRICE_PATHS, len(market)), horizon))
    for t in range(horizon):
        price = policy.price(t, seats, last)
        sold, offered, _ = sell_day(customers, t, price, seats)
        day = customers.day(t)
        unit = customers.unit[day]
        turned_away = ~offered & (customers.reservation[day] >= price[unit])
        spill += np.bincount(unit[turned_away], minlength=len(market))
        revenue += sold * price
        by_day[t] = (sold * price).sum()
        seats = seats - sold
        load[t] = 1.0 - seats.sum() / market.capacity.sum()
        paths[:, t] = price[: len(paths)] / market.base_fare[: len(paths)]
        last = price
    return PolicyRun(policy.name, revenue, market.capacity - seats, spill, by_day, load, paths)


def learning_history(market: Market, seed: int) -> pd.DataFrame:
    """Return a season of price tests on `market`: one row per unit and day with seats."""
    customers = draw_customers(market, seed + _LEARNING_SEED)
    rng = np.random.default_rng([seed, 3])
    horizon = market.params.horizon_days
    seats = market.capacity.copy()
    frames = []
    for t in range(horizon):
        ratio = np.exp(rng.uniform(*np.log(_TEST_PRICES), len(market)))
        price = ratio * market.market_fare[:, t]
        sold, _, _ = sell_day(customers, t, price, seats)
        frames.append(pd.DataFrame({
            "group": market.group, "cabin": market.cabin, "capacity": market.capacity,
            "days_to_departure": float(horizon - t), "price": price,
            "market_fare": market.market_fare[:, t], "seats_left": seats, "bookings": sold,
            # What the competitor offered that day (the seller scrapes it from the market).
            "competitor_fare": market.competitor_fare[:, t],
        }))  # fmt: skip
        seats = seats - sold
    return pd.concat(frames, ignore_index=True)


@dataclass
class Simulation:
    """Every policy's runs: totals per seed, the last seed's curves, the demand fits."""

    policies: tuple[str, ...]
    flights: int
    seeds: tuple[int, ...]
    totals: pd.DataFrame  # one row per seed and policy
    unit_revenue: dict[str, list[np.ndarray]] = field(default_factory=dict)
    runs: dict[str, PolicyRun] = field(default_factory=dict)  # the first seed's
    fits: list[pd.DataFrame] = field(default_factory=list)

    def summary(self) -> dict[str, dict[str, float]]:
        """Return each policy's totals summed over seeds (load factor and fare re-derived)."""
        out = {}
        for name, rows in self.totals.groupby("policy", sort=False):
            revenue, sold, seats = rows["revenue"].sum(), rows["sold"].sum(), rows["seats"].sum()
            out[str(name)] = {
                "revenue": float(revenue), "load_factor": float(sold / seats),
                "average_fare": float(revenue / max(sold, 1)), "spill": float(rows["spill"].sum()),
                "revenue_per_flight": float(revenue / (self.flights * len(self.seeds))),
            }  # fmt: skip
        return out


def compare(sim: Simulation, policy: str, baseline: str) -> dict[str, object]:
    """Return `policy` against `baseline`: relative revenue uplift, its 95% CI, load diff."""
    by = sim.totals.pivot(index="seed", columns="policy", values=["revenue", "sold", "seats"])
    a, b = by["revenue"][policy].to_numpy(), by["revenue"][baseline].to_numpy()
    uplift = a.sum() / b.sum() - 1.0
    if len(a) >= 2:
        per_seed = a / b - 1.0
        half = stats.t.ppf(0.975, len(a) - 1) * per_seed.std(ddof=1) / np.sqrt(len(a))
        centre, method = float(per_seed.mean()), "t over seeds"
    else:
        ua, ub = sim.unit_revenue[policy][0], sim.unit_revenue[baseline][0]
        resid = ua - (1.0 + uplift) * ub  # delta method for a ratio of paired means
        half = 1.96 * resid.std(ddof=1) / np.sqrt(len(ua)) / ub.mean()
        centre, method = float(uplift), "delta over units"
    load = by["sold"].sum() / by["seats"].sum()
    return {
        "policy": policy, "baseline": baseline, "revenue_uplift": float(uplift),
        "ci95": [centre - float(half), centre + float(half)], "ci_method": method,
        "load_factor_diff": float(load[policy] - load[baseline]),
    }  # fmt: skip


def simulate(
    policies: tuple[str, ...],
    flights: int = 200,
    seeds: int = 5,
    market_params: MarketParams | None = None,
    pricing: PricingParams | None = None,
    first_seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Simulation:
    """Run every policy on `seeds` markets of `flights` flights; call `progress` per step."""
    # One BLAS/OpenMP thread: the arrays are small, and on a loaded 2-core machine thread
    # pools spin against each other (a 200-flight run took 56 s with them, 6.7 s without).
    with threadpool_limits(limits=1):
        return _simulate(policies, flights, seeds, market_params, pricing, first_seed, progress)


def _simulate(policies, flights, seeds, market_params, pricing, first_seed, progress) -> Simulation:
    market_params = MarketParams() if market_params is None else market_params
    pricing = PricingParams() if pricing is None else pricing
    rows, sim = (
        [],
        Simulation(
            tuple(policies), flights, tuple(range(first_seed, first_seed + seeds)), pd.DataFrame()
        ),
    )
    for seed in sim.seeds:
        market = build_market(flights, seed, market_params)
        demand: DemandModel | None = None
        if {"optimal", "optimal_blind", "ladder"} & set(policies):
            demand = fit_demand(learning_history(market, seed), seed=seed)
            sim.fits.append(demand.report().assign(seed=seed))
        customers = draw_customers(market, seed)
        for name in policies:
            run = run_policy(market, customers, build_policy(name, market, pricing, demand))
            rows.append({"seed": seed, "policy": name, "revenue": run.revenue.sum(),
                         "sold": run.sold.sum(), "seats": market.capacity.sum(),
                         "spill": run.spill.sum()})  # fmt: skip
            sim.unit_revenue.setdefault(name, []).append(run.revenue)
            if seed == sim.seeds[0]:
                sim.runs[name] = run
            if progress is not None:
                progress(f"seed {seed}: {name}")
    sim.totals = pd.DataFrame(rows)
    return sim
