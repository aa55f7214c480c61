"""Pricing policies behind one interface, all inside the pricing engine's guardrails.

A policy prices every unit of a `Market` on day t from the seats left and the last price:

- `ladder`: a static fare ladder, `LADDER` x the unit's base fare, with EMSR-b protection
  levels from the class demands the estimated demand model forecasts (the traditional
  baseline; classes close as seats go, never reopen by time);
- `rule`: today's market fare plus the engine's demand and urgency adjustments (`pricing`);
- `optimal`: the bid-price programme (`_dp`) with the estimated demand (`estimate`);
- `oracle`: the same programme with the market's true demand.

`optimal` and `oracle` see the competitor's fare of the day (`responsive`: the programme
conditioned on it) when the demand model learnt the response to it; `optimal_blind` and
`oracle_blind` are the programme without it (`_dp`, the policies before the competitor's fare
was an input), kept as references for the simulator.

Every policy's price then goes through `pricing.engine.price_flights` (the rule's own
adjustments; for the others with no adjustment): the change limit against the last price,
the cabin floor and ceiling, and rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from flightprice.pricing.engine import price_flights
from flightprice.pricing.params import PricingParams
from flightprice.revenue._dp import PriceTable, solve
from flightprice.revenue.demand import Market
from flightprice.revenue.emsr import emsr_b, open_class
from flightprice.revenue.estimate import COMPETITOR_KNOTS, DemandModel
from flightprice.revenue.responsive import actions, best_price, solve_value, true_bins, true_rate

__all__ = [
    "GRID", "LADDER", "POLICIES", "REFERENCE_POLICIES", "Policy", "build_policy", "class_demand",
]  # fmt: skip

POLICIES: tuple[str, ...] = ("ladder", "rule", "optimal", "oracle")
# The simulator's references: the programme without the competitor's fare of the day.
REFERENCE_POLICIES: tuple[str, ...] = ("optimal_blind", "oracle_blind")
# Fare classes as multiples of the base fare, highest first (six classes, as in PODS' ladders).
LADDER = np.array([2.2, 1.7, 1.35, 1.1, 0.9, 0.75])
# Prices the programme chooses among, as multiples of the market fare.
GRID = np.geomspace(0.6, 3.0, 41)


class Policy(Protocol):
    """Anything that prices a market's units for one day."""

    name: str

    def price(self, t: int, seats_left: np.ndarray, last_price: np.ndarray) -> np.ndarray:
        """Return the guarded price of every unit on day t."""
        ...


def _guarded(market: Market, t: int, proposed: np.ndarray, last: np.ndarray, params) -> np.ndarray:
    """Return `proposed` within the change limit, cabin bounds and rounding (no adjustment)."""
    plain = params.model_copy(update={"urgency_window_days": 0.0})
    return price_flights(
        proposed, market.cabin_names(), market.params.horizon_days - t,
        load_factor=None, last_price=last, params=plain,
    ).price  # fmt: skip


@dataclass
class RulePolicy:
    """Today's market fare with the engine's adjustments."""

    market: Market
    params: PricingParams
    name: str = "rule"

    def price(self, t: int, seats_left: np.ndarray, last_price: np.ndarray) -> np.ndarray:
        """Return the engine's price from the market fare and the load factor."""
        m = self.market
        load = 1.0 - seats_left / m.capacity
        return price_flights(
            m.market_fare[:, t], m.cabin_names(), m.params.horizon_days - t,
            load_factor=load, last_price=last_price, params=self.params,
        ).price  # fmt: skip


@dataclass
class LadderPolicy:
    """The lowest open class of a static ladder under EMSR-b protection levels."""

    market: Market
    params: PricingParams
    protection: np.ndarray  # (units, classes - 1)
    name: str = "ladder"

    def price(self, t: int, seats_left: np.ndarray, last_price: np.ndarray) -> np.ndarray:
        """Return the fare of the lowest open class."""
        fares = self.market.base_fare[:, None] * LADDER[None, :]
        lowest = open_class(self.protection, seats_left)
        proposed = fares[np.arange(len(lowest)), lowest]
        return _guarded(self.market, t, proposed, last_price, self.params)


