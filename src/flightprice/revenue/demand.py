"""Customers of the simulated market: who arrives when, and the most each will pay.

For every flight and cabin (a *unit*), buyers arrive over the sale horizon as a
non-homogeneous Poisson process by days to departure, in two segments (the usual split of
airline revenue-management simulators, e.g. Belobaba's PODS; Szymanski, Belobaba and Papen,
J. Revenue Pricing Manag. 20(6), 2021):

- **leisure**: early (arrivals by days left follow a gamma kernel with mean ~45 days), price
  sensitive (willingness to pay lognormal, median 1.0 x the market fare, sd of log 0.30),
  and they buy only at or below the competitor's fare;
- **business**: late (gamma kernel with mean ~11 days), price insensitive (median 1.6 x the
  market fare, sd of log 0.45), and they accept the competitor's fare plus a schedule
  premium (25%) before switching.

`demand_factor` is PODS' demand factor: expected bookings over the horizon if the market fare
were offered throughout, per seat; the default 1.0 is PODS' "medium demand" market (more buyers
arrive: those who would not buy at the market fare). The market fare of a unit rises towards departure (`late_premium`), like the synthetic
fare feed's premium curve; the competitor's fare is the market fare with daily lognormal noise.

A buyer buys if the offered price is at most their *reservation price*
``min(willingness to pay, competitor fare x (1 + switching premium))`` while seats remain, so a
customer stream is one reservation price per buyer. `draw_customers` draws it from a seed,
independently of any pricing policy: every policy meets the same buyers (common random
numbers). Arrays are indexed by day t = 0..horizon-1, i.e. `horizon - t` days to departure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

__all__ = [
    "CABIN_NAMES",
    "SEGMENTS",
    "Customers",
    "Market",
    "MarketParams",
    "Segment",
    "build_market",
    "draw_customers",
]

CABIN_NAMES: tuple[str, ...] = ("economy", "business")


@dataclass(frozen=True)
class Segment:
    """One customer segment: its share, timing and willingness to pay."""

    name: str
    share: float  # of expected arrivals
    arrival_shape: float  # gamma kernel over days to departure: shape ...
    arrival_scale_days: float  # ... and scale (mean = shape x scale days)
    wtp_median: float  # x the market fare on the day of arrival
    wtp_log_sd: float  # sd of log(willingness to pay): higher = less price sensitive
    switching_premium: float  # accepts up to competitor fare x (1 + this)


SEGMENTS: tuple[Segment, ...] = (
    Segment("leisure", 0.7, 3.0, 15.0, 1.0, 0.30, 0.0),
    Segment("business", 0.3, 1.5, 7.5, 1.6, 0.45, 0.25),
)


@dataclass(frozen=True)
class MarketParams:
    """Every parameter of the simulated market, with its default (see the module docstring)."""

    horizon_days: int = 90  # days on sale; one price per unit and day
    demand_factor: float = 1.0  # expected bookings at the market fare per seat (PODS)
    segments: tuple[Segment, ...] = SEGMENTS
    late_premium: float = 0.30  # market fare at departure = base x (1 + this)
    late_premium_days: float = 14.0  # e-folding days of that rise
    competitor_log_sd: float = 0.10  # daily noise of the competitor's fare around the market's
    routes: int = 40  # routes the flights are spread over (the estimation's groups)
    economy_fare_median: float = 320.0  # USD, base fare of a route's economy cabin
    route_fare_log_sd: float = 0.5  # spread of base fares across routes
    business_fare_ratio: float = 3.8  # business base fare / economy (the synthetic market's)
    economy_capacities: tuple[int, ...] = (150, 180, 220)
    business_capacities: tuple[int, ...] = (20, 30, 42)
    cabins: tuple[str, ...] = field(default=CABIN_NAMES)

    def days_left(self) -> np.ndarray:
        """Return days to departure for each day index t (horizon .. 1)."""
        return np.arange(self.horizon_days, 0, -1, dtype=np.float64)

    def arrival_weights(self) -> np.ndarray:
        """Return each segment's share of its arrivals per day, shape (segments, horizon)."""
        days = self.days_left()
        kernel = np.array(
            [stats.gamma.pdf(days - 0.5, s.arrival_shape, scale=s.arrival_scale_days)
             for s in self.segments]
        )  # fmt: skip
        return kernel / kernel.sum(axis=1, keepdims=True)

    def arrivals_per_seat(self) -> float:
        """Return expected arrivals per seat: demand_factor / P(buy at the market fare)."""
        buy = 0.0
        for s in self.segments:
            wtp = stats.norm.sf(np.log(1.0 / s.wtp_median) / s.wtp_log_sd)
            cheaper = stats.norm.sf(-np.log1p(s.switching_premium) / self.competitor_log_sd)
            buy += s.share * wtp * cheaper
        return self.demand_factor / buy

    def fare_curve(self) -> np.ndarray:
        """Return the market fare by day index as a multiple of the base fare."""
        return 1.0 + self.late_premium * np.exp(-self.days_left() / self.late_premium_days)


