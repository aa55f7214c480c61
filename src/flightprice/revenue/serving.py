"""Price API and batch-scoring requests with the configured policy (FLIGHTPRICE_PRICING_POLICY).

`rule` (the default) is the pricing engine as it always was. The other policies need a
demand per seat: until the bookings feed gives real bookings to learn from, it is the
simulator's default market (`demand.MarketParams`): `oracle` its true demand, `optimal` the
demand estimated from a season of price tests on it (`simulate.learning_history`), `ladder`
EMSR-b protection levels from that estimate. Premium economy is priced like economy and
first like business. The request's market fare is the model's; days beyond the horizon count
as its first day. A row without capacity or seats remaining is priced by `rule`, and its
`policy` says so. Every price passes the engine's guardrails.

A row with the competitor's fare (`competitor_fare`, USD, optional) priced by `optimal` or
`oracle` gets the programme conditioned on it (`responsive`): the best price against today's
competitor fare / market fare, with the future valued over the competitor fares the demand
model saw (`optimal`: the demand learnt with the competitor's fare, pooled per cabin shape;
`oracle`: the true demand). A row without it prices exactly as before.

**Whose demand.** `optimal` and `ladder` price with the demand `revenue.demand_store` serves:
with `FLIGHTPRICE_DEMAND_SOURCE=warehouse` (the default) the latest fit of `flightprice demand
fit` (learnt from the bookings feed, `revenue.fitted`; pooled per cabin shape over its
route-cabin groups), and without one they do not guess: the row is priced by `rule` and its
note says why (`fallback_note`). `simulator` keeps the simulator's default market described
above (the demo's setting). `oracle` is the simulator's truth whatever the source.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np
import pandas as pd

from flightprice.pricing.engine import PriceResult, price_flights
from flightprice.pricing.params import PricingParams
from flightprice.revenue._dp import PriceTable, solve
from flightprice.revenue.demand import MarketParams, build_market
from flightprice.revenue.demand_store import ServedDemand, served
from flightprice.revenue.emsr import emsr_b, open_class
from flightprice.revenue.estimate import COMPETITOR_KNOTS, DemandModel, fit_demand
from flightprice.revenue.fitted import demand_from_fit
from flightprice.revenue.policies import GRID, LADDER, POLICIES, class_demand
from flightprice.revenue.responsive import actions, best_price, solve_value, true_bins, true_rate
from flightprice.revenue.simulator import learning_history

__all__ = ["POLICIES", "fallback_note", "price_with_policy"]

_CABIN_SHAPE = {"economy": 0, "premium_economy": 0, "business": 1, "first": 1}
_LEARNING_FLIGHTS = 200
_LEARNT = ("optimal", "ladder")  # the policies that price with the served demand
SIMULATOR = "simulator"  # the demand key of the simulator's market
NO_DEMAND_NOTE = (
    "priced by rule: no demand fitted from bookings yet (run `flightprice demand fit`, or set "
    "FLIGHTPRICE_DEMAND_SOURCE=simulator for the simulated market's demand)"
)
NO_SEATS_NOTE = "priced by rule: the request has no capacity or seats remaining"
_FITS: dict[str, dict] = {}  # served fits by version: what the caches below key on


def _key(demand: ServedDemand) -> str | None:
    """Return the cache key of the served demand: its fit's version, "simulator" or None."""
    if demand.source == SIMULATOR:
        return SIMULATOR
    if demand.fit is None:
        return None
    _FITS.setdefault(demand.version, demand.fit)
    return demand.version


@lru_cache(maxsize=4)
def _fitted(key: str) -> tuple[DemandModel, np.ndarray]:
    """Return a served fit's demand model and the cabin shape of each of its groups."""
    fit = _FITS[key]
    shapes = np.array([_CABIN_SHAPE[c] for c in fit["group_cabins"]])
    return demand_from_fit(fit), shapes


def _by_shape(values: np.ndarray, shapes: np.ndarray) -> np.ndarray:
    """Return the groups' mean per cabin shape (all groups for a shape never fitted)."""
    return np.array([values[shapes == c].mean(axis=0) if (shapes == c).any()
                     else values.mean(axis=0) for c in (0, 1)])  # fmt: skip