@dataclass
class BidPricePolicy:
    """The programme's price for each unit's demand group and seats left."""

    market: Market
    params: PricingParams
    table: dict[int, PriceTable]  # by capacity
    row: np.ndarray  # each unit's row in its capacity's table
    name: str

    def price(self, t: int, seats_left: np.ndarray, last_price: np.ndarray) -> np.ndarray:
        """Return the optimal price, a multiple of the market fare."""
        m = self.market
        ratio = np.empty(len(m))
        for capacity, table in self.table.items():
            units = m.capacity == capacity
            ratio[units] = table.price_ratio(self.row[units], t, seats_left[units])
        return _guarded(m, t, ratio * m.market_fare[:, t], last_price, self.params)


@dataclass
class ResponsivePolicy:
    """The programme's price for the day's competitor fare, each unit's group and seats left."""

    market: Market
    params: PricingParams
    grid: np.ndarray  # market-fare multiples among the actions
    knots: np.ndarray  # competitor-fare multiples among the actions
    value: dict[int, np.ndarray]  # by capacity: V (rows, T+1, C+1)
    row: np.ndarray  # each unit's row in its capacity's values
    rate: Callable[[int, np.ndarray, np.ndarray], np.ndarray]  # (t, prices, competitor)
    name: str

    def price(self, t: int, seats_left: np.ndarray, last_price: np.ndarray) -> np.ndarray:
        """Return the best price against today's competitor fare, a multiple of the market's."""
        m = self.market
        competitor = m.competitor_fare[:, t] / m.market_fare[:, t]
        prices = actions(self.grid, competitor, self.knots)  # (units, A)
        per_seat = self.rate(t, prices, competitor)
        fare = m.params.fare_curve()[t]
        ratio = np.empty(len(m))
        for capacity, value in self.value.items():
            units = m.capacity == capacity
            ratio[units] = best_price(value[self.row[units], t + 1], seats_left[units],
                                      per_seat[units] * capacity, prices[units], fare)  # fmt: skip
        return _guarded(m, t, ratio * m.market_fare[:, t], last_price, self.params)


def _tried_grid(demand: DemandModel | None) -> np.ndarray:
    """Return GRID within the prices the seller has tried (never extrapolate the estimate)."""
    if demand is None or "ratio_low" not in demand.fit:
        return GRID
    low, high = demand.fit["ratio_low"].min(), demand.fit["ratio_high"].max()
    return GRID[(GRID >= low) & (GRID <= high)]


def _responsive_policy(market, params, demand, name, knots=None) -> ResponsivePolicy:
    p, grid = market.params, _tried_grid(demand)
    days = p.days_left()
    if demand is None:  # the truth, one demand per cabin
        knots = COMPETITOR_KNOTS if knots is None else knots
        bins = true_bins(p)
        prices = actions(grid, bins, knots)
        per_seat = true_rate(p, np.arange(p.horizon_days), prices[:, None, :], bins[:, None])
        per_seat = np.repeat(per_seat[None], len(p.cabins), axis=0)
        group = market.cabin

        def rate(t, prices, competitor):
            return true_rate(p, t, prices, competitor)
    else:
        bins, knots = demand.competitor_ratio, demand.competitor_knots
        prices = actions(grid, bins, knots)
        per_seat = demand.rate(days, prices, bins)  # (G, B, T, A)
        group = demand.index(market.group)

        def rate(t, prices, competitor):
            return demand.rate_at(group, np.full(len(group), days[t]), prices, competitor)

    curve = p.fare_curve()
    value, row = _by_capacity(market, group, lambda used, capacity: solve_value(
        per_seat[used] * capacity, prices, curve, capacity))  # fmt: skip
    return ResponsivePolicy(market, params, grid, knots, value, row, rate, name)


