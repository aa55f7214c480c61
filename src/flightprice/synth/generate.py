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

import io
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from flightprice.synth import _market as market
from flightprice.contract import CABINS

if TYPE_CHECKING:
    from flightprice.store import ObjectStore

SCHEDULE_COLUMNS = ("carrier", "flight_number", "origin", "destination", "departure_at",
                    "arrival_at", "cabin", "stops", "capacity")  # fmt: skip
FARE_COLUMNS = ("quote_id", "observed_at", "carrier", "flight_number", "origin", "destination",
                "departure_at", "cabin", "stops", "duration_minutes", "seats_remaining",
                "price", "currency")  # fmt: skip
SALE_HORIZON_DAYS = market.SALE_HORIZON_DAYS
CURRENCY = "USD"
SEATS_NULL_RATE = 0.02
MARKET_SUMMARY_KEY = "synthetic/market.json"
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class MarketReport:
    """What `generate_market` wrote, and how close any model can get to its prices."""

    seed: int
    first_day: date
    last_day: date
    routes: int
    flight_cabins: int
    fmt: str
    schedule_rows: int
    fare_rows: int
    price_min: float
    price_max: float
    noise_sigma: float
    noise_floor_mape: float  # MAPE of true_price against the written prices
    noise_floor_mape_expected: float  # the same, analytically: e^(s^2/2) erf(s/sqrt 2)
    files: list[str] = field(default_factory=list)
    profile: str = "clean"
    realistic: dict | None = None  # what the realistic profile added, and where its answer key is

    def to_dict(self) -> dict:
        """Return a JSON-ready dict."""
        data = asdict(self)
        data["first_day"], data["last_day"] = self.first_day.isoformat(), self.last_day.isoformat()
        if self.realistic is None:
            del data["realistic"]
        return data


def expected_noise_floor(sigma: float) -> float:
    """Return E|1 - 1/e| for lognormal noise e = exp(sigma z): the MAPE of a perfect model."""
    return math.exp(sigma**2 / 2) * math.erf(sigma / math.sqrt(2))


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
) -> MarketReport:
    """Write `days` days of schedule and fare files from `start`, one day at a time."""
    if fmt not in ("csv", "parquet") or schedules not in ("full", "new"):
        raise ValueError(f"unknown fmt={fmt!r} or schedules={schedules!r}")
    if days < 1 or seed < 0 or quotes_per_day <= 0 or noise_sigma < 0:
        raise ValueError("days >= 1, seed >= 0, quotes_per_day > 0 and noise_sigma >= 0 required")
    if profile not in ("clean", "realistic"):
        raise ValueError(f"unknown profile={profile!r}")
    network = market.build_network(seed, routes)
    if profile == "realistic":
        from flightprice.synth._realistic import generate_realistic

        return generate_realistic(
            store, network, start=start, days=days, routes=routes, seed=seed, fmt=fmt,
            quotes_per_day=quotes_per_day, noise_sigma=noise_sigma, schedules=schedules,
            progress=progress,
        )  # fmt: skip
    files: list[str] = []
    totals = {"schedule_rows": 0, "fare_rows": 0, "abs_error": 0.0}
    prices = [math.inf, -math.inf]
    for i in range(days):
        day = start + timedelta(days=i)
        on_sale, fares, abs_error, _ = _observe_day(
            network, seed, day, quotes_per_day, noise_sigma, full=schedules == "full" or i == 0
        )
        for feed, table in (("schedules", on_sale), ("fares", fares)):
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
    )  # fmt: skip
    write_market_summary(store, report)
    return report


def write_market_summary(store: ObjectStore, report: MarketReport) -> None:
    """Write the report without its file list: training reads it for the noise floor."""
    summary = {k: v for k, v in report.to_dict().items() if k != "files"}
    store.write_bytes(MARKET_SUMMARY_KEY, json.dumps(summary, indent=2).encode())