@lru_cache(maxsize=4)
def _per_seat(policy: str, key: str = SIMULATOR) -> np.ndarray:
    """Return per-seat daily buyers by cabin shape, (2, T, R): true or estimated."""
    if policy != "oracle" and key != SIMULATOR:
        demand, shapes = _fitted(key)
        return _by_shape(demand.rate(MarketParams().days_left(), GRID), shapes)
    market = build_market(_LEARNING_FLIGHTS, seed=0)
    if policy == "oracle":
        return np.repeat(market.true_rate(GRID)[None], 2, axis=0)
    # Without the competitor's fare: these tables price requests that do not send it.
    demand = fit_demand(learning_history(market, seed=0).drop(columns="competitor_fare"))
    rate = demand.rate(market.params.days_left(), GRID)
    cabin_of_group = demand.groups % len(market.params.cabins)
    return np.array([rate[cabin_of_group == c].mean(axis=0) for c in (0, 1)])


@lru_cache(maxsize=64)
def _table(policy: str, shape: int, capacity: int, key: str = SIMULATOR) -> PriceTable:
    rate = _per_seat(policy, key)[shape][None] * capacity
    tried = _tried(key) if policy == "optimal" else np.ones(len(GRID), dtype=bool)
    return solve(rate[..., tried], MarketParams().fare_curve(), GRID[tried], capacity)


def _tried(key: str) -> np.ndarray:
    """Return the prices of GRID a fit has seen (all of them for the simulator's).

    A seller's history spans a narrow band of prices (the synthetic feed's quotes lie within
    about 0.8-1.25x the market fare); beyond it the fit only extrapolates its slope, so the
    programme prices within the band the fit tried (its groups' 1st-99th percentiles).
    """
    if key == SIMULATOR:
        return np.ones(len(GRID), dtype=bool)
    fit = pd.DataFrame(_FITS[key]["fit"])
    inside = (GRID >= fit["ratio_low"].min()) & (GRID <= fit["ratio_high"].max())
    if inside.sum() < 2:  # too narrow a band to choose in: the two grid prices around it
        centre = np.searchsorted(GRID, fit["ratio_low"].min())
        inside[max(centre - 1, 0) : centre + 1] = True
    return inside


@lru_cache(maxsize=4)
def _responsive(policy: str, key: str = SIMULATOR) -> tuple:
    """Return (knots, per-seat rates (2, B, T, A) at the bins' actions, rate of one row)."""
    params = MarketParams()
    if policy != "oracle" and key != SIMULATOR:
        return _fitted_responsive(key)
    if policy == "oracle":
        bins, knots = true_bins(params), COMPETITOR_KNOTS
        prices = actions(GRID, bins, knots)
        t = np.arange(params.horizon_days)
        rate = true_rate(params, t, prices[:, None, :], bins[:, None])
        per_seat = np.repeat(rate[None], 2, axis=0)

        def at(shape: int, t: int, prices: np.ndarray, competitor: float) -> np.ndarray:
            return true_rate(params, t, prices, np.array(competitor))

        return knots, per_seat, prices, at
    # One group per cabin shape: the demand pooled over the learning market's routes.
    history = learning_history(build_market(_LEARNING_FLIGHTS, seed=0), seed=0)
    demand = fit_demand(history.assign(group=history["cabin"]))
    bins, knots = demand.competitor_ratio, demand.competitor_knots
    prices = actions(GRID, bins, knots)
    per_seat = demand.rate(params.days_left(), prices, bins)
    days = params.days_left()

    def at(shape: int, t: int, prices: np.ndarray, competitor: float) -> np.ndarray:
        one = np.array([competitor])
        return demand.rate_at(np.array([shape]), days[[t]], prices[None], one)[0]

    return knots, per_seat, prices, at


def _fitted_responsive(key: str) -> tuple:
    """Return `_responsive`'s tuple for a fit with the competitor's fare, pooled per shape."""
    demand, shapes = _fitted(key)
    bins, knots = demand.competitor_ratio, demand.competitor_knots
    prices = actions(GRID, bins, knots)
    days = MarketParams().days_left()
    per_seat = _by_shape(demand.rate(days, prices, bins), shapes)

    def at(shape: int, t: int, prices: np.ndarray, competitor: float) -> np.ndarray:
        rows = (
            np.flatnonzero(shapes == shape) if (shapes == shape).any() else np.arange(len(shapes))
        )
        n = len(rows)
        rate = demand.rate_at(rows, np.repeat(days[t], n), np.tile(prices, (n, 1)),
                              np.full(n, competitor))  # fmt: skip
        return rate.mean(axis=0)

    return knots, per_seat, prices, at


