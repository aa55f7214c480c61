"""The realistic synthetic market: what real fare feeds deliver, on the clean price model.

`generate_market(..., profile="realistic")` draws the clean profile's network, demand and
noise, and adds, each seeded by `seed`:

- Points of sale: each route quotes in one currency of `contract.CURRENCIES` (each currency
  on one route once there are 10 routes; other routes sell in the origin's home currency).
  The price model stays in USD; a quote is converted at its observation day's rate.
- Daily rates: per currency a random walk around `RATE_LEVELS` (daily log-sd
  `RATE_DAILY_SIGMA`), written as `raw-data/currency_rates/<D>/currency_rates.csv` with
  `date, currency, rate_to_usd` (USD per unit, as in the dbt seed). JPY prices have no cents.
- Per-flight level: each flight (carrier + flight number) prices at a persistent lognormal
  multiple of its route and cabin (`FLIGHT_LEVEL_SIGMA`), as flights do in real markets.
- Fares-only days: `FARES_ONLY_SHARE` of the days after the first have no schedules file.
- Long itineraries: `LONG_ITINERARY_SHARE` of flights make 3 or 4 stops. They are good rows,
  also where the contract's MAX_STOPS is lower; the report counts those rows.
- Expensive fares: business and first in INR or JPY run far above 100,000 local units.
- Offsets: points of sale in `UTC_OFFSETS` write local times with their UTC offset.
- Re-delivery: `REDELIVERED_SHARE` of a day's good quotes come again in the next day's file.
- Bad rows: `BAD_ROW_SHARE` of each day's own quotes are broken, one kind each (the kinds of
  `_bad_rows.KINDS` in turn, so all appear); the answer key (file key, 1-based data row,
  column, kind, value) is written to `BAD_ROWS_KEY`, outside raw-data.

The report's `realistic` counts (currencies, rows over the contract's MAX_STOPS or, in local
units, MAX_PRICE) are over the good quotes, each counted once. The noise floor is the MAPE of the true USD price (flight level included: a model can learn
it from carrier and flight number) against the written price converted back at the written
rate, over the good quotes, each counted once.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from flightprice.contract import CURRENCIES, MAX_PRICE, MAX_STOPS
from flightprice.synth import _bad_rows
from flightprice.synth import _market as market
from flightprice.synth._day import (
    FARE_COLUMNS,
    MarketReport,
    _encode,
    _observe_day,
    expected_noise_floor,
    write_market_summary,
)

if TYPE_CHECKING:
    from flightprice.store import ObjectStore

RATES_FEED = "currency_rates"
BAD_ROWS_KEY = "synthetic/realistic_bad_rows.json"
# USD per unit, around late-2020s levels (the dbt seed's values).
RATE_LEVELS = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CAD": 0.73, "AUD": 0.66, "JPY": 1 / 150,
               "CHF": 1.13, "SGD": 0.74, "AED": 0.2723, "INR": 1 / 83}  # fmt: skip
RATE_DAILY_SIGMA = 0.004
FLIGHT_LEVEL_SIGMA = 0.2
FARES_ONLY_SHARE = 0.2
LONG_ITINERARY_SHARE = 0.04
REDELIVERED_SHARE = 0.02
BAD_ROW_SHARE = 0.005
HOME_CURRENCY = {"LHR": "GBP", "DXB": "AED", "DEL": "INR", "BOM": "INR", "NRT": "JPY",
                 "SIN": "SGD", "SYD": "AUD", "YYZ": "CAD", "YVR": "CAD",
                 **dict.fromkeys(("CDG", "AMS", "FRA", "MAD", "BCN", "FCO", "MUC"), "EUR"),
                 }  # other airports sell in USD  # fmt: skip
# Points of sale that write local time with its offset (September: summer time in EU and CA).
UTC_OFFSETS = {"INR": "+05:30", "JPY": "+09:00", "AED": "+04:00", "SGD": "+08:00",
               "AUD": "+10:00", "EUR": "+02:00", "CAD": "-04:00"}  # fmt: skip
NO_CENTS = frozenset({"JPY"})


@dataclass(frozen=True)
class _World:
    """The clean network with long itineraries, each flight-cabin's level and route currencies."""

    network: market.Network
    level: np.ndarray
    route_currency: dict[str, str]
    long_flights: int


