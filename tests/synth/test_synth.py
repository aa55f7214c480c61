"""Tests of the synthetic market: files, contract, determinism, price structure, noise floor."""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from flightprice.store import LocalStore
from flightprice.synth.generate import (
    FARE_COLUMNS,
    SCHEDULE_COLUMNS,
    MarketReport,
    expected_noise_floor,
    generate_market,
    price_components,
    true_price,
)

START = date(2026, 9, 1)
SMALL = {"start": START, "days": 3, "routes": 8, "seed": 11, "quotes_per_day": 0.5}
# Copied from docs/contracts.md on purpose: the test fails if the module drifts from the contract.
CONTRACT_SCHEDULES = ["carrier", "flight_number", "origin", "destination", "departure_at",
                      "arrival_at", "cabin", "stops", "capacity"]  # fmt: skip
CONTRACT_FARES = ["quote_id", "observed_at", "carrier", "flight_number", "origin", "destination",
                  "departure_at", "cabin", "stops", "duration_minutes", "seats_remaining", "price",
                  "currency"]  # fmt: skip
FLIGHT_KEY = ["carrier", "flight_number", "departure_at", "cabin"]
ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"


def _read(store: LocalStore, keys: list[str], feed: str) -> pd.DataFrame:
    frames = []
    for key in (k for k in keys if f"/{feed}/" in k):
        data = io.BytesIO(store.read_bytes(key))
        frame = pd.read_csv(data, dtype={"flight_number": str}) if key.endswith(".csv") else (
            pq.read_table(data).to_pandas())  # fmt: skip
        frames.append(frame.assign(_day=key.split("/")[2]))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory):
    """A small CSV market with its fares joined to schedule capacity."""
    store = LocalStore(tmp_path_factory.mktemp("lake"))
    report = generate_market(store, **SMALL)
    fares = _read(store, report.files, "fares")
    schedules = _read(store, report.files, "schedules")
    capacity = schedules[FLIGHT_KEY + ["capacity"]].drop_duplicates()
    joined = fares.merge(capacity, on=FLIGHT_KEY, how="left", validate="m:1")
    return store, report, fares, schedules, joined


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path) -> None:
    stores = [LocalStore(tmp_path / name) for name in ("a", "b", "c")]
    reports = [generate_market(s, **{**SMALL, "seed": seed}) for s, seed in zip(stores, (1, 1, 2))]
    assert reports[0].files == reports[1].files == reports[2].files
    for key in reports[0].files:
        assert stores[0].read_bytes(key) == stores[1].read_bytes(key)
    assert any(stores[0].read_bytes(k) != stores[2].read_bytes(k) for k in reports[0].files)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_files_land_under_feed_and_day_keys(tmp_path, fmt: str) -> None:
    store = LocalStore(tmp_path)
    report = generate_market(store, **{**SMALL, "days": 2}, fmt=fmt)
    days = ("2026-09-01", "2026-09-02")
    expected = [f"raw-data/{f}/{d}/{f}.{fmt}" for d in days for f in ("schedules", "fares")]
    assert report.files == expected
    assert store.list("raw-data/") == sorted(expected)
    assert (report.first_day, report.last_day) == (START, START + timedelta(days=1))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_columns_and_types_match_the_contract(tmp_path, fmt: str) -> None:
    store = LocalStore(tmp_path)
    report = generate_market(store, **{**SMALL, "days": 1}, fmt=fmt)
    fares, schedules = _read(store, report.files, "fares"), _read(store, report.files, "schedules")
    assert list(schedules.columns[:-1]) == CONTRACT_SCHEDULES == list(SCHEDULE_COLUMNS)
    assert list(fares.columns[:-1]) == CONTRACT_FARES == list(FARE_COLUMNS)
    stamps = [fares.observed_at, fares.departure_at, schedules.departure_at, schedules.arrival_at]
    if fmt == "csv":
        assert all(s.str.match(ISO).all() for s in stamps)
    else:
        assert all(pd.api.types.is_datetime64_dtype(s) for s in stamps)
    assert (fares.currency == "USD").all()
    for frame in (fares, schedules):
        assert frame.carrier.str.fullmatch(r"[A-Z0-9]{2}").all()
        assert frame.origin.str.fullmatch(r"[A-Z]{3}").all()
        assert (frame.origin != frame.destination).all()
        assert frame.cabin.isin(["economy", "premium_economy", "business", "first"]).all()
        assert frame.stops.isin([0, 1, 2]).all()


def test_quotes_are_unique_ordered_in_time_and_priced(market) -> None:
    _, report, fares, schedules, joined = market
    assert report.fare_rows == len(fares) > 1000 and report.schedule_rows == len(schedules)
    assert fares.quote_id.is_unique
    observed, departure = pd.to_datetime(fares.observed_at), pd.to_datetime(fares.departure_at)
    assert (observed < departure).all()
    assert (observed.dt.strftime("%Y-%m-%d") == fares._day).all()
    assert (departure - observed < pd.Timedelta(days=90)).all()
    assert (fares.price > 0).all() and fares.price.min() == report.price_min
    assert (pd.to_datetime(schedules.arrival_at) > pd.to_datetime(schedules.departure_at)).all()
    assert joined.capacity.notna().all(), "every quoted flight is in the schedules"


