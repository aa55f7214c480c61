"""Price API and batch-scoring requests with the configured policy (FLIGHTPRICE_PRICING_POLICY).

`rule` (the default) is the pricing engine as it always was. The other policies need a
demand per seat: until the bookings feed gives real bookings to learn from, it is the
simulator's default market (`demand.MarketParams`): `oracle` its true demand, `optimal` the
demand estimated from a season of price tests on it (`simulate.learning_history`), `ladder`
EMSR-b protection levels from that estimate. Premium economy is priced like economy and
first like business. The request's market fare is the model's; days beyond the horizon count
as its first day. A row without capacity or seats remaining is priced by `rule`, and its
`policy` says so. Every price passes the engine's guardrails.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from flightprice.pricing.engine import PriceResult, price_flights
from flightprice.pricing.params import PricingParams
from flightprice.revenue._dp import PriceTable, solve
from flightprice.revenue.demand import MarketParams, build_market
from flightprice.revenue.emsr import emsr_b, open_class
from flightprice.revenue.estimate import fit_demand
from flightprice.revenue.policies import GRID, LADDER, POLICIES, class_demand
from flightprice.revenue.simulator import learning_history

__all__ = ["POLICIES", "price_with_policy"]

_CABIN_SHAPE = {"economy": 0, "premium_economy": 0, "business": 1, "first": 1}
_LEARNING_FLIGHTS = 200


@lru_cache(maxsize=2)
def _per_seat(policy: str) -> np.ndarray:
    """Return per-seat daily buyers by cabin shape, (2, T, R): true or estimated."""
    market = build_market(_LEARNING_FLIGHTS, seed=0)
    if policy == "oracle":
        return np.repeat(market.true_rate(GRID)[None], 2, axis=0)
    demand = fit_demand(learning_history(market, seed=0))
    rate = demand.rate(market.params.days_left(), GRID)
    cabin_of_group = demand.groups % len(market.params.cabins)
    return np.array([rate[cabin_of_group == c].mean(axis=0) for c in (0, 1)])


@lru_cache(maxsize=64)
def _table(policy: str, shape: int, capacity: int) -> PriceTable:
    rate = _per_seat(policy)[shape][None] * capacity
    return solve(rate, MarketParams().fare_curve(), GRID, capacity)


@lru_cache(maxsize=64)
def _protection(shape: int, capacity: int) -> np.ndarray:
    demand = class_demand(_per_seat("optimal")[shape], MarketParams().fare_curve()) * capacity
    return emsr_b(LADDER, demand, np.sqrt(demand), float(capacity))


def price_with_policy(
    policy: str | np.ndarray,
    market_fare: np.ndarray,
    cabin: np.ndarray,
    days_to_departure: np.ndarray,
    load_factor: np.ndarray,
    seats_remaining: np.ndarray,
    capacity: np.ndarray,
    last_price: object,
    params: PricingParams,
) -> tuple[PriceResult, np.ndarray]:
    """Return the priced rows and the policy that priced each row.

    `policy` is one name for every row, or one per row (an experiment's batch of two arms,
    priced in one call).
    """
    rule = price_flights(market_fare, cabin, days_to_departure, load_factor=load_factor,
                         last_price=last_price, params=params)  # fmt: skip
    used = np.full(len(rule), "rule", dtype=object)
    wanted = np.broadcast_to(np.asarray(policy, dtype=object), used.shape)
    unknown = set(wanted.tolist()) - set(POLICIES)
    if unknown:
        raise ValueError(f"unknown pricing policy {sorted(unknown)}; expected one of {POLICIES}")
    if not (wanted != "rule").any():
        return rule, used
    horizon = MarketParams().horizon_days
    seats = np.asarray(seats_remaining, dtype=np.float64)
    cap = np.asarray(capacity, dtype=np.float64)
    known = np.isfinite(seats) & np.isfinite(cap) & (cap >= 1) & (wanted != "rule")
    proposed = np.array(rule.market_fare, dtype=np.float64)
    days = np.clip(np.ceil(rule.days_to_departure), 1, horizon)
    t = (horizon - days).astype(np.int64)
    shapes = np.array([_CABIN_SHAPE[c] for c in np.asarray(cabin, dtype=object).ravel()])
    shapes = np.broadcast_to(shapes, proposed.shape)
    curve = MarketParams().fare_curve()
    for i in np.flatnonzero(known):
        size, left = int(cap[i]), int(min(max(seats[i], 0), cap[i]))
        if wanted[i] == "ladder":
            base = proposed[i] / curve[t[i]]
            level = open_class(_protection(shapes[i], size)[None, :], np.array([left]))[0]
            proposed[i] = base * LADDER[level]
        else:
            proposed[i] *= _table(wanted[i], shapes[i], size).price_ratio(0, t[i], left)
    plain = params.model_copy(update={"urgency_window_days": 0.0})
    guarded = price_flights(proposed, cabin, days_to_departure, load_factor=None,
                            last_price=last_price, params=plain)  # fmt: skip
    price = np.where(known, guarded.price, rule.price)
    unrounded = np.where(known, guarded.unrounded_price, rule.unrounded_price)
    guardrail = np.where(known, guarded.guardrail, rule.guardrail).astype(np.int8)
    zero = np.where(known, 0.0, rule.demand_adjustment)
    urgency = np.where(known, 0.0, rule.urgency_adjustment)
    used[known] = wanted[known]
    result = replace(rule, price=price, unrounded_price=unrounded, guardrail=guardrail,
                     demand_adjustment=zero, urgency_adjustment=urgency)  # fmt: skip
    return result, used
