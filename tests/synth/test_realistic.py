"""Tests of the realistic synthetic market: each feature is in the files, seeded, and the clean
profile's files did not change."""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.contract import CABINS, CURRENCIES, MAX_PRICE, MAX_STOPS
from flightprice.store import LocalStore
from flightprice.synth import BAD_ROWS_KEY, read_market_summary
from flightprice.synth._bad_rows import KINDS
from flightprice.synth.generate import expected_noise_floor, generate_market, true_price

START = date(2026, 9, 1)
REALISTIC = {"start": START, "days": 6, "routes": 40, "seed": 7, "profile": "realistic"}
OFFSET = re.compile(r"[+-]\d{2}:\d{2}$")


def _frames(store: LocalStore, files: list[str], feed: str) -> pd.DataFrame:
    """Read every file of `feed` as text, exactly as delivered (empty cells are NaN)."""
    frames = [
        pd.read_csv(io.BytesIO(store.read_bytes(key)), dtype=str, keep_default_na=False,
                    na_values=[""]).assign(_key=key, _day=key.split("/")[2])
        for key in files if f"/{feed}/" in key
    ]  # fmt: skip
    frames = [f.assign(_row=np.arange(1, len(f) + 1)) for f in frames]
    return pd.concat(frames, ignore_index=True)


def _utc(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, utc=True, format="ISO8601")


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory):
    """A realistic CSV market: report, fares as text, schedules, rates, answer key, good fares."""
    store = LocalStore(tmp_path_factory.mktemp("lake"))
    report = generate_market(store, **REALISTIC, schedules="full")
    fares = _frames(store, report.files, "fares")
    answer = pd.DataFrame(json.loads(store.read_bytes(BAD_ROWS_KEY))["rows"])
    bad_rows = set(zip(answer.key, answer.row))
    good = fares[[(k, r) not in bad_rows for k, r in zip(fares._key, fares._row)]].copy()
    rates = _frames(store, report.files, "currency_rates")
    good["rate"] = good.merge(
        rates.rename(columns={"date": "_obs"}), how="left",
        left_on=[_utc(good.observed_at).dt.strftime("%Y-%m-%d"), "currency"],
        right_on=["_obs", "currency"],
    )["rate_to_usd"].astype(float).to_numpy()  # fmt: skip
    good["price_usd"] = good.price.astype(float) * good.rate
    schedules = _frames(store, report.files, "schedules")
    return store, report, fares, answer, good, schedules, rates


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path) -> None:
    args = {**REALISTIC, "days": 3, "routes": 12}
    stores = [LocalStore(tmp_path / name) for name in ("a", "b", "c")]
    reports = [generate_market(s, **{**args, "seed": seed}) for s, seed in zip(stores, (1, 1, 2))]
    keys = reports[0].files + [BAD_ROWS_KEY]
    assert all(stores[0].read_bytes(k) == stores[1].read_bytes(k) for k in keys)
    fares = [k for k in reports[0].files if "/fares/" in k]
    assert all(stores[0].read_bytes(k) != stores[2].read_bytes(k) for k in fares)


def test_clean_profile_files_are_unchanged(tmp_path) -> None:
    # Recorded from the clean generator before the realistic profile existed.
    recorded = "943d1f26fb72e36b1ba5e046fb9ab294fdb78597d2acfd7dfbb2834e304f071b"
    store = LocalStore(tmp_path)
    report = generate_market(
        store, start=START, days=3, routes=8, seed=11, quotes_per_day=0.5, schedules="new",
        profile="clean",
    )  # fmt: skip
    digest = hashlib.sha256()
    for key in report.files:
        digest.update(key.encode())
        digest.update(store.read_bytes(key))
    assert digest.hexdigest() == recorded
    assert report.noise_floor_mape == 0.07972701238741634
    assert not store.exists(BAD_ROWS_KEY) and "realistic" not in report.to_dict()


def test_currencies_with_a_rate_for_every_observation_date(market) -> None:
    _, report, _, _, good, _, rates = market
    assert set(good.currency) == set(CURRENCIES) and report.realistic["currencies"]
    assert good.rate.notna().all(), "every quote's observation date and currency has a rate"
    by_day = rates.pivot(index="date", columns="currency", values="rate_to_usd").astype(float)
    assert (by_day["USD"] == 1.0).all() and by_day.notna().all().all()
    assert by_day["INR"].between(1 / 95, 1 / 75).all()
    assert by_day["JPY"].between(1 / 170, 1 / 130).all()
    assert (by_day.drop(columns="USD").diff().iloc[1:] != 0).all().all(), "rates move daily"