def test_schedules_list_every_flight_on_sale_that_day(market) -> None:
    _, _, fares, schedules, _ = market
    for day, on_sale in schedules.groupby("_day"):
        departure_days = pd.to_datetime(on_sale.departure_at).dt.normalize()
        assert departure_days.min() == pd.Timestamp(day)
        assert departure_days.nunique() == 90
        quoted = fares[fares._day == day][FLIGHT_KEY].drop_duplicates()
        assert len(quoted.merge(on_sale[FLIGHT_KEY], on=FLIGHT_KEY)) == len(quoted)


def test_seats_fall_towards_departure_and_are_sometimes_unknown(market) -> None:
    *_, joined = market
    assert 0.005 < joined.seats_remaining.isna().mean() < 0.05
    seats = joined.dropna(subset=["seats_remaining"]).sort_values("observed_at")
    assert (seats.seats_remaining >= 0).all() and (seats.seats_remaining <= seats.capacity).all()
    steps = seats.groupby(FLIGHT_KEY).seats_remaining.diff().dropna()
    assert len(steps) > 50 and (steps <= 0).all()


def test_booking_window_follows_the_calibration(market) -> None:
    *_, joined = market
    components = price_components(joined)
    # Divide out every other effect: what is left is the booking window times the noise.
    window = joined.price / (true_price(joined) / components["window"])
    days_out = (
        pd.to_datetime(joined.departure_at) - pd.to_datetime(joined.observed_at)
    ).dt.total_seconds() / 86400
    buckets = pd.cut(days_out, [0, 4, 8, 15, 22, 31, 46, 61, 91], right=False)
    mean = window.groupby(buckets, observed=True).mean()
    cheapest = mean.iloc[5]  # 31-45 days out
    assert cheapest < mean.iloc[0] and cheapest < mean.iloc[7]
    calibration = np.array([42.9, 39.0, 31.4, 24.8, 19.8, 17.9, 20.9, 28.8]) / 100
    np.testing.assert_allclose(mean / cheapest, (1 + calibration) / 1.179, rtol=0.03)


def test_noise_floor_is_reported_and_matches_sigma(market) -> None:
    *_, report, _, _, joined = market
    true = true_price(joined)
    assert np.isfinite(true).all()
    floor = np.mean(np.abs(joined.price - true) / joined.price)
    assert report.noise_floor_mape == pytest.approx(floor, rel=1e-9)
    assert report.noise_floor_mape == pytest.approx(expected_noise_floor(0.10), abs=0.004)
    assert np.std(np.log(joined.price / true)) == pytest.approx(report.noise_sigma, rel=0.05)


def test_true_price_depends_only_on_the_columns(market) -> None:
    *_, joined = market
    rows = joined.head(50).copy()
    reordered = rows.iloc[::-1]
    np.testing.assert_array_equal(true_price(reordered), true_price(rows)[::-1])
    unknown_seats = rows.assign(seats_remaining=pd.NA)
    np.testing.assert_array_equal(price_components(unknown_seats)["load"], 1.0)
    assert np.isnan(true_price(rows.assign(carrier="ZZ"))).all()


def test_generation_streams_one_day_at_a_time(tmp_path) -> None:
    written: list[str] = []

    class RecordingStore(LocalStore):
        def write_bytes(self, key: str, data: bytes) -> None:
            written.append(key)
            super().write_bytes(key, data)

    calls: list[tuple[int, int]] = []
    report = generate_market(
        RecordingStore(tmp_path), **{**SMALL, "days": 4}, schedules="new",
        progress=lambda done, total: calls.append((done, total) + (len(written),)),
    )  # fmt: skip
    assert calls == [(1, 4, 2), (2, 4, 4), (3, 4, 6), (4, 4, 8)], "both files of a day, then report"
    assert isinstance(report, MarketReport) and report.to_dict()["first_day"] == "2026-09-01"
    # schedules="new": the full horizon once, then only the departure day opening for sale.
    schedules = _read(LocalStore(tmp_path), report.files, "schedules")
    per_day = schedules.groupby("_day").size()
    assert per_day.iloc[0] == 90 * report.flight_cabins
    assert (per_day.iloc[1:] == report.flight_cabins).all()


def test_rejects_bad_arguments(tmp_path) -> None:
    with pytest.raises(ValueError):
        generate_market(LocalStore(tmp_path), start=START, routes=10_000)
    with pytest.raises(ValueError):
        generate_market(LocalStore(tmp_path), start=START, fmt="json")  # type: ignore[arg-type]