def _per_seat_rate(market: Market, demand: DemandModel | None, grid: np.ndarray) -> tuple:
    """Return (per-seat rates (G, T, R), each unit's group row): true or estimated demand."""
    if demand is None:  # the truth: one demand per cabin (per seat)
        rate = market.true_rate(grid)
        return np.repeat(rate[None], len(market.params.cabins), axis=0), market.cabin
    return demand.rate(market.params.days_left(), grid), demand.index(market.group)


def _bid_price_policy(market, params, demand, name) -> BidPricePolicy:
    grid = _tried_grid(demand)
    per_seat, group = _per_seat_rate(market, demand, grid)
    curve = market.params.fare_curve()
    tables, row = _by_capacity(market, group, lambda used, capacity: solve(
        per_seat[used] * capacity, curve, grid, capacity))  # fmt: skip
    return BidPricePolicy(market, params, tables, row, name)


def _by_capacity(market: Market, group: np.ndarray, solve_for) -> tuple[dict, np.ndarray]:
    """Solve once per capacity over the demand groups its units use.

    Return ({capacity: solution}, each unit's row in its capacity's solution).
    """
    solutions, row = {}, np.zeros(len(market), dtype=np.int64)
    for capacity in np.unique(market.capacity):
        units = market.capacity == capacity
        used, inverse = np.unique(group[units], return_inverse=True)
        solutions[int(capacity)] = solve_for(used, int(capacity))
        row[units] = inverse
    return solutions, row


def class_demand(per_seat: np.ndarray, fare_curve: np.ndarray) -> np.ndarray:
    """Return each ladder class's expected buyers per seat over the horizon from (T, R) rates.

    Buyers willing to pay class j's fare on day t arrive at the rate at its multiple of that
    day's market fare (interpolated on the grid in log price); class j's demand is those
    willing to pay its fare but not the next class up's.
    """
    ratio = LADDER[None, :] / fare_curve[:, None]  # (T, classes)
    log_grid = np.log(GRID)
    willing = np.array([
        np.interp(np.log(ratio[t]), log_grid, per_seat[t]) for t in range(len(ratio))
    ]).sum(axis=0)  # fmt: skip
    return np.maximum(np.diff(np.concatenate([[0.0], willing])), 1e-9)


def _ladder_policy(market: Market, params: PricingParams, demand: DemandModel) -> LadderPolicy:
    """Forecast each class's demand from the estimate, then set EMSR-b protection levels."""
    per_seat, group = _per_seat_rate(market, demand, GRID)
    fare_curve = market.params.fare_curve()
    protection = np.empty((len(market), len(LADDER) - 1))
    for g, capacity in np.unique(np.stack([group, market.capacity], axis=1), axis=0):
        units = (group == g) & (market.capacity == capacity)
        mean = class_demand(per_seat[g], fare_curve) * capacity
        protection[units] = emsr_b(LADDER, mean, np.sqrt(mean), float(capacity))
    return LadderPolicy(market, params, protection)


def build_policy(
    name: str, market: Market, params: PricingParams, demand: DemandModel | None
) -> Policy:
    """Return the named policy for `market`; `demand` is the estimate (ladder and optimal)."""
    if name == "rule":
        return RulePolicy(market, params)
    if name == "oracle":  # the same actions as `optimal`'s where there is an estimate
        knots = None if demand is None else demand.competitor_knots
        return _responsive_policy(market, params, None, "oracle", knots)
    if name == "oracle_blind":
        return _bid_price_policy(market, params, None, name)
    if demand is None:
        raise ValueError(f"policy {name!r} needs an estimated demand model")
    if name == "optimal" and demand.competitor_ratio is not None:
        return _responsive_policy(market, params, demand, "optimal")
    if name in ("optimal", "optimal_blind"):
        return _bid_price_policy(market, params, demand, name)
    if name == "ladder":
        return _ladder_policy(market, params, demand)
    known = ", ".join(POLICIES + REFERENCE_POLICIES)
    raise ValueError(f"unknown policy {name!r}; expected one of {known}")