def test_flight_identity_sets_a_price_level(market) -> None:
    *_, good, schedules, _ = market
    capacity = schedules[["carrier", "flight_number", "cabin", "capacity"]].drop_duplicates()
    rows = good.drop_duplicates("quote_id").merge(capacity, validate="m:1")
    frame = rows.assign(
        observed_at=_utc(rows.observed_at), departure_at=_utc(rows.departure_at),
        stops=rows.stops.astype(int), duration_minutes=rows.duration_minutes.astype(int),
    )  # fmt: skip
    # What the clean model cannot explain: the flight's level times the quote's noise.
    residual = pd.Series(np.log(rows.price_usd.to_numpy() / true_price(frame)), index=rows.index)
    flight = rows.carrier + rows.flight_number
    level = residual.groupby(flight).transform("mean")
    counts = flight.map(flight.value_counts())
    assert residual[counts >= 20].groupby(flight).mean().std() > 0.12  # sigma 0.2 between flights
    assert (residual - level)[counts >= 20].std() == pytest.approx(0.10, abs=0.01)  # noise only
    # The same route, cabin and departure day, priced apart by flight.
    day = _utc(rows.departure_at).dt.date
    spread = level.groupby([rows.origin, rows.destination, rows.cabin, day]).agg(np.ptp)
    assert (spread > 0.2).sum() > 10


def test_some_days_have_fares_but_no_schedules(market) -> None:
    _, report, fares, _, _, schedules, rates = market
    fares_only = set(fares._day) - set(schedules._day)
    assert fares_only == set(report.realistic["fares_only_days"]) and len(fares_only) == 1
    assert set(rates._day) == set(fares._day) and START.isoformat() in set(schedules._day)


def test_itineraries_have_up_to_four_stops(market) -> None:
    _, report, _, _, good, schedules, _ = market
    stops = good.stops.astype(int)
    assert set(stops) == {0, 1, 2, 3, 4} and (stops >= 3).mean() < 0.1
    once = good.drop_duplicates("quote_id")  # the report counts each good quote once
    assert report.realistic["rows_over_max_stops"] == (once.stops.astype(int) > MAX_STOPS).sum()
    assert schedules.stops.astype(int).max() == 4


def test_business_fares_in_inr_and_jpy_are_legitimately_expensive(market) -> None:
    _, report, _, _, good, _, _ = market
    premium = good[good.cabin.isin(["business", "first"]) & good.currency.isin(["INR", "JPY"])]
    expensive = premium[premium.price.astype(float) > 100_000]
    assert len(expensive) > 100 and set(expensive.currency) == {"INR", "JPY"}
    assert (expensive.price_usd < 25_000).all(), "expensive in local units, not in USD"
    once = good.drop_duplicates("quote_id")
    over = (once.price.astype(float) > MAX_PRICE).sum()
    assert report.realistic["rows_over_max_price_local"] == over


def test_some_points_of_sale_write_utc_offsets(market) -> None:
    _, report, _, _, good, _, _ = market
    with_offset = set(good[good.observed_at.str.contains(OFFSET)].currency)
    assert with_offset >= {"INR", "JPY"} and "USD" not in with_offset
    assert (good.observed_at.str.contains("+05:30", regex=False) == (good.currency == "INR")).all()
    assert report.realistic["offset_rows"] > 0
    first = good.drop_duplicates("quote_id")
    utc_day = _utc(first.observed_at).dt.strftime("%Y-%m-%d")
    assert (utc_day == first._day).all(), "a quote's UTC day is its file's day"


def test_quotes_are_delivered_again_in_the_next_file(market) -> None:
    _, report, _, _, good, _, _ = market
    again = good[good.duplicated("quote_id", keep=False)]
    assert report.realistic["redelivered_rows"] == good.quote_id.duplicated().sum() > 50
    columns = [c for c in good.columns if not c.startswith("_")]
    for _, pair in list(again.groupby("quote_id"))[:50]:
        assert len(pair) == 2 and pair[columns].nunique(dropna=False).max() == 1, "same row again"
        days = pd.to_datetime(pair._day)
        assert (days.iloc[1] - days.iloc[0]).days == 1


