"""The bookings models on a generated market: fct_booking and load factor per flight and day."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest

from flightprice.ingest.load import load_raw_files
from flightprice.settings import Settings
from flightprice.store import LocalStore
from flightprice.synth.generate import generate_market
from flightprice.warehouse import setup_warehouse
from flightprice.warehouse.duckdb import DuckDBWarehouse

pytestmark = pytest.mark.slow  # a real dbt build (~15 s)


def _raw(store: LocalStore, feed: str) -> pd.DataFrame:
    keys = [k for k in store.list(f"raw-data/{feed}/") if k.endswith(".csv")]
    return pd.concat([pd.read_csv(io.BytesIO(store.read_bytes(k))) for k in keys])


def test_bookings_become_fct_booking_and_a_daily_load_factor(tmp_path, invoke_dbt, query_rows):
    store, path = LocalStore(tmp_path / "lake"), tmp_path / "warehouse.duckdb"
    report = generate_market(store, start=date(2026, 9, 1), days=3, routes=2, seed=11,
                             schedules="full", bookings=True)  # fmt: skip
    bookings = _raw(store, "bookings")
    assert report.booking_rows == len(bookings) > 100
    # A re-sent booking with a corrected price: the later delivery wins.
    resent = bookings.iloc[[0]].assign(price_paid=bookings["price_paid"].iloc[0] + 10)
    store.write_bytes(
        "raw-data/bookings/2026-09-03/resent.csv", resent.to_csv(index=False).encode()
    )
    warehouse = DuckDBWarehouse(path)
    try:
        setup_warehouse(warehouse, Settings(home=tmp_path))
        loaded = load_raw_files(store, warehouse)
    finally:
        warehouse.close()
    assert loaded.exit_code == 0 and loaded.quarantined == [], loaded.to_dict()

    result = invoke_dbt(path, "build", "--select", "+fct_flight_load_daily",
                        "--indirect-selection", "cautious")  # fmt: skip
    assert result.success, [r.message for r in result.result if r.status not in ("pass", "success")]

    facts = pd.DataFrame(query_rows(path, "SELECT * FROM ANALYTICS.FCT_BOOKING"))
    assert len(facts) == len(bookings) and facts["booking_id"].is_unique
    first = facts.set_index("booking_id").loc[bookings["booking_id"].iloc[0]]
    assert first["price_paid_usd"] == pytest.approx(resent["price_paid"].iloc[0])
    expected_revenue = (bookings["seats"] * bookings["price_paid"]).sum() + 10 * resent[
        "seats"
    ].iloc[0]
    assert facts["revenue_usd"].sum() == pytest.approx(expected_revenue)
    assert facts["flight_id"].iloc[0].count("-") == 1 and (facts["days_to_departure"] >= 0).all()

    # Load factor: seats booked up to each booking day / the schedule's capacity, by pandas.
    schedules = _raw(store, "schedules").drop_duplicates(
        ["carrier", "flight_number", "departure_at", "cabin"]
    )
    sold = bookings.assign(booking_date=pd.to_datetime(bookings["booked_at"]).dt.date)
    sold = sold.merge(schedules, on=["carrier", "flight_number", "departure_at", "cabin"])
    daily = (sold.groupby(["carrier", "flight_number", "departure_at", "cabin", "booking_date"])
             .agg(seats=("seats", "sum"), capacity=("capacity", "first")).reset_index())  # fmt: skip
    daily["to_date"] = daily.groupby(["carrier", "flight_number", "departure_at", "cabin"])[
        "seats"].cumsum()  # fmt: skip
    daily["load_factor"] = daily["to_date"] / daily["capacity"]
    loads = pd.DataFrame(query_rows(path, "SELECT * FROM ANALYTICS.FCT_FLIGHT_LOAD_DAILY"))
    assert len(loads) == len(daily)
    assert sorted(loads["load_factor"].round(9)) == sorted(daily["load_factor"].round(9))
    assert loads["seats_booked"].sum() == bookings["seats"].sum()