def read_market_summary(store: ObjectStore) -> dict | None:
    """Return what the last `generate_market` wrote about its market, or None (real data)."""
    if not store.exists(MARKET_SUMMARY_KEY):
        return None
    return json.loads(store.read_bytes(MARKET_SUMMARY_KEY))


def _observe_day(
    net: market.Network, seed: int, day: date, quotes_per_day: float, sigma: float, *,
    full: bool, level: np.ndarray | None = None,
) -> tuple[pa.Table, pa.Table, float, np.ndarray]:
    """Return the day's schedule and fare tables, the fares' summed |price - true| / price and
    their true prices; `level` multiplies each flight-cabin's true price (realistic profile)."""
    rng = np.random.default_rng([seed, 2, day.toordinal()])
    n, horizon = len(net), SALE_HORIZON_DAYS
    day0 = (day - _EPOCH).days
    departure_days = day0 + np.arange(horizon)
    # Cells are (departure day, flight-cabin) pairs on sale today, departure-day major.
    departure = (departure_days[:, None] * 86400 + net.departure_minute[None, :] * 60).ravel()
    fc = np.tile(np.arange(n), horizon)
    shown = slice(None) if full else slice((horizon - 1) * n, None)
    on_sale = _schedule_table(net, fc[shown], departure[shown])

    cell = np.repeat(np.arange(horizon * n), rng.poisson(quotes_per_day, size=horizon * n))
    quote_fc, quote_departure = fc[cell], departure[cell]
    # Quotes come at any time of day, but only before a same-day departure.
    window = np.minimum(quote_departure - day0 * 86400, 86400)
    observed = day0 * 86400 + (rng.random(len(cell)) * window).astype(np.int64)
    # A departure's demand draw depends only on (seed, departure day): the same flight shows
    # consistent, falling seat counts on every day it is observed.
    demand = np.concatenate([np.random.default_rng([seed, 1, d]).random(n) for d in departure_days])
    capacity = net.capacity[quote_fc].astype(float)
    _, _, day_of_year = market.calendar(quote_departure)
    booked = market.final_load(demand[cell], day_of_year) * market.booked_share(
        (quote_departure - observed) / 86400
    )
    seats = capacity - np.rint(capacity * booked)
    seats[rng.random(len(cell)) < SEATS_NULL_RATE] = np.nan
    true = market.combine(market.price_components(
        net.carrier[quote_fc], net.origin[quote_fc], net.destination[quote_fc], net.cabin[quote_fc],
        net.stops[quote_fc], net.duration[quote_fc], quote_departure, observed, seats, capacity,
    ))  # fmt: skip
    if level is not None:
        true = true * level[quote_fc]
    price = np.round(true * np.exp(sigma * rng.standard_normal(len(cell))), 2)

    order = np.lexsort((cell, observed))  # an upstream log is in time order
    quote_ids = pc.binary_join_element_wise(
        f"Q{seed}-{day:%Y%m%d}-",
        pc.utf8_lpad(pa.array(np.arange(len(cell))).cast(pa.string()), 7, "0"),
        "",
    )  # fmt: skip
    fares = _flight_columns(net, quote_fc[order], quote_departure[order], with_arrival=False)
    fares = {
        "quote_id": quote_ids,
        "observed_at": pa.array(observed[order], pa.timestamp("s")),
        **fares,
        "duration_minutes": pa.array(net.duration[quote_fc][order], pa.int32()),
        "seats_remaining": pa.array(seats[order], pa.int32(), from_pandas=True),
        "price": pa.array(price[order], pa.float64()),
        "currency": pa.array(np.full(len(cell), CURRENCY)),
    }
    fares = pa.table({name: fares[name] for name in FARE_COLUMNS})
    return on_sale, fares, float(np.sum(np.abs(price - true) / price)), true[order]


