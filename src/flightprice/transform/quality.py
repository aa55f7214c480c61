"""Data-quality runs: the checks of `checks.CHECKS` and dbt tests, logged to DATA_QUALITY_LOG."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import pandas as pd

from flightprice.clock import utc_now
from flightprice.settings import Settings
from flightprice.transform.checks import CHECKS, measure
from flightprice.transform.dbt import DbtRun, NodeResult, run_dbt
from flightprice.warehouse import Warehouse, open_warehouse

DQ_TABLE = "ML_PREDICTIONS.DATA_QUALITY_LOG"

# dbt node status -> DATA_QUALITY_LOG status; anything else is an `error`.
DBT_STATUS = {"pass": "pass", "success": "pass", "warn": "warn", "fail": "fail"}


@dataclass(frozen=True)
class QualitySummary:
    """The latest quality run: when, how many checks, how many failed, which of them block."""

    run_id: str | None
    checked_at: datetime | None
    checks: int
    failed: int
    blocking: tuple[str, ...] = ()  # failed checks of severity `error`, "name: details"

    @property
    def passed(self) -> bool:
        return self.run_id is not None and not self.blocking


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
    severity: str | None = None,
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
        "severity": severity,
    }


def dbt_quality_rows(run: DbtRun, run_id: str, checked_at: datetime | None = None) -> list[dict]:
    """Turn every dbt test result of `run` into a DATA_QUALITY_LOG row."""
    checked_at = checked_at or utc_now()
    return [
        quality_row(run_id, node.name, "dbt_test", node.unique_id,
                    DBT_STATUS.get(node.status, "error"), checked_at=checked_at,
                    failures=node.failures, details=node.message,
                    severity=_dbt_severity(node))
        for node in run.tests
    ]  # fmt: skip


def _dbt_severity(node: NodeResult) -> str:
    """Return a dbt test's configured severity (`warn` tests report status `warn`)."""
    return "warn" if (node.severity or node.status).lower() == "warn" else "error"


def measure_quality(warehouse: Warehouse, run_id: str, settings: Settings) -> list[dict]:
    """Measure every check of `CHECKS`; one DATA_QUALITY_LOG row each, with its severity."""
    rows = []
    for check in CHECKS:
        outcome = measure(check, warehouse, settings)
        rows.append(quality_row(run_id, check.name, check.kind, check.object_name,
                                check.status(outcome), failures=outcome.failures,
                                rows_checked=outcome.rows_checked,
                                metric_value=outcome.metric_value, details=outcome.details,
                                severity=check.severity))  # fmt: skip
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
    """Summarise the most recent quality run that checked dbt tests or metrics.

    Its failed checks of severity `error` block training; rows logged before severities
    existed (severity null) count as `error`.
    """
    frame = warehouse.query_df(
        f"""
        WITH latest AS (
            SELECT run_id, MAX(checked_at) AS checked_at FROM {DQ_TABLE}
            WHERE check_type <> 'ingest'
            GROUP BY run_id ORDER BY checked_at DESC LIMIT 1
        )
        SELECT l.run_id, l.checked_at, d.check_name, d.status, d.details,
               COALESCE(d.severity, 'error') AS severity
        FROM latest l JOIN {DQ_TABLE} d ON d.run_id = l.run_id AND d.check_type <> 'ingest'
        ORDER BY d.check_name
        """
    )
    if frame.empty:
        return QualitySummary(None, None, 0, 0)
    frame.columns = [c.lower() for c in frame.columns]
    failed = frame[frame["status"].isin(["fail", "error"])]
    blocking = failed[failed["severity"] != "warn"]
    return QualitySummary(
        str(frame["run_id"].iloc[0]), frame["checked_at"].max(), len(frame), len(failed),
        tuple(f"{r.check_name}: {r.details}" if isinstance(r.details, str) and r.details
              else str(r.check_name) for r in blocking.itertuples()),
    )  # fmt: skip


def run_quality_checks(settings, *, run_id: str, runner: str = "dbt", run_tests: bool = True):
    """Run dbt tests (optional) and the metrics; log all of them; return (dbt run, rows)."""
    dbt_run = run_dbt(settings, ["test"], runner=runner) if run_tests else None
    rows = dbt_quality_rows(dbt_run, run_id) if dbt_run else []
    with open_warehouse(settings) as warehouse:
        rows += measure_quality(warehouse, run_id, settings)
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
