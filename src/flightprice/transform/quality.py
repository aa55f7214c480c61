"""Data-quality metrics (row counts, null rates, freshness) and the DATA_QUALITY_LOG."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import pandas as pd

from flightprice.clock import utc_now
from flightprice.settings import Settings
from flightprice.transform.dbt import DbtRun, run_dbt
from flightprice.warehouse import Warehouse, open_warehouse

DQ_TABLE = "ML_PREDICTIONS.DATA_QUALITY_LOG"

# Tables that must not be empty after a daily run.
ROW_COUNT_TABLES = (
    "RAW.FARES",
    "RAW.SCHEDULES",
    "ANALYTICS.FCT_FARE_OBSERVATION",
    "ANALYTICS.FCT_FLIGHT_DAILY",
    "ANALYTICS.ML_TRAINING_FEATURES",
    "ANALYTICS.ML_SCORING_FEATURES",
)

# (table, column, highest acceptable share of nulls)
NULL_RATE_CHECKS = (
    ("RAW.FARES", "seats_remaining", 0.10),
    ("RAW.FARES", "price", 0.0),
    ("ANALYTICS.ML_TRAINING_FEATURES", "capacity", 0.05),
    ("ANALYTICS.FCT_FARE_OBSERVATION", "load_factor", 0.10),
)

FRESHNESS_WARN_HOURS = 36.0

# dbt node status -> DATA_QUALITY_LOG status; anything else is an `error`.
DBT_STATUS = {"pass": "pass", "success": "pass", "warn": "warn", "fail": "fail"}


@dataclass(frozen=True)
class QualitySummary:
    """The latest quality run: when, how many checks, how many failed."""

    run_id: str | None
    checked_at: datetime | None
    checks: int
    failed: int

    @property
    def passed(self) -> bool:
        return self.run_id is not None and self.failed == 0


def quality_row(
    run_id: str,
    check_name: str,
    check_type: str,
    object_name: str,
    status: str,
    *,
    checked_at: datetime | None = None,
    failures: int | None = None,
    rows_checked: int | None = None,
    metric_value: float | None = None,
    details: str | None = None,
) -> dict[str, Any]:
    """Return one DATA_QUALITY_LOG row (`checked_at` defaults to now)."""
    return {
        "run_id": run_id,
        "checked_at": checked_at or utc_now(),
        "check_name": check_name,
        "check_type": check_type,
        "object_name": object_name,
        "status": status,
        "failures": failures,
        "rows_checked": rows_checked,
        "metric_value": metric_value,
        "details": details,
    }


def dbt_quality_rows(run: DbtRun, run_id: str, checked_at: datetime | None = None) -> list[dict]:
    """Turn every dbt test result of `run` into a DATA_QUALITY_LOG row."""
    checked_at = checked_at or utc_now()
    return [
        quality_row(run_id, node.name, "dbt_test", node.unique_id,
                    DBT_STATUS.get(node.status, "error"), checked_at=checked_at,
                    failures=node.failures, details=node.message)
        for node in run.tests
    ]  # fmt: skip


def measure_quality(warehouse: Warehouse, run_id: str) -> list[dict]:
    """Measure row counts, null rates and load freshness; one DATA_QUALITY_LOG row each."""
    rows: list[dict] = []
    for table in ROW_COUNT_TABLES:
        try:
            (count,) = warehouse.query_df(f"SELECT COUNT(*) AS n FROM {table}").iloc[0]
        except Exception as exc:  # noqa: BLE001 - a missing table is a failed check, not a crash
            rows.append(quality_row(run_id, f"row_count:{table}", "row_count", table, "error",
                             details=str(exc).splitlines()[0]))
            continue
        status = "pass" if count > 0 else "fail"
        rows.append(quality_row(run_id, f"row_count:{table}", "row_count", table, status,
                         failures=0 if count else 1, rows_checked=int(count),
                         metric_value=float(count)))
    for table, column, limit in NULL_RATE_CHECKS:
        try:
            frame = warehouse.query_df(
                f"SELECT COUNT(*) AS n, COUNT(*) - COUNT({column}) AS nulls FROM {table}"
            )
        except Exception as exc:  # noqa: BLE001 - as above: recorded as an `error` check
            rows.append(quality_row(run_id, f"null_rate:{table}.{column}", "null_rate", table, "error",
                             details=str(exc).splitlines()[0]))
            continue
        n, nulls = int(frame.iloc[0]["n"]), int(frame.iloc[0]["nulls"])
        rate = nulls / n if n else 0.0
        rows.append(quality_row(run_id, f"null_rate:{table}.{column}", "null_rate", table,
                         "pass" if rate <= limit else "fail", failures=nulls,
                         rows_checked=n, metric_value=round(rate, 6),
                         details=f"null share {rate:.2%}, limit {limit:.0%}"))
    frame = warehouse.query_df("SELECT MAX(loaded_at) AS last FROM RAW.LOAD_MANIFEST")
    last = frame.iloc[0]["last"]
    if pd.isna(last):
        rows.append(quality_row(run_id, "freshness:RAW.LOAD_MANIFEST", "freshness", "RAW.LOAD_MANIFEST",
                         "fail", details="no file has ever been loaded"))
    else:
        # The warehouse stores naive UTC.
        hours = (utc_now() - pd.Timestamp(last, tz="UTC")).total_seconds() / 3600
        rows.append(quality_row(run_id, "freshness:RAW.LOAD_MANIFEST", "freshness", "RAW.LOAD_MANIFEST",
                         "pass" if hours <= FRESHNESS_WARN_HOURS else "warn",
                         metric_value=round(hours, 3),
                         details=f"last file loaded {hours:.1f} h ago"))
    return rows


def write_quality_rows(warehouse: Warehouse, rows: list[dict]) -> int:
    """Append rows to DATA_QUALITY_LOG."""
    if not rows:
        return 0
    frame = pd.DataFrame(rows)
    for col in ("failures", "rows_checked"):
        frame[col] = frame[col].astype("Int64")
    frame["metric_value"] = frame["metric_value"].astype("float64")
    return warehouse.write_frame(DQ_TABLE, frame)


def latest_quality(warehouse: Warehouse) -> QualitySummary:
    """Summarise the most recent quality run that checked dbt tests or metrics."""
    frame = warehouse.query_df(
        f"""
        WITH latest AS (
            SELECT run_id, MAX(checked_at) AS checked_at FROM {DQ_TABLE}
            WHERE check_type <> 'ingest'
            GROUP BY run_id ORDER BY checked_at DESC LIMIT 1
        )
        SELECT l.run_id, l.checked_at, COUNT(*) AS checks,
               SUM(CASE WHEN d.status IN ('fail', 'error') THEN 1 ELSE 0 END) AS failed
        FROM latest l JOIN {DQ_TABLE} d ON d.run_id = l.run_id AND d.check_type <> 'ingest'
        GROUP BY l.run_id, l.checked_at
        """
    )
    if frame.empty:
        return QualitySummary(None, None, 0, 0)
    row = frame.iloc[0]
    return QualitySummary(str(row["run_id"]), row["checked_at"], int(row["checks"]),
                          int(row["failed"]))


def run_quality_checks(settings, *, run_id: str, runner: str = "dbt", run_tests: bool = True):
    """Run dbt tests (optional) and the metrics; log all of them; return (dbt run, rows)."""
    dbt_run = run_dbt(settings, ["test"], runner=runner) if run_tests else None
    rows = dbt_quality_rows(dbt_run, run_id) if dbt_run else []
    with open_warehouse(settings) as warehouse:
        rows += measure_quality(warehouse, run_id)
        write_quality_rows(warehouse, rows)
    return dbt_run, rows


def transform(
    settings: Settings,
    *,
    run_id: str,
    args: Sequence[str] = ("build",),
    runner: Literal["dbt", "prefect"] = "dbt",
) -> DbtRun:
    """Run dbt (default `build`: seeds, models and tests) and log every test result."""
    run = run_dbt(settings, args, runner=runner)
    rows = dbt_quality_rows(run, run_id)
    if rows:
        with open_warehouse(settings) as warehouse:
            write_quality_rows(warehouse, rows)
    return run
