"""The one DATA_QUALITY_LOG row builder: metrics, dbt test results and ingest all use it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flightprice.clock import utc_now
from flightprice.transform.dbt import DbtRun, NodeResult
from flightprice.transform.quality import (
    DQ_TABLE,
    dbt_quality_rows,
    quality_row,
    write_quality_rows,
)


def _node(name: str, status: str, failures: int | None = 0) -> NodeResult:
    return NodeResult(f"test.flightprice.{name}", name, "test", status, failures, None, 0.1)


def test_quality_row_has_every_log_column_and_defaults_checked_at_to_now():
    row = quality_row("q-1", "row_count:RAW.FARES", "row_count", "RAW.FARES", "pass",
                      rows_checked=12, metric_value=12.0)  # fmt: skip
    assert list(row) == ["run_id", "checked_at", "check_name", "check_type", "object_name",
                         "status", "failures", "rows_checked", "metric_value", "details",
                         "severity"]  # fmt: skip
    assert row["rows_checked"] == 12 and row["failures"] is None and row["details"] is None
    assert row["severity"] is None
    assert row["checked_at"].tzinfo is not None
    assert abs(row["checked_at"] - utc_now()) < timedelta(seconds=5)


def test_dbt_results_become_rows_with_mapped_statuses_and_one_timestamp():
    run = DbtRun(["test"], False, [
        _node("not_null_fares_price", "pass"), _node("accepted_cabin", "fail", 3),
        _node("unique_key", "warn", 1), _node("broken", "runtime error", None),
        NodeResult("model.flightprice.fct", "fct", "model", "success", None, None, 1.0),
    ])  # fmt: skip
    at = datetime(2026, 9, 1, 6, tzinfo=UTC)
    rows = dbt_quality_rows(run, "t-1", checked_at=at)
    assert [(r["check_name"], r["status"], r["failures"]) for r in rows] == [
        ("not_null_fares_price", "pass", 0), ("accepted_cabin", "fail", 3),
        ("unique_key", "warn", 1), ("broken", "error", None),
    ]  # fmt: skip
    assert {r["checked_at"] for r in rows} == {at}
    assert {r["check_type"] for r in rows} == {"dbt_test"}


def test_written_rows_store_checked_at_as_naive_utc(warehouse):
    at = datetime(2026, 9, 1, 8, 15, tzinfo=UTC)
    rows = [quality_row("q-2", "freshness", "freshness", "RAW.LOAD_MANIFEST", "warn",
                        checked_at=at, metric_value=40.5, details="old")]  # fmt: skip
    assert write_quality_rows(warehouse, rows) == 1
    stored = warehouse.query_df(f"SELECT * FROM {DQ_TABLE}").iloc[0]
    assert stored["checked_at"].to_pydatetime() == datetime(2026, 9, 1, 8, 15)
    assert (stored["status"], stored["metric_value"], stored["details"]) == ("warn", 40.5, "old")