@lru_cache(maxsize=64)
def _values(policy: str, shape: int, capacity: int, key: str = SIMULATOR) -> np.ndarray:
    """Return V (T+1, C+1) of the programme conditioned on the competitor's fare."""
    _, per_seat, prices, _ = _responsive(policy, key)
    curve = MarketParams().fare_curve()
    return solve_value(per_seat[shape][None] * capacity, prices, curve, capacity)[0]


def _responsive_ratio(policy: str, shape: int, capacity: int, t: int, left: int, c: float,
                      key: str = SIMULATOR):  # fmt: skip
    """Return the best price / market fare for a competitor fare of `c` x the market fare."""
    knots, _, _, at = _responsive(policy, key)
    prices = actions(GRID, np.array(c), knots)
    rate = at(shape, t, prices, c) * capacity
    fare = MarketParams().fare_curve()[t]
    value = _values(policy, shape, capacity, key)[t + 1][None]
    return float(best_price(value, np.array([left]), rate[None], prices[None], fare)[0])


@lru_cache(maxsize=64)
def _protection(shape: int, capacity: int, key: str = SIMULATOR) -> np.ndarray:
    per_seat = _per_seat("optimal", key)[shape]
    demand = class_demand(per_seat, MarketParams().fare_curve()) * capacity
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
    competitor_fare: object = None,
    demand: ServedDemand | None = None,
) -> tuple[PriceResult, np.ndarray]:
    """Return the priced rows and the policy that priced each row.

    `policy` is one name for every row, or one per row (an experiment's batch of two arms,
    priced in one call). `competitor_fare` (USD per row, NaN or None = unknown) conditions
    `optimal` and `oracle` on the competitor's fare. `demand`: what `optimal` and `ladder`
    price with (default: the served one, `demand_store.served()`); without a fit they leave
    the row to `rule`.
    """
    rule = price_flights(market_fare, cabin, days_to_departure, load_factor=load_factor,
                         last_price=last_price, params=params)  # fmt: skip
    used = np.full(len(rule), "rule", dtype=object)
    wanted = np.broadcast_to(np.asarray(policy, dtype=object), used.shape)
    unknown = set(wanted.tolist()) - set(POLICIES)
    if unknown:
        raise ValueError(f"unknown pricing policy {sorted(unknown)}; expected one of {POLICIES}")
    key = _key(served() if demand is None else demand)
    if key is None:  # nothing fitted: optimal and ladder do not guess a demand
        wanted = np.where(np.isin(wanted, _LEARNT), "rule", wanted)
    if not (wanted != "rule").any():
        return rule, used
    # A fit without the competitor's fare prices every row as if none were given.
    responsive = key in (None, SIMULATOR) or _fitted(key)[0].competitor_ratio is not None
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
    competitor = np.full(proposed.shape, np.nan)
    if competitor_fare is not None:
        competitor = np.broadcast_to(np.asarray(competitor_fare, dtype=np.float64), proposed.shape)
    seen = np.isfinite(competitor) & (competitor > 0)
    for i in np.flatnonzero(known):
        size, left = int(cap[i]), int(min(max(seats[i], 0), cap[i]))
        mine = SIMULATOR if wanted[i] == "oracle" else key
        if seen[i] and (wanted[i] == "oracle" or (wanted[i] == "optimal" and responsive)):
            c = competitor[i] / proposed[i]
            proposed[i] *= _responsive_ratio(wanted[i], shapes[i], size, t[i], left, c, mine)
        elif wanted[i] == "ladder":
            base = proposed[i] / curve[t[i]]
            level = open_class(_protection(shapes[i], size, mine)[None, :], np.array([left]))[0]
            proposed[i] = base * LADDER[level]
        else:
            proposed[i] *= _table(wanted[i], shapes[i], size, mine).price_ratio(0, t[i], left)
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


def fallback_note(policy: str | np.ndarray, used: np.ndarray, demand: ServedDemand | None = None):
    """Return per row why a revenue policy left it to `rule` ("" where it did not)."""
    wanted = np.broadcast_to(np.asarray(policy, dtype=object), used.shape)
    fell = (wanted != "rule") & (used == "rule")
    missing = _key(served() if demand is None else demand) is None
    note = np.where(missing & np.isin(wanted, _LEARNT), NO_DEMAND_NOTE, NO_SEATS_NOTE)
    return np.where(fell, note, "").astype(object)