def generate_realistic(
    store: ObjectStore, net: market.Network, *, start: date, days: int, routes: int, seed: int,
    fmt: str, quotes_per_day: float, noise_sigma: float, schedules: str,
    progress: Callable[[int, int], None] | None,
) -> MarketReport:  # fmt: skip
    """Write the realistic market day by day, its answer key and its summary."""
    world = _build_world(net, seed)
    rates = _daily_rates(seed, days)
    fares_only = _fares_only_days(seed, days)
    files: list[str] = []
    answer: list[dict] = []
    stats: Counter = Counter()
    currencies: Counter = Counter()
    prices = [np.inf, -np.inf]
    carry: dict[str, np.ndarray] | None = None  # yesterday's quotes delivered again today
    for i in range(days):
        day = start + timedelta(days=i)
        key = f"raw-data/{RATES_FEED}/{day.isoformat()}/{RATES_FEED}.csv"
        store.write_bytes(key, _rates_csv(day, rates[i]))
        files.append(key)
        on_sale, fares, _, true = _observe_day(
            world.network, seed, day, quotes_per_day, noise_sigma,
            full=schedules == "full" or i == 0, level=world.level,
        )  # fmt: skip
        if i not in fares_only:
            key = f"raw-data/schedules/{day.isoformat()}/schedules.{fmt}"
            store.write_bytes(key, _encode(on_sale, fmt))
            files.append(key)
            stats["schedule_rows"] += on_sale.num_rows
        quoted = _localise(fares, true, world, rates[i], seed, day, first_kind=len(answer))
        key = f"raw-data/fares/{day.isoformat()}/fares.{fmt}"
        columns = quoted.columns
        if carry is not None:
            columns = {c: np.concatenate([columns[c], carry[c]]) for c in FARE_COLUMNS}
            stats["redelivered_rows"] += len(carry["quote_id"])
        store.write_bytes(key, _encode_text(columns, fmt))
        files.append(key)
        answer += [{"key": key, "row": int(row) + 1, "column": column, "kind": kind,
                    "value": quoted.columns[column][row]}
                   for row, column, kind in quoted.bad]  # fmt: skip
        stats["fare_rows"] += len(columns["quote_id"])
        stats.update(quoted.stats)
        currencies.update(quoted.currencies)
        if len(quoted.usd):
            prices = [min(prices[0], quoted.usd.min()), max(prices[1], quoted.usd.max())]
        carry = quoted.redeliver
        if progress is not None:
            progress(i + 1, days)
    store.write_bytes(BAD_ROWS_KEY, json.dumps({"seed": seed, "rows": answer}, indent=1).encode())
    good = stats["good_rows"]
    realistic = {
        "currencies": dict(sorted(currencies.items())),
        "rates_feed": f"raw-data/{RATES_FEED}/<YYYY-MM-DD>/{RATES_FEED}.csv",
        "flight_level_sigma": FLIGHT_LEVEL_SIGMA,
        "fares_only_days": [(start + timedelta(days=i)).isoformat() for i in sorted(fares_only)],
        "long_itinerary_flights": world.long_flights,
        "rows_over_max_stops": stats["rows_over_max_stops"],
        "rows_over_max_price_local": stats["rows_over_max_price_local"],
        "offset_rows": stats["offset_rows"],
        "redelivered_rows": stats["redelivered_rows"],
        "good_rows": good,
        "bad_rows": len(answer),
        "bad_row_share": len(answer) / max(stats["fare_rows"], 1),
        "bad_row_kinds": dict(sorted(Counter(r["kind"] for r in answer).items())),
        "bad_rows_key": BAD_ROWS_KEY,
    }
    report = MarketReport(
        seed=seed, first_day=start, last_day=start + timedelta(days=days - 1), routes=routes,
        flight_cabins=len(net), fmt=fmt, schedule_rows=stats["schedule_rows"],
        fare_rows=stats["fare_rows"], price_min=round(float(prices[0]), 2),
        price_max=round(float(prices[1]), 2),
        noise_sigma=noise_sigma, noise_floor_mape=stats["abs_error"] / max(good, 1),
        noise_floor_mape_expected=expected_noise_floor(noise_sigma), files=files,
        profile="realistic", realistic=realistic,
    )  # fmt: skip
    write_market_summary(store, report)
    return report


