"""ml_demand_history built day by day equals a rebuild, with bookings late and moved."""

from __future__ import annotations

import io
import json
import shutil
from datetime import date

import duckdb
import pandas as pd
import pytest

from flightprice.ingest.load import load_raw_files
from flightprice.settings import Settings
from flightprice.store import LocalStore
from flightprice.synth.generate import generate_market
from flightprice.warehouse import setup_warehouse
from flightprice.warehouse.duckdb import DuckDBWarehouse

pytestmark = pytest.mark.slow  # three real dbt builds (~40 s)

# No lookback: each run reads only the loads after the previous one, so a day the model
# fails to rebuild stays stale and differs from the rebuild.
BUILD = ("build", "--select", "+ml_demand_history", "--exclude-resource-type", "test",
         "--exclude-resource-type", "unit_test", "--vars", json.dumps({"lookback_hours": 0}))  # fmt: skip


def _ingest(store: LocalStore, path, home) -> None:
    warehouse = DuckDBWarehouse(path)
    try:
        setup_warehouse(warehouse, Settings(home=home))
        loaded = load_raw_files(store, warehouse)
    finally:
        warehouse.close()
    assert loaded.exit_code == 0, loaded.to_dict()


def _history(path) -> list[tuple]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        # Means rounded: a parallel sum's order moves the last bit.
        return conn.execute(
            "select * exclude (transformed_at, days_to_departure, price_usd),"
            " round(days_to_departure, 9), round(price_usd, 9)"
            " from ANALYTICS.ml_demand_history order by all"
        ).fetchall()
    finally:
        conn.close()


def test_demand_history_by_day_equals_a_rebuild(tmp_path, invoke_dbt):
    market = LocalStore(tmp_path / "market")
    generate_market(market, start=date(2026, 9, 1), days=4, routes=2, seed=11,
                    schedules="new", bookings=True)  # fmt: skip
    store, path = LocalStore(tmp_path / "lake"), tmp_path / "warehouse.duckdb"

    def deliver(days: list[str]) -> None:
        for key in market.list("raw-data/"):
            if any(f"/{day}/" in key for day in days):
                store.write_bytes(key, market.read_bytes(key))

    deliver(["2026-09-01", "2026-09-02"])
    _ingest(store, path, tmp_path)
    assert invoke_dbt(path, *BUILD).success
    first = _history(path)

    # The next days, a booking of the second day delivered late, and one of the first day
    # re-sent as booked on the third: the first day's seats_booked and the second's
    # seats_left lose it, although no booking loaded now is of the first day.
    deliver(["2026-09-03", "2026-09-04"])

    def bookings_of(day: str) -> pd.DataFrame:
        key = next(k for k in market.list(f"raw-data/bookings/{day}/") if k.endswith(".csv"))
        return pd.read_csv(io.BytesIO(market.read_bytes(key)))

    late = (
        bookings_of("2026-09-02").iloc[[0]].assign(booking_id=lambda b: b["booking_id"] + "-late")
    )
    # A booking of a flight quoted on the first day (so that its row there has the seats).
    conn = duckdb.connect(str(path), read_only=True)
    try:
        flight_id, cabin = conn.execute(
            "select flight_id, cabin from ANALYTICS.ml_demand_history"
            " where sale_date = '2026-09-01' and seats_booked > 0 order by all limit 1"
        ).fetchone()
    finally:
        conn.close()
    day_one = bookings_of("2026-09-01")
    ids = day_one["carrier"] + day_one["flight_number"].astype(str) + "-"
    ids += pd.to_datetime(day_one["departure_at"]).dt.strftime("%Y%m%d")
    moved = day_one[(ids == flight_id) & (day_one["cabin"] == cabin)].iloc[[0]]
    moved = moved.assign(booked_at="2026-09-03T10:00:00")
    store.write_bytes("raw-data/bookings/2026-09-02/late.csv", late.to_csv(index=False).encode())
    store.write_bytes("raw-data/bookings/2026-09-03/resent.csv", moved.to_csv(index=False).encode())
    _ingest(store, path, tmp_path)
    assert invoke_dbt(path, *BUILD).success
    daily = _history(path)

    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copy(path, rebuilt)
    assert invoke_dbt(rebuilt, *BUILD, "--full-refresh").success
    assert daily == _history(rebuilt)
    # The fixture exercises what it claims: more days than the first build, bookings in them.
    assert len(daily) > len(first) > 0
    assert sum(row[15] for row in daily) > 0  # seats_booked
