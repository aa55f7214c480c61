"""PRICE_HISTORY is written in few, large appends (DuckDB skips its write-ahead log for them)."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from flightprice.score._history import HISTORY_TABLE, HistoryWriter


def history_rows(n: int, start: int) -> pa.Table:
    when = pa.array([datetime(2026, 10, 1)] * n, pa.timestamp("us"))
    number = pa.array([float(i) for i in range(start, start + n)])
    text = pa.array([""] * n, pa.string())
    return pa.table({
        "flight_id": pa.array([f"UA{i}-20261001" for i in range(start, start + n)]),
        "cabin": pa.array(["economy"] * n), "departure_at": when, "days_to_departure": number,
        "price_usd": number, "market_fare_usd": number, "demand_adjustment": number,
        "urgency_adjustment": number, "guardrail": pa.array(["none"] * n), "reasons": text,
        "previous_price_usd": number, "model_version": pa.array(["v1"] * n), "as_of": when,
        "scored_at": when, "run_id": pa.array(["run-1"] * n), "unseen": text,
        "confidence": pa.array(["high"] * n), "fare_source": pa.array(["model"] * n),
    })  # fmt: skip


def test_history_is_appended_in_batches_of_at_least_the_append_rows(warehouse) -> None:
    appends: list[int] = []
    append = warehouse.insert_arrow  # the real append, counted

    def counted(table: str, data: pa.Table) -> int:
        appends.append(data.num_rows)
        return append(table, data)

    warehouse.insert_arrow = counted
    writer = HistoryWriter(warehouse, append_rows=250)
    for chunk in range(7):
        writer.append(history_rows(100, start=chunk * 100))
    assert appends == [300, 300]  # the last 100 rows wait for more, or for the flush
    writer.flush()
    writer.flush()  # nothing left: no empty append
    assert appends == [300, 300, 100]

    written = warehouse.query_df(f"SELECT flight_id, price_usd FROM {HISTORY_TABLE}")
    assert sorted(written["price_usd"]) == list(range(700))  # every row once, in order
    assert written["flight_id"].is_unique
