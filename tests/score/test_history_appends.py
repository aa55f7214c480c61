"""PRICE_HISTORY is written in few, large appends (DuckDB skips its write-ahead log for them),
each a whole number of DuckDB row groups, so no checkpoint has to merge partial ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np
import pyarrow as pa

from flightprice.score._history import HISTORY_TABLE, ROW_GROUP_ROWS, HistoryWriter


def history_rows(n: int, start: int) -> pa.Table:
    """Return `n` history rows numbered from `start`, built column-wise (tests append 300k)."""
    number = pa.array(np.arange(start, start + n, dtype="float64"))
    ids = pa.array(np.arange(start, start + n)).cast(pa.string())

    def repeat(value: object, type_: pa.DataType) -> pa.Array:
        return pa.repeat(pa.scalar(value, type_), n)

    when = repeat(datetime(2026, 10, 1), pa.timestamp("us"))
    return pa.table({
        "flight_id": ids, "cabin": repeat("economy", pa.string()), "departure_at": when,
        "days_to_departure": number, "price_usd": number, "market_fare_usd": number,
        "demand_adjustment": number, "urgency_adjustment": number,
        "guardrail": repeat("none", pa.string()), "reasons": repeat("{}", pa.string()),
        "previous_price_usd": number, "model_version": repeat("v1", pa.string()), "as_of": when,
        "scored_at": when, "run_id": repeat("run-1", pa.string()), "unseen": repeat("", pa.string()),
        "confidence": repeat("high", pa.string()), "fare_source": repeat("model", pa.string()),
    })  # fmt: skip


def watch_appends(warehouse, look: Callable[[pa.Table], object]) -> list:
    """Make `warehouse`'s appends record `look(data)` each, then append for real; return the list."""
    seen: list = []
    append = warehouse.insert_arrow

    def watched(table: str, data: pa.Table) -> int:
        seen.append(look(data))
        return append(table, data)

    warehouse.insert_arrow = watched
    return seen


def test_history_is_appended_in_batches_of_at_least_the_append_rows(warehouse) -> None:
    appends = watch_appends(warehouse, lambda data: data.num_rows)
    writer = HistoryWriter(warehouse, append_rows=250, row_group_rows=1)
    for chunk in range(7):
        writer.append(history_rows(100, start=chunk * 100))
    assert appends == [300, 300]  # the last 100 rows wait for more, or for the flush
    writer.flush()
    writer.flush()  # nothing left: no empty append
    assert appends == [300, 300, 100]

    written = warehouse.query_df(f"SELECT flight_id, price_usd FROM {HISTORY_TABLE}")
    assert sorted(written["price_usd"]) == list(range(700))  # every row once, in order
    assert written["flight_id"].is_unique


def test_appends_are_whole_row_groups_and_the_rest_waits(warehouse) -> None:
    appends = watch_appends(warehouse, lambda data: data.num_rows)
    writer = HistoryWriter(warehouse, append_rows=250, row_group_rows=100)
    for chunk in range(7):
        writer.append(history_rows(90, start=chunk * 90))
    assert appends == [200, 200]  # 270 and 250 pending: the 70 and 50 beyond wait
    writer.flush()
    writer.flush()  # nothing left: no empty append
    assert appends == [200, 200, 230]

    written = warehouse.query_df(f"SELECT price_usd FROM {HISTORY_TABLE}")
    assert list(written["price_usd"]) == list(range(630))  # every row once, in order


def test_duckdb_stores_the_appends_as_full_row_groups(warehouse) -> None:
    writer = HistoryWriter(warehouse)  # scoring's writer: DuckDB's row groups
    for chunk in range(5):  # scoring's chunks: 100,000 rows
        writer.append(history_rows(100_000, start=chunk * 100_000))
    writer.flush()

    sizes = warehouse.query_df(
        "SELECT row_group_id, sum(count) AS n FROM pragma_storage_info('ML_PREDICTIONS.PRICE_HISTORY')"
        " WHERE column_name = 'price_usd' AND segment_type = 'DOUBLE'"
        " GROUP BY row_group_id ORDER BY row_group_id"
    )["n"].tolist()
    # 500,000 rows in four appends of one row group, then the last 8,480 rows: appended as
    # 300,000 + 200,000 they were stored as 122,880 + 122,880 + 54,240 + 122,880 + 77,120.
    assert sizes == [ROW_GROUP_ROWS] * 4 + [500_000 - 4 * ROW_GROUP_ROWS]


def test_duckdb_appends_on_one_thread_and_gets_its_threads_back(warehouse) -> None:
    def threads() -> int:
        return int(
            warehouse.query_arrow("SELECT current_setting('threads') AS n").column(0)[0].as_py()
        )

    warehouse.execute("SET threads = 3")
    during = watch_appends(warehouse, lambda data: threads())
    writer = HistoryWriter(warehouse, append_rows=100, row_group_rows=100)
    writer.append(history_rows(150, start=0))
    writer.flush()
    assert during == [1, 1]  # parallel inserts cut row groups at each thread's share
    assert threads() == 3
