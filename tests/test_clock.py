"""The one clock: aware UTC, run ids, and naive UTC at the warehouse boundary."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pandas as pd

from flightprice.clock import naive_utc, new_run_id, utc_now
from flightprice.warehouse.duckdb import DuckDBWarehouse


def test_utc_now_is_timezone_aware_utc():
    now = utc_now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_run_id_is_prefixed_sortable_and_unique():
    ids = [new_run_id("daily") for _ in range(200)]
    assert all(re.fullmatch(r"daily-\d{8}T\d{6}Z-[0-9a-f]{6}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    stamp = datetime.strptime(ids[0].split("-")[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs(stamp - utc_now()) < timedelta(seconds=5)


def test_naive_utc_converts_an_offset_and_keeps_naive_values():
    paris = datetime(2026, 6, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    assert naive_utc(paris) == datetime(2026, 6, 1, 12, 30)
    assert naive_utc(paris).tzinfo is None
    assert naive_utc(datetime(2026, 6, 1, 12, 30)) == datetime(2026, 6, 1, 12, 30)


def test_duckdb_stores_aware_values_as_naive_utc_whatever_the_session_zone(tmp_path):
    aware = datetime(2026, 6, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    with DuckDBWarehouse(tmp_path / "w.duckdb") as warehouse:
        warehouse.execute("SET TimeZone = 'America/New_York'")
        warehouse.execute("CREATE TABLE t (seen_at TIMESTAMP)")
        warehouse.execute("INSERT INTO t VALUES (?)", [aware])
        warehouse.write_frame("t", pd.DataFrame({"seen_at": [aware]}))
        stored = warehouse.query_df("SELECT seen_at FROM t")["seen_at"].tolist()
    assert [s.to_pydatetime() for s in stored] == [datetime(2026, 6, 1, 12, 30)] * 2
