"""DuckDB publishes a run by an UPDATE and an insert of new flights: the same table as the MERGE."""

from __future__ import annotations

import pyarrow as pa
import pytest

from flightprice.score._history import HISTORY_TABLE
from flightprice.score._publish import MERGE_SQL, PRICES_TABLE, publish_prices
from flightprice.settings import Settings
from flightprice.warehouse import setup_warehouse
from flightprice.warehouse.duckdb import DuckDBWarehouse


def history_rows(numbers: range, run_id: str, price: float) -> pa.Table:
    n = len(numbers)
    when = pa.array([pa.scalar(0, pa.timestamp("us")).as_py()] * n, pa.timestamp("us"))
    value = pa.array([price + i for i in numbers], pa.float64())
    return pa.table({
        "flight_id": pa.array([f"UA{i}-20261001" for i in numbers]),
        "cabin": pa.array(["economy"] * n), "departure_at": when, "days_to_departure": value,
        "price_usd": value, "market_fare_usd": value, "demand_adjustment": value,
        "urgency_adjustment": value, "guardrail": pa.array(["none"] * n),
        "reasons": pa.array([f'{{"run": "{run_id}", "i": {i}}}' for i in numbers]),
        "previous_price_usd": value, "model_version": pa.array([run_id] * n), "as_of": when,
        "scored_at": when, "run_id": pa.array([run_id] * n), "unseen": pa.array([""] * n),
        "confidence": pa.array(["high"] * n), "fare_source": pa.array(["model"] * n),
    })  # fmt: skip


def published(path, second: range, publish) -> pa.Table:
    """Publish a first run of flights 0-99, then a second run of `second`; return the table."""
    warehouse = DuckDBWarehouse(path)
    try:
        setup_warehouse(warehouse, Settings(home=path.parent))
        warehouse.insert_arrow(HISTORY_TABLE, history_rows(range(100), "first", 100.0))
        warehouse.insert_arrow(PRICES_TABLE, history_rows(range(100), "first", 100.0))
        warehouse.insert_arrow(HISTORY_TABLE, history_rows(second, "second", 500.0))
        with warehouse.transaction():
            publish(warehouse)
        # By key: a table has no order (the MERGE inserts new rows in its hash join's order).
        return warehouse.query_arrow(f"select * from {PRICES_TABLE} order by flight_id, cabin")
    finally:
        warehouse.close()


# 50 matched, 50 new and 50 flights not priced again; or every flight matched (no insert).
@pytest.mark.parametrize(("second", "runs"), [
    (range(50, 150), [("first", 50), ("second", 100)]),
    (range(100), [("second", 100)]),
])  # fmt: skip
def test_update_then_insert_publishes_what_the_merge_does(tmp_path, second, runs) -> None:
    merged = published(
        tmp_path / "merge.duckdb", second, lambda wh: wh.execute(MERGE_SQL, ["second"])
    )
    updated = published(
        tmp_path / "update.duckdb", second, lambda wh: publish_prices(wh, "second", len(second))
    )

    assert updated.equals(merged)
    counts = pa.compute.value_counts(updated.column("run_id")).to_pylist()
    assert sorted((row["values"], row["counts"]) for row in counts) == runs
    assert updated.num_rows == len(set(updated.column("flight_id").to_pylist()))
