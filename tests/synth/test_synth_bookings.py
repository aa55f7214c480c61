"""The synthetic bookings feed: seeded, priced sales within the seats on offer, contract-valid."""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from flightprice.contract import MAX_BOOKING_SEATS
from flightprice.ingest.load import IngestPolicy, load_raw_files
from flightprice.store import LocalStore
from flightprice.synth import BOOKING_COLUMNS, draw_bookings, generate_market, market_flights

DAY = date(2026, 9, 2)


def _bookings(store: LocalStore, day: date = DAY) -> pa.Table:
    return pa_csv.read_csv(io.BytesIO(store.read_bytes(f"raw-data/bookings/{day}/bookings.csv")))


def _quotes(n: int, price: float, seats: int | None = 100) -> pa.Table:
    return pa.table({
        "quote_id": [f"q{i}" for i in range(n)],
        "observed_at": pa.array([np.datetime64("2026-09-02T08:00:00")] * n, pa.timestamp("s")),
        "carrier": ["BA"] * n, "flight_number": [str(i) for i in range(n)],
        "origin": ["LHR"] * n, "destination": ["JFK"] * n,
        "departure_at": pa.array([np.datetime64("2026-09-12T18:00:00")] * n, pa.timestamp("s")),
        "cabin": ["economy"] * n, "seats_remaining": pa.array([seats] * n, pa.int32()),
        "price": [price] * n, "currency": ["USD"] * n,
    })  # fmt: skip


def test_bookings_are_seeded_and_only_added_on_request(tmp_path):
    stores = [LocalStore(tmp_path / name) for name in ("a", "b", "c")]
    for store, seed in zip(stores, (4, 4, 5), strict=True):
        generate_market(store, start=date(2026, 9, 1), days=2, routes=3, seed=seed, bookings=True)
    assert stores[0].read_bytes("raw-data/bookings/2026-09-02/bookings.csv") == stores[1].read_bytes(
        "raw-data/bookings/2026-09-02/bookings.csv")  # fmt: skip
    assert _bookings(stores[0]) != _bookings(stores[2])
    plain = LocalStore(tmp_path / "plain")
    report = generate_market(plain, start=date(2026, 9, 1), days=2, routes=3, seed=4)
    assert plain.list("raw-data/bookings/") == [] and report.booking_rows is None
    # The fares and schedules do not change when bookings are added.
    for key in report.files:
        assert plain.read_bytes(key) == stores[0].read_bytes(key)


def test_a_day_of_bookings_fits_the_contract_and_its_quotes(tmp_path, warehouse):
    store = LocalStore(tmp_path / "lake")
    generate_market(store, start=date(2026, 9, 1), days=2, routes=3, seed=4, bookings=True)
    bookings = _bookings(store).to_pandas()
    assert tuple(bookings.columns) == BOOKING_COLUMNS and bookings["booking_id"].is_unique
    assert bookings["seats"].between(1, MAX_BOOKING_SEATS).all()
    booked = bookings["booked_at"].astype("datetime64[s]")
    assert (booked.dt.date == DAY).all()
    assert (booked <= bookings["departure_at"].astype("datetime64[s]")).all()
    fares = pa_csv.read_csv(io.BytesIO(store.read_bytes(f"raw-data/fares/{DAY}/fares.csv")))
    # Every booking pays a price quoted that day for its flight and cabin.
    quoted = set(zip(fares["flight_number"].to_pylist(), fares["cabin"].to_pylist(),
                     fares["price"].to_pylist(), strict=True))  # fmt: skip
    assert set(zip(bookings["flight_number"], bookings["cabin"], bookings["price_paid"],
                   strict=True)) <= quoted  # fmt: skip
    report = load_raw_files(store, warehouse, policy=IngestPolicy(now=None))
    assert report.quarantined == [] and report.rejected == {}


def test_a_higher_price_sells_fewer_seats_to_the_same_buyers():
    true = np.full(400, 500.0)
    capacity = np.full(400, 150.0)
    sold = [
        draw_bookings(_quotes(400, price), true, capacity, seed=1, day=DAY, quotes_per_day=1.0)
        ["seats"].to_numpy().sum()
        for price in (350.0, 500.0, 600.0, 900.0)
    ]  # fmt: skip
    assert sold[0] > sold[1] > sold[2] > 0
    # Nobody pays far above the competitor's fare plus the 25% business switching premium.
    assert sold[3] == 0


def test_sales_never_exceed_the_seats_on_offer():
    few = draw_bookings(_quotes(300, 100.0, seats=2), np.full(300, 500.0), np.full(300, 150.0),
                        seed=2, day=DAY, quotes_per_day=0.05)  # fmt: skip
    per_quote = few.to_pandas().groupby("flight_number")["seats"].sum()
    assert per_quote.max() == 2 and len(per_quote) > 100  # demand far above the 2 seats
    unknown = draw_bookings(_quotes(50, 100.0, seats=None), np.full(50, 500.0), np.full(50, 3.0),
                            seed=2, day=DAY, quotes_per_day=0.05)  # fmt: skip
    assert unknown.to_pandas().groupby("flight_number")["seats"].sum().max() == pytest.approx(3)


def test_a_flights_sales_over_quotes_and_days_never_exceed_its_capacity():
    # One flight-cabin of 5 seats quoted 40 times a day at a fifth of its value: each quote
    # alone may sell its 5 seats, so without the running total it sold many times over.
    quotes = _quotes(40, 100.0, seats=None).drop_columns(["flight_number"])
    quotes = quotes.append_column("flight_number", pa.array(["117"] * 40))
    sold: dict = {}
    days = [draw_bookings(quotes, np.full(40, 500.0), np.full(40, 5.0), seed=3,
                          day=date(2026, 9, d), quotes_per_day=0.2, sold=sold)
            for d in (2, 3, 4)]  # fmt: skip
    seats = [int(pa.compute.sum(day["seats"]).as_py() or 0) for day in days]
    assert sum(seats) == 5 and seats[0] == 5  # sold out on the first day, nothing after
    assert list(sold.values()) == [5]
    unbounded = draw_bookings(quotes, np.full(40, 500.0), np.full(40, 5.0), seed=3,
                              day=date(2026, 9, 2), quotes_per_day=0.2)  # fmt: skip
    assert pa.compute.sum(unbounded["seats"]).as_py() > 5  # the per-quote cap alone


def test_generated_bookings_stay_within_each_flights_capacity(tmp_path):
    store = LocalStore(tmp_path / "lake")
    start, days = date(2026, 9, 1), 30
    generate_market(store, start=start, days=days, routes=3, seed=6, bookings=True)
    booked = pa.concat_tables([
        _bookings(store, start + timedelta(days=i)) for i in range(days)
    ]).to_pandas()  # fmt: skip
    flights = market_flights(6, 3, sorted({d.date() for d in booked["departure_at"]})).to_pandas()
    seats = booked.groupby(["carrier", "flight_number", "departure_at", "cabin"])["seats"].sum()
    flights["flight_number"] = flights["flight_number"].astype(str)
    capacity = flights.set_index(["carrier", "flight_number", "departure_at", "cabin"])["capacity"]
    seats.index = seats.index.set_levels(seats.index.levels[1].astype(str), level=1)
    joined = seats.to_frame().join(capacity, how="left")
    assert joined["capacity"].notna().all() and len(joined) > 10
    assert (joined["seats"] <= joined["capacity"]).all()