def _schedule_table(net: market.Network, fc: np.ndarray, departure: np.ndarray) -> pa.Table:
    """Return schedule rows for flight-cabins `fc` departing at `departure` (epoch seconds)."""
    columns = _flight_columns(net, fc, departure, with_arrival=True)
    columns["capacity"] = pa.array(net.capacity[fc], pa.int32())
    return pa.table({name: columns[name] for name in SCHEDULE_COLUMNS})


def _flight_columns(
    net: market.Network, fc: np.ndarray, departure: np.ndarray, *, with_arrival: bool
) -> dict[str, pa.Array]:
    """Return the columns that name a flight and cabin, shared by both feeds."""
    columns = {
        "carrier": _decode(net.carrier[fc], market.CARRIER_CODES),
        "flight_number": pa.array(net.flight_number[fc]).cast(pa.string()),
        "origin": _decode(net.origin[fc], market.AIRPORT_CODES),
        "destination": _decode(net.destination[fc], market.AIRPORT_CODES),
        "departure_at": pa.array(departure, pa.timestamp("s")),
        "cabin": _decode(net.cabin[fc], CABINS),
        "stops": pa.array(net.stops[fc], pa.int32()),
    }
    if with_arrival:
        columns["arrival_at"] = pa.array(departure + net.duration[fc] * 60, pa.timestamp("s"))
    return columns


def _decode(indices: np.ndarray, values: tuple[str, ...]) -> pa.Array:
    """Turn code indices into a string column without a Python loop per row."""
    return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), values).cast(pa.string())


def _encode(table: pa.Table, fmt: str) -> bytes:
    """Serialise a feed file: ISO timestamps without offset in CSV, timestamp columns in Parquet."""
    sink = io.BytesIO()
    stamps = [i for i, f in enumerate(table.schema) if pa.types.is_timestamp(f.type)]
    for i in stamps:
        column = table.column(i)
        if fmt == "csv":
            # Arrow renders timestamp[s] as "YYYY-MM-DD HH:MM:SS", much faster than strftime.
            column = pc.replace_substring(column.cast(pa.string()), " ", "T", max_replacements=1)
        else:
            column = column.cast(pa.timestamp("us"))
        table = table.set_column(i, table.field(i).name, column)
    if fmt == "csv":
        # Codes, numbers and ISO stamps never hold a comma or quote: no quoting needed.
        pa_csv.write_csv(table, sink, pa_csv.WriteOptions(quoting_style="none"))
    else:
        pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def price_components(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Return each multiplicative price effect for contract fare columns plus `capacity`."""
    codes = {
        column: pd.Categorical(frame[column].astype(str), categories=values).codes.astype(np.int64)
        for column, values in (("carrier", market.CARRIER_CODES), ("origin", market.AIRPORT_CODES),
                               ("destination", market.AIRPORT_CODES), ("cabin", CABINS))
    }  # fmt: skip
    known = np.logical_and.reduce([c >= 0 for c in codes.values()])
    components = market.price_components(
        *(np.where(known, codes[c], 0) for c in ("carrier", "origin", "destination", "cabin")),
        frame["stops"].to_numpy(np.int64),
        frame["duration_minutes"].to_numpy(float),
        _epoch_seconds(frame["departure_at"]),
        _epoch_seconds(frame["observed_at"]),
        pd.to_numeric(frame["seats_remaining"]).to_numpy(float, na_value=np.nan),
        pd.to_numeric(frame["capacity"]).to_numpy(float, na_value=np.nan),
    )
    # Codes outside the synthetic world have no true price.
    return {name: np.where(known, values, np.nan) for name, values in components.items()}


def true_price(frame: pd.DataFrame) -> np.ndarray:
    """Return the noiseless USD price of each row (NaN for codes outside the market)."""
    return market.combine(price_components(frame))


def _epoch_seconds(column: pd.Series) -> np.ndarray:
    """Return UTC epoch seconds of ISO strings or (naive = UTC, or aware) timestamps."""
    stamps = pd.to_datetime(column)
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.to_numpy("datetime64[s]").astype(np.int64)