def _is_bad(kind: str, value: str | float, row: pd.Series, file: pd.DataFrame) -> bool:
    """Say whether the cell shows the kind of damage, independent of how it was planted."""
    if kind == "empty_required":
        return pd.isna(value)
    text = str(value)
    number = pd.to_numeric(text, errors="coerce")
    if kind in ("observed_after_departure", "observed_in_future", "departure_beyond_horizon"):
        observed, departure = _utc(pd.Series([row.observed_at, row.departure_at]))
        return {
            "observed_after_departure": observed > departure,
            "observed_in_future": observed.year >= 2099,
            "departure_beyond_horizon": (departure - observed).days > 400,
        }[kind]
    checks = {
        "bad_cabin": lambda: text not in CABINS,
        "bad_carrier_code": lambda: not re.fullmatch(r"[A-Z0-9]{2}", text),
        "bad_airport_code": lambda: not re.fullmatch(r"[A-Z]{3}", text),
        "same_origin_destination": lambda: row.origin == row.destination,
        "negative_price": lambda: number < 0,
        "zero_price": lambda: number == 0,
        "non_numeric_price": lambda: np.isnan(number) and text.lower() != "nan",
        "nan_number": lambda: text.lower() == "nan",
        "unknown_currency": lambda: text not in CURRENCIES,
        "bad_timestamp": lambda: _not_iso(text),
        "duplicate_quote_id": lambda: (file.quote_id == text).sum() > 1,
        "stops_out_of_range": lambda: not 0 <= number <= 4,
        "fractional_stops": lambda: number != round(number),
        "negative_seats": lambda: number < 0,
        "non_positive_duration": lambda: number <= 0,
    }
    return bool(checks[kind]())


def _not_iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return True
    return False


def test_planted_bad_rows_are_in_the_key_and_really_bad(market) -> None:
    _, report, fares, answer, _, _, _ = market
    share = len(answer) / len(fares)
    assert 0.003 <= share <= 0.008 and report.realistic["bad_row_share"] == pytest.approx(share)
    assert set(answer.kind) == set(KINDS) and not answer.duplicated(["key", "row"]).any()
    files = dict(tuple(fares.groupby("_key")))
    for entry in answer.itertuples():
        file = files[entry.key]
        row = file.iloc[entry.row - 1]
        cell = row[entry.column]
        assert (pd.isna(cell) and pd.isna(entry.value)) or cell == entry.value, entry
        assert _is_bad(entry.kind, cell, row, file), entry


def test_rows_outside_the_key_are_good(market) -> None:
    *_, good, _, _ = market
    assert good[["quote_id", "observed_at", "carrier", "origin", "price"]].notna().all().all()
    assert good.cabin.isin(CABINS).all() and good.currency.isin(CURRENCIES).all()
    assert good.carrier.str.fullmatch(r"[A-Z0-9]{2}").all()
    assert good.origin.str.fullmatch(r"[A-Z]{3}").all() and (good.origin != good.destination).all()
    assert (good.price.astype(float) > 0).all() and good.stops.astype(int).between(0, 4).all()
    observed, departure = _utc(good.observed_at), _utc(good.departure_at)
    assert (observed < departure).all() and ((departure - observed).dt.days <= 90).all()
    assert not good.duplicated(["_key", "quote_id"]).any()


def test_noise_floor_is_measured_on_good_rows_in_usd(market) -> None:
    store, report, *_ = market
    summary = read_market_summary(store)
    assert summary["profile"] == "realistic"
    assert summary["noise_floor_mape"] == report.noise_floor_mape
    assert report.noise_floor_mape == pytest.approx(expected_noise_floor(0.10), abs=0.004)
    assert report.realistic["good_rows"] + report.realistic["bad_rows"] + report.realistic[
        "redelivered_rows"] == report.fare_rows  # fmt: skip


def test_cli_generates_the_realistic_profile(tmp_path) -> None:
    args = ["--home", str(tmp_path), "generate", "--profile", "realistic", "--days", "2",
            "--routes", "5", "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["profile"] == "realistic" and report["realistic"]["bad_rows"] > 0
    assert any("/currency_rates/" in key for key in report["files"])
    bad = CliRunner().invoke(app, [*args[:3], "noisy"])
    assert bad.exit_code != 0