def _build_world(net: market.Network, seed: int) -> _World:
    """Give flights their levels and some of them 3-4 stops; give each route a currency."""
    rng = np.random.default_rng([seed, 6])
    flights, flight_of = np.unique(net.carrier * 100_000 + net.flight_number, return_inverse=True)
    level = rng.lognormal(0.0, FLIGHT_LEVEL_SIGMA, size=len(flights))[flight_of]
    count = max(1, round(LONG_ITINERARY_SHARE * len(flights)))
    stops, duration = net.stops.copy(), net.duration.copy()
    for flight in rng.choice(len(flights), size=count, replace=False):
        cells = flight_of == flight  # every cabin of the flight flies the same itinerary
        first = np.flatnonzero(cells)[0]
        n_stops = int(rng.integers(3, 5))
        km = market.distance_km(net.origin[first], net.destination[first])
        layovers = int(rng.integers(9, 37, size=n_stops).sum()) * 5  # 45-180 min per stop
        stops[cells] = n_stops
        minutes = market.nonstop_minutes(km) * (1 + 0.08 * n_stops) + layovers
        duration[cells] = round(minutes / 5) * 5
    codes = market.AIRPORT_CODES
    pairs = sorted(set(zip(net.origin.tolist(), net.destination.tolist())))
    names = [f"{codes[o]}-{codes[d]}" for o, d in pairs]
    route_currency = {}
    for rank, index in enumerate(rng.permutation(len(names))):
        home = HOME_CURRENCY.get(names[index][:3], "USD")
        route_currency[names[index]] = CURRENCIES[rank] if rank < len(CURRENCIES) else home
    network = replace(net, stops=stops, duration=duration)
    return _World(network, level, route_currency, count)


def _daily_rates(seed: int, days: int) -> np.ndarray:
    """Return USD per unit by (day, currency of CURRENCIES), to 6 significant digits."""
    rng = np.random.default_rng([seed, 8])
    steps = RATE_DAILY_SIGMA * rng.standard_normal((days, len(CURRENCIES)))
    rates = np.array([RATE_LEVELS[c] for c in CURRENCIES]) * np.exp(np.cumsum(steps, axis=0))
    rates[:, CURRENCIES.index("USD")] = 1.0
    # Round as written, so the rate in the file converts back to exactly the USD used here.
    return np.vectorize(lambda r: float(f"{r:.6g}"))(rates)


def _fares_only_days(seed: int, days: int) -> set[int]:
    """Return the day indices without a schedules file (never the first)."""
    if days < 2:
        return set()
    count = max(1, round(FARES_ONLY_SHARE * (days - 1)))
    rng = np.random.default_rng([seed, 9])
    return {int(i) for i in rng.choice(np.arange(1, days), size=count, replace=False)}


def _rates_csv(day: date, rates: np.ndarray) -> bytes:
    lines = ["date,currency,rate_to_usd"]
    lines += [f"{day.isoformat()},{c},{rate!r}" for c, rate in zip(CURRENCIES, rates.tolist())]
    return ("\n".join(lines) + "\n").encode()


@dataclass
class _Quoted:
    """One day's own quotes as text, with what was planted and measured."""

    columns: dict[str, np.ndarray]
    bad: list[tuple[int, str, str]]  # (0-based row, column, kind)
    usd: np.ndarray  # USD prices of the good rows
    stats: Counter
    currencies: Counter
    redeliver: dict[str, np.ndarray]


