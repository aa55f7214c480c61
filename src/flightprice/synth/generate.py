"""Seeded synthetic flight market: daily schedule and fare files, as an upstream feed delivers them.

For each observation day D the market writes `raw-data/schedules/<D>/schedules.<ext>` (every
flight and cabin on sale: departing within the 90-day sale horizon) and
`raw-data/fares/<D>/fares.<ext>` (the quotes observed on D). Generation holds one day in
memory at a time, so row counts are bounded by disk, not RAM.

Sizes: a route carries about 9 flight-cabins a day (1-3 carriers x 1-5 daily flights x 1-4
cabins), each on sale for 90 departure days, so one route-day yields ~820 schedule rows
(`schedules="full"`) and ~820 x `quotes_per_day` fare rows. The defaults (routes=40, days=30,
quotes_per_day=0.2) give ~0.97M schedule rows and ~195k fares in about a second;
quotes_per_day=1 gives ~1M fares; routes=200, days=60, quotes_per_day=1 gives ~9.8M (20-40 s,
under 300 MB of memory). `schedules="new"` writes the full horizon on the first day and then
only the departure day that opened for sale: 90x fewer schedule rows for large runs.

Price = base(distance, cabin, carrier) x booking window x hour x weekday x season x load x
stops, times lognormal noise exp(sigma * z). The load effect prices the load factor against
the usual booking curve for that many days out (1.0 when seats_remaining is null), so the
booking window alone carries the calibrated days-out profile. `true_price` gives the
noiseless part from the file columns plus the schedule's `capacity`.

`profile="realistic"` adds what real feeds carry (currencies with daily rates, per-flight
price levels, fares-only days, up to 4 stops, offsets, re-delivered quotes, planted bad rows
with an answer key): see synth/_realistic.py. The clean profile's files do not change.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

import pyarrow.compute as pc

from flightprice.synth import _market as market
from flightprice.synth._bookings import draw_bookings, quote_capacity
from flightprice.synth._day import (
    FARE_COLUMNS,
    MARKET_SUMMARY_KEY,
    SCHEDULE_COLUMNS,
    MarketReport,
    _encode,
    _observe_day,
    expected_noise_floor,
    price_components,
    read_market_summary,
    true_price,
    write_market_summary,
)
from flightprice.synth._realistic import generate_realistic

if TYPE_CHECKING:
    from flightprice.store import ObjectStore

__all__ = [
    "FARE_COLUMNS",
    "MARKET_SUMMARY_KEY",
    "SCHEDULE_COLUMNS",
    "MarketReport",
    "expected_noise_floor",
    "generate_market",
    "price_components",
    "read_market_summary",
    "true_price",
]


def generate_market(
    store: ObjectStore,
    *,
    start: date,
    days: int = 30,
    routes: int = 40,
    seed: int = 42,
    fmt: Literal["csv", "parquet"] = "csv",
    quotes_per_day: float = 0.2,
    noise_sigma: float = 0.10,
    schedules: Literal["full", "new"] = "full",
    progress: Callable[[int, int], None] | None = None,
    profile: Literal["clean", "realistic"] = "clean",
    bookings: bool = False,
) -> MarketReport:
    """Write `days` days of schedule and fare files from `start`, one day at a time.

    `bookings`: also a bookings file per day, the sales at that day's quotes (synth/_bookings.py;
    clean profile only).
    """
    if fmt not in ("csv", "parquet") or schedules not in ("full", "new"):
        raise ValueError(f"unknown fmt={fmt!r} or schedules={schedules!r}")
    if days < 1 or seed < 0 or quotes_per_day <= 0 or noise_sigma < 0:
        raise ValueError("days >= 1, seed >= 0, quotes_per_day > 0 and noise_sigma >= 0 required")
    if profile not in ("clean", "realistic"):
        raise ValueError(f"unknown profile={profile!r}")
    if bookings and profile != "clean":
        raise ValueError("bookings are generated for the clean profile only")
    network = market.build_network(seed, routes)
    if profile == "realistic":
        return generate_realistic(
            store, network, start=start, days=days, routes=routes, seed=seed, fmt=fmt,
            quotes_per_day=quotes_per_day, noise_sigma=noise_sigma, schedules=schedules,
            progress=progress,
        )  # fmt: skip
    files: list[str] = []
    totals = {"schedule_rows": 0, "fare_rows": 0, "abs_error": 0.0, "booking_rows": 0}
    prices = [math.inf, -math.inf]
    sold_seats: dict[tuple, int] = {}  # per flight-cabin, across days: sales stop at capacity
    for i in range(days):
        day = start + timedelta(days=i)
        on_sale, fares, abs_error, true = _observe_day(
            network, seed, day, quotes_per_day, noise_sigma, full=schedules == "full" or i == 0
        )
        feeds = [("schedules", on_sale), ("fares", fares)]
        if bookings:
            capacity = quote_capacity(network, fares)
            sold = draw_bookings(fares, true, capacity, seed=seed, day=day,
                                 quotes_per_day=quotes_per_day, sold=sold_seats)  # fmt: skip
            feeds.append(("bookings", sold))
            totals["booking_rows"] += sold.num_rows
        for feed, table in feeds:
            key = f"raw-data/{feed}/{day.isoformat()}/{feed}.{fmt}"
            store.write_bytes(key, _encode(table, fmt))
            files.append(key)
        totals["schedule_rows"] += on_sale.num_rows
        totals["fare_rows"] += fares.num_rows
        totals["abs_error"] += abs_error
        if fares.num_rows:
            low, high = pc.min_max(fares["price"]).values()
            prices = [min(prices[0], low.as_py()), max(prices[1], high.as_py())]
        if progress is not None:
            progress(i + 1, days)
    report = MarketReport(
        seed=seed, first_day=start, last_day=start + timedelta(days=days - 1), routes=routes,
        flight_cabins=len(network), fmt=fmt, schedule_rows=totals["schedule_rows"],
        fare_rows=totals["fare_rows"], price_min=prices[0], price_max=prices[1],
        noise_sigma=noise_sigma,
        noise_floor_mape=totals["abs_error"] / max(totals["fare_rows"], 1),
        noise_floor_mape_expected=expected_noise_floor(noise_sigma), files=files,
        booking_rows=totals["booking_rows"] if bookings else None,
    )  # fmt: skip
    write_market_summary(store, report)
    return report


