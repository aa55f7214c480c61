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
                    schedules="full", bookings=True)  # fmt: skip
    store, path = LocalStore(tmp_path / "lake"), tmp_path / "warehouse.duckdb"

    def deliver(days: list[str]) -> None:
        for key in market.list("raw-data/"):
            if any(f"/{day}/" in key for day in days):
                store.write_bytes(key, market.read_bytes(key))

    deliver(["2026-09-01", "2026-09-02"])
    _ingest(store, path, tmp_path)
    assert invoke_dbt(path, *BUILD).success
    first = _history(path)

    # The next days, a booking of the first day delivered late, and one of the first day
    # re-sent as booked on the third: its seats leave the second day's seats_left.
    deliver(["2026-09-03", "2026-09-04"])
    day_one = pd.read_csv(io.BytesIO(market.read_bytes(next(
        k for k in market.list("raw-data/bookings/2026-09-01/") if k.endswith(".csv")))))  # fmt: skip
    late = day_one.iloc[[0]].assign(booking_id=lambda b: b["booking_id"] + "-late")
    moved = day_one.iloc[[1]].assign(booked_at="2026-09-03T10:00:00")
    store.write_bytes("raw-data/bookings/2026-09-01/late.csv", late.to_csv(index=False).encode())
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
