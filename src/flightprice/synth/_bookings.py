"""The bookings feed of the synthetic market: who bought at the fares on offer that day.

Each fare quote of a day is a price on offer for one flight and cabin. The buyers who see it
come from the revenue simulator's customer model (`flightprice.revenue.demand`): its
segments (leisure early and price-sensitive, business late and price-insensitive), their
arrival kernel by days to departure and their arrivals per seat, spread over the day's
quotes (1 / `quotes_per_day` of a flight-cabin's daily arrivals per quote). A buyer's
willingness to pay is anchored to the quote's true (noise-free) price, as the simulator
anchors it to the market fare, and capped by a competitor's fare plus the segment's switching
premium; they buy when the quoted price is at most that, while the quote's seats last. So a
quote priced above its true price sells less: demand can be learnt from these files as a
seller would learn it from its own sales. Each quote's seats cap its own sales, and given the
running total of seats sold (`sold`, kept by `generate_market` across days) a flight-cabin's
sales over all its quotes and days never exceed its capacity (a load factor above 1 would
make the feed impossible). The fares' `seats_remaining` is still drawn by the fare model on
its own.

Rows: booking_id, booked_at (after the quote, before departure and within its day), the
flight (carrier, number, route, departure), cabin, seats (a party: business 1, leisure 1 +
Poisson(0.5), at most MAX_BOOKING_SEATS), price_paid per seat and currency as quoted.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flightprice.contract import CABINS, MAX_BOOKING_SEATS
from flightprice.revenue.demand import MarketParams
from flightprice.synth import _market as market
from flightprice.synth._day import _encode, _flight_columns

if TYPE_CHECKING:
    from flightprice.store import ObjectStore

BOOKING_COLUMNS = ("booking_id", "booked_at", "carrier", "flight_number", "origin",
                   "destination", "departure_at", "cabin", "seats", "price_paid", "currency")  # fmt: skip
LEISURE_EXTRA_SEATS = 0.5  # mean extra travellers of a leisure party


def draw_bookings(
    fares: pa.Table,
    true_price: np.ndarray,
    capacity: np.ndarray,
    *,
    seed: int,
    day: date,
    quotes_per_day: float,
    params: MarketParams | None = None,
    sold: dict[tuple, int] | None = None,
) -> pa.Table:
    """Return the day's bookings (BOOKING_COLUMNS) at the prices of `fares` (the day's quotes).

    `true_price` and `capacity` are per quote (row of `fares`); seeded by (seed, day). `sold`:
    seats already sold per flight-cabin on earlier days; sales stop at the capacity, and the
    day's sales are added to it.
    """
    params = MarketParams() if params is None else params
    rng = np.random.default_rng([seed, 3, day.toordinal()])
    observed = _seconds(fares["observed_at"])
    departure = _seconds(fares["departure_at"])
    days_left = np.clip((departure - observed) / 86400, 0.0, params.horizon_days - 1e-9)
    # The simulator's arrival kernel by day index t = horizon - ceil(days left).
    t = np.clip(params.horizon_days - np.ceil(days_left).astype(int), 0, params.horizon_days - 1)
    weights = params.arrival_weights()[:, t]  # (segment, quote)
    shares = np.array([s.share for s in params.segments])[:, None]
    rate = params.arrivals_per_seat() * capacity * shares * weights / quotes_per_day
    counts = rng.poisson(rate)  # (segment, quote)
    segment, quote = np.nonzero(counts)
    repeats = counts[segment, quote]
    segment, quote = np.repeat(segment, repeats), np.repeat(quote, repeats)
    median = np.array([s.wtp_median for s in params.segments])[segment]
    log_sd = np.array([s.wtp_log_sd for s in params.segments])[segment]
    premium = np.array([s.switching_premium for s in params.segments])[segment]
    anchor = true_price[quote]
    wtp = anchor * median * np.exp(log_sd * rng.standard_normal(len(quote)))
    competitor = anchor * np.exp(params.competitor_log_sd * rng.standard_normal(len(quote)))
    price = fares["price"].to_numpy()
    willing = price[quote] <= np.minimum(wtp, competitor * (1 + premium))
    leisure = np.array([s.name == "leisure" for s in params.segments])[segment]
    party = 1 + np.where(leisure, rng.poisson(LEISURE_EXTRA_SEATS, len(quote)), 0)
    party = np.minimum(party, MAX_BOOKING_SEATS)
    buyer = _within_seats(quote, willing, party, _seats_left(fares, capacity))
    if sold is not None:
        buyer = _within_capacity(fares, capacity, quote, buyer, party, sold)
    return _table(fares, quote[buyer], party[buyer], observed, departure, rng, seed, day)


def quote_capacity(net: market.Network, fares: pa.Table) -> np.ndarray:
    """Return the cabin capacity of each quote's flight-cabin (from the network)."""
    carriers = np.asarray(market.CARRIER_CODES)[net.carrier]
    cabins = np.asarray(CABINS)[net.cabin]
    capacity = {
        (c, str(n), k): cap
        for c, n, k, cap in zip(carriers, net.flight_number, cabins, net.capacity, strict=True)
    }
    keys = zip(fares["carrier"].to_pylist(), fares["flight_number"].to_pylist(),
               fares["cabin"].to_pylist(), strict=True)  # fmt: skip
    return np.array([capacity[key] for key in keys], dtype=np.float64)


