"""One synthetic day as files: the columns, the day's schedule and quotes, the report.

Shared by the clean profile (`generate`) and the realistic one (`_realistic`).
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from flightprice.contract import CABINS
from flightprice.synth import _market as market

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
    booking_rows: int | None = None  # rows of the bookings feed, when it was generated

    def to_dict(self) -> dict:
        """Return a JSON-ready dict."""
        data = asdict(self)
        data["first_day"], data["last_day"] = self.first_day.isoformat(), self.last_day.isoformat()
        if self.realistic is None:
            del data["realistic"]
        if self.booking_rows is None:
            del data["booking_rows"]
        return data


def expected_noise_floor(sigma: float) -> float:
    """Return E|1 - 1/e| for lognormal noise e = exp(sigma z): the MAPE of a perfect model."""
    return math.exp(sigma**2 / 2) * math.erf(sigma / math.sqrt(2))


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