def _localise(
    fares: pa.Table, true: np.ndarray, world: _World, rates: np.ndarray, seed: int, day: date,
    *, first_kind: int,
) -> _Quoted:  # fmt: skip
    """Convert the day's USD quotes to their point of sale, render them and plant bad rows."""
    rng = np.random.default_rng([seed, 10, day.toordinal()])
    n = fares.num_rows
    text = {c: fares[c].to_numpy(zero_copy_only=False).astype(object) for c in
            ("quote_id", "carrier", "flight_number", "origin", "destination", "cabin")}  # fmt: skip
    currency = pd.Series(text["origin"] + "-" + text["destination"]).map(world.route_currency)
    rate = rates[currency.map({c: i for i, c in enumerate(CURRENCIES)}).to_numpy(int)]
    no_cents = currency.isin(NO_CENTS).to_numpy()
    local = fares["price"].to_numpy() / rate
    local = np.where(no_cents, np.round(local), np.round(local, 2))
    observed = fares["observed_at"].cast(pa.int64()).to_numpy().copy()
    departure = fares["departure_at"].cast(pa.int64()).to_numpy().copy()

    planted = round(BAD_ROW_SHARE * n)
    bad = np.sort(rng.choice(n, size=planted, replace=False)).tolist()
    kinds = [_bad_rows.KINDS[(first_kind + j) % len(_bad_rows.KINDS)] for j in range(planted)]
    good = np.setdiff1d(np.arange(n), bad)
    broken = _bad_rows.shift_times(kinds, bad, observed, departure, rng)

    suffix = currency.map(UTC_OFFSETS).fillna("").to_numpy(str)
    shift = np.array([_offset_seconds(s) for s in suffix])
    seats = fares["seats_remaining"].to_numpy(zero_copy_only=False)
    seats_text = np.char.mod("%d", np.nan_to_num(seats.astype(float))).astype(object)
    seats_text[np.isnan(seats.astype(float))] = None
    columns = {
        **text,
        "observed_at": _stamps(observed, shift, suffix),
        "departure_at": _stamps(departure, shift, suffix),
        "stops": np.char.mod("%d", fares["stops"].to_numpy()).astype(object),
        "duration_minutes": np.char.mod("%d", fares["duration_minutes"].to_numpy()).astype(object),
        "seats_remaining": seats_text,
        "price": np.where(no_cents, np.char.mod("%.0f", local), np.char.mod("%.2f", local)),
        "currency": currency.to_numpy(object),
    }
    columns = {c: columns[c].astype(object) for c in FARE_COLUMNS}
    broken |= _bad_rows.break_cells(columns, kinds, bad, good, rng)

    usd = local[good] * rate[good]
    stops = fares["stops"].to_numpy()[good]
    stats = Counter(
        abs_error=float(np.sum(np.abs(usd - true[good]) / usd)),
        good_rows=len(good),
        rows_over_max_stops=int(np.sum(stops > MAX_STOPS)),
        rows_over_max_price_local=int(np.sum(local[good] > MAX_PRICE)),
        offset_rows=int(np.sum(suffix != "")),
    )  # fmt: skip
    again = np.sort(rng.choice(good, size=round(REDELIVERED_SHARE * len(good)), replace=False))
    return _Quoted(
        columns=columns, bad=[(row, broken[row], kind) for row, kind in zip(bad, kinds)],
        usd=usd, stats=stats, currencies=Counter(currency.to_numpy(str)[good].tolist()),
        redeliver={c: columns[c][again] for c in FARE_COLUMNS},
    )  # fmt: skip


def _offset_seconds(suffix: str) -> int:
    if not suffix:
        return 0
    sign = -1 if suffix[0] == "-" else 1
    return sign * (int(suffix[1:3]) * 3600 + int(suffix[4:6]) * 60)


def _stamps(epoch: np.ndarray, shift: np.ndarray, suffix: np.ndarray) -> np.ndarray:
    """Render UTC epoch seconds as local ISO time plus offset (plain UTC where no offset)."""
    local = np.datetime_as_string((epoch + shift).astype("datetime64[s]"), unit="s")
    return np.char.add(local, suffix).astype(object)


def _encode_text(columns: dict[str, np.ndarray], fmt: str) -> bytes:
    """Serialise a fares file whose every column is text, as a scraper's export is."""
    table = pa.table({c: pa.array(columns[c], pa.string()) for c in FARE_COLUMNS})
    sink = io.BytesIO()
    if fmt == "csv":
        pa_csv.write_csv(table, sink, pa_csv.WriteOptions(quoting_style="none"))
    else:
        pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()