@dataclass(frozen=True, eq=False)
class Market:
    """The units on sale: one row per flight and cabin, arrays by (unit, day)."""

    params: MarketParams
    flight: np.ndarray  # flight index of each unit
    route: np.ndarray  # route index
    cabin: np.ndarray  # index into params.cabins
    capacity: np.ndarray  # seats
    base_fare: np.ndarray  # USD
    market_fare: np.ndarray  # (unit, day) USD: the rule policy's model fare
    competitor_fare: np.ndarray  # (unit, day) USD
    arrival_rate: np.ndarray  # (unit, segment, day) expected arrivals

    def __len__(self) -> int:
        return len(self.capacity)

    @property
    def group(self) -> np.ndarray:
        """Return the route-cabin group of each unit (what demand is estimated per)."""
        return self.route * len(self.params.cabins) + self.cabin

    def cabin_names(self) -> np.ndarray:
        """Return each unit's cabin by name."""
        return np.asarray(self.params.cabins)[self.cabin]

    def true_rate(self, grid: np.ndarray) -> np.ndarray:
        """Return expected buyers per seat per day at price = grid x market fare, (T, R).

        The competitor's fare is unknown ahead of the day, so its noise is integrated out:
        P(buy) = P(wtp >= r) x P(competitor x (1 + premium) >= r) per segment.
        """
        params = self.params
        sd = params.competitor_log_sd
        log_r = np.log(grid)[None, :]
        rate = np.zeros((params.horizon_days, len(grid)))
        weights = params.arrival_weights()
        for s, w in zip(params.segments, weights, strict=True):
            wtp = stats.norm.sf((log_r - np.log(s.wtp_median)) / s.wtp_log_sd)
            cheaper = stats.norm.sf((log_r - np.log1p(s.switching_premium)) / sd)
            rate += params.arrivals_per_seat() * s.share * w[:, None] * wtp * cheaper
        return rate


@dataclass(frozen=True, eq=False)
class Customers:
    """One customer stream: buyers sorted by day, then unit, then arrival order."""

    day_start: np.ndarray  # (horizon + 1,) offsets: day t's buyers are [day_start[t], [t+1])
    unit: np.ndarray  # unit of each buyer
    segment: np.ndarray  # segment index
    reservation: np.ndarray  # USD: the most this buyer pays here today

    def __len__(self) -> int:
        return len(self.unit)

    def day(self, t: int) -> slice:
        """Return the slice of day t's buyers."""
        return slice(int(self.day_start[t]), int(self.day_start[t + 1]))