def _seats_left(fares: pa.Table, capacity: np.ndarray) -> np.ndarray:
    seats = fares["seats_remaining"].to_numpy(zero_copy_only=False)
    return np.where(np.isnan(seats.astype(float)), capacity, seats).astype(np.int64)


def _within_capacity(
    fares: pa.Table,
    capacity: np.ndarray,
    quote: np.ndarray,
    buys: np.ndarray,
    party: np.ndarray,
    sold: dict[tuple, int],
) -> np.ndarray:
    """Return which buyers still get seats once each flight-cabin's capacity is counted."""
    columns = [fares[c].to_pylist() for c in ("carrier", "flight_number", "departure_at", "cabin")]
    keys = list(zip(*columns, strict=True))
    index: dict[tuple, int] = {}
    unit = np.array([index.setdefault(k, len(index)) for k in keys], dtype=np.int64)
    units = list(index)
    room = np.zeros(len(units), dtype=np.int64)
    room[unit] = capacity.astype(np.int64)
    room -= np.array([sold.get(k, 0) for k in units], dtype=np.int64)
    buys = _within_seats(unit[quote], buys, party, np.maximum(room, 0))
    taken = np.bincount(unit[quote][buys], party[buys], minlength=len(units))
    for key, seats in zip(units, taken.astype(np.int64).tolist(), strict=True):
        if seats:
            sold[key] = sold.get(key, 0) + seats
    return buys


def _within_seats(
    quote: np.ndarray, willing: np.ndarray, party: np.ndarray, seats: np.ndarray
) -> np.ndarray:
    """Return which willing buyers get their seats: in arrival order, while seats remain."""
    wanted = np.bincount(quote, np.where(willing, party, 0), minlength=len(seats))
    buys = willing.copy()
    # Only the few quotes asked for more seats than they have need a buyer-by-buyer pass.
    for q in np.flatnonzero(wanted > seats):
        left = seats[q]
        for i in np.flatnonzero((quote == q) & willing):
            buys[i] = party[i] <= left
            left -= party[i] if buys[i] else 0
    return buys


def _table(
    fares: pa.Table,
    quote: np.ndarray,
    seats: np.ndarray,
    observed: np.ndarray,
    departure: np.ndarray,
    rng: np.random.Generator,
    seed: int,
    day: date,
) -> pa.Table:
    # Booked after the quote was seen, before departure and before the day ends.
    day_end = (day - date(1970, 1, 1)).days * 86400 + 86399
    latest = np.minimum(departure[quote], day_end)
    gap = latest - observed[quote]
    booked = observed[quote] + (rng.random(len(quote)) * gap).astype(np.int64)
    order = np.lexsort((quote, booked))  # a sales log is in time order
    quote, seats, booked = quote[order], seats[order], booked[order]
    ids = pc.binary_join_element_wise(
        f"B{seed}-{day:%Y%m%d}-",
        pc.utf8_lpad(pa.array(np.arange(len(quote))).cast(pa.string()), 7, "0"),
        "",
    )  # fmt: skip
    picked = fares.take(pa.array(quote, pa.int64()))
    columns = {
        "booking_id": ids,
        "booked_at": pa.array(booked, pa.timestamp("s")),
        **{name: picked[name] for name in ("carrier", "flight_number", "origin", "destination",
                                           "departure_at", "cabin", "currency")},
        "seats": pa.array(seats, pa.int32()),
        "price_paid": picked["price"],
    }  # fmt: skip
    return pa.table({name: columns[name] for name in BOOKING_COLUMNS})


def _seconds(column: pa.ChunkedArray) -> np.ndarray:
    return column.cast(pa.timestamp("s")).cast(pa.int64()).to_numpy()


def market_flights(seed: int, routes: int, departure_days: list[date]) -> pa.Table:
    """Return the market's flights and cabins departing on `departure_days`: the request
    columns of a quote (no time or seats) and each cabin's capacity."""
    net = market.build_network(seed, routes)
    days = np.array([(d - date(1970, 1, 1)).days for d in departure_days], dtype=np.int64)
    fc = np.tile(np.arange(len(net)), len(days))
    departure = np.repeat(days * 86400, len(net)) + net.departure_minute[fc] * 60
    columns = _flight_columns(net, fc, departure, with_arrival=False)
    columns["duration_minutes"] = pa.array(net.duration[fc], pa.int32())
    columns["capacity"] = pa.array(net.capacity[fc], pa.int32())
    return pa.table(columns)


def write_bookings(store: ObjectStore, day: date, bookings: pa.Table, fmt: str = "csv") -> str:
    """Write one day's bookings file where the feed delivers it; return its key."""
    key = f"raw-data/bookings/{day.isoformat()}/bookings.{fmt}"
    store.write_bytes(key, _encode(bookings.select(BOOKING_COLUMNS), fmt))
    return key