def build_market(flights: int, seed: int, params: MarketParams | None = None) -> Market:
    """Return `flights` flights with one unit per cabin, seeded and reproducible."""
    params = MarketParams() if params is None else params
    rng = np.random.default_rng([seed, 1])
    n_cabins = len(params.cabins)
    route_base = params.economy_fare_median * np.exp(
        params.route_fare_log_sd * rng.standard_normal(params.routes)
    )
    flight_route = rng.integers(0, params.routes, flights)
    flight = np.repeat(np.arange(flights), n_cabins)
    cabin = np.tile(np.arange(n_cabins), flights)
    route = flight_route[flight]
    business = cabin == params.cabins.index("business") if "business" in params.cabins else False
    capacity = np.where(
        business,
        rng.choice(params.business_capacities, len(flight)),
        rng.choice(params.economy_capacities, len(flight)),
    )
    # Flights on a route differ a little (time of day, aircraft) around the route's fare.
    base = route_base[route] * np.where(business, params.business_fare_ratio, 1.0)
    base = base * np.exp(0.05 * rng.standard_normal(len(flight)))
    market = base[:, None] * params.fare_curve()[None, :]
    noise = params.competitor_log_sd * rng.standard_normal(market.shape)
    competitor = market * np.exp(noise)
    shares = np.array([s.share for s in params.segments])
    rate = (
        (params.arrivals_per_seat() * capacity)[:, None, None]
        * shares[None, :, None]
        * params.arrival_weights()[None, :, :]
    )
    return Market(
        params=params, flight=flight, route=route, cabin=cabin, capacity=capacity,
        base_fare=base, market_fare=market, competitor_fare=competitor, arrival_rate=rate,
    )  # fmt: skip


def draw_customers(market: Market, seed: int) -> Customers:
    """Draw the buyers of every unit and day from `seed` (the same for every policy)."""
    rng = np.random.default_rng([seed, 2])
    params = market.params
    counts = rng.poisson(market.arrival_rate)  # (unit, segment, day)
    n_units, n_segments, horizon = counts.shape
    cells = counts.transpose(2, 0, 1).ravel()  # day-major: (day, unit, segment)
    day = np.repeat(np.repeat(np.arange(horizon), n_units * n_segments), cells)
    unit = np.repeat(np.tile(np.repeat(np.arange(n_units), n_segments), horizon), cells)
    segment = np.repeat(np.tile(np.arange(n_segments), horizon * n_units), cells)
    # Arrival order within a day is random, so who is turned away when seats run out is too.
    order = np.lexsort((rng.random(len(day)), unit, day))
    day, unit, segment = day[order], unit[order], segment[order]
    median = np.array([s.wtp_median for s in params.segments])[segment]
    log_sd = np.array([s.wtp_log_sd for s in params.segments])[segment]
    premium = np.array([s.switching_premium for s in params.segments])[segment]
    fare = market.market_fare[unit, day]
    wtp = fare * median * np.exp(log_sd * rng.standard_normal(len(day)))
    reservation = np.minimum(wtp, market.competitor_fare[unit, day] * (1.0 + premium))
    day_start = np.searchsorted(day, np.arange(horizon + 1))
    return Customers(day_start=day_start, unit=unit, segment=segment, reservation=reservation)


def sell_day(
    customers: Customers, t: int, price: np.ndarray, seats_left: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sell day t at `price` per unit; return (seats sold per unit, offered, bought) per buyer.

    A buyer is *offered* a seat if one is left when they arrive; they *buy* if offered and
    the price is at most their reservation price. `offered` and `bought` are boolean arrays
    over the day's buyers (`customers.day(t)`).
    """
    day = customers.day(t)
    unit = customers.unit[day]
    willing = customers.reservation[day] >= price[unit]
    # Rank of each willing buyer among the day's willing buyers of the same unit: buyers are
    # sorted by unit, so a running count minus the count before the unit's first buyer.
    running = np.cumsum(willing) - willing
    first = np.searchsorted(unit, unit, side="left")
    rank_willing = running - running[first]
    # Offered while seats remain: those before the seats ran out (willing buyers take them).
    bought = willing & (rank_willing < seats_left[unit])
    sold = np.bincount(unit[bought], minlength=len(seats_left))
    # A buyer arriving after the last seat went is not offered one.
    taken_before = np.cumsum(bought) - bought
    offered = (taken_before - taken_before[first]) < seats_left[unit]
    return sold, offered, bought
