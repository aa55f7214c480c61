"""The monitoring queries: latest rows of the manifest and the four log tables."""

from __future__ import annotations

import pandas as pd

from flightprice.warehouse import Warehouse

MONITORING_QUERIES: dict[str, str] = {
    "loaded_files": """
        SELECT feed, COUNT(*) AS files, SUM(rows_loaded) AS rows_loaded,
               MAX(loaded_at) AS last_loaded_at
        FROM RAW.LOAD_MANIFEST GROUP BY feed ORDER BY feed""",
    # The latest loaded files, rows loaded and rejected; top_reasons is filled in below.
    "file_rows": """
        SELECT m.path, m.content_hash, m.feed, m.rows_loaded,
               COUNT(r.row_number) AS rows_rejected, m.loaded_at
        FROM RAW.LOAD_MANIFEST m
        LEFT JOIN RAW.REJECTED_ROWS r ON r.path = m.path AND r.content_hash = m.content_hash
        GROUP BY m.path, m.content_hash, m.feed, m.rows_loaded, m.loaded_at
        ORDER BY m.loaded_at DESC, m.path LIMIT {limit}""",
    "data_quality": """
        SELECT run_id, check_type, COUNT(*) AS checks,
               SUM(CASE WHEN status = 'pass' THEN 1 ELSE 0 END) AS passed,
               SUM(CASE WHEN status = 'warn' THEN 1 ELSE 0 END) AS warned,
               SUM(CASE WHEN status IN ('fail', 'error') THEN 1 ELSE 0 END) AS failed,
               MAX(checked_at) AS checked_at
        FROM ML_PREDICTIONS.DATA_QUALITY_LOG
        WHERE run_id IN (SELECT run_id FROM ML_PREDICTIONS.DATA_QUALITY_LOG
                         GROUP BY run_id ORDER BY MAX(checked_at) DESC LIMIT {limit})
        GROUP BY run_id, check_type ORDER BY checked_at DESC, check_type""",
    "failed_checks": """
        SELECT checked_at, check_type, check_name, object_name, severity, failures, details
        FROM ML_PREDICTIONS.DATA_QUALITY_LOG WHERE status IN ('fail', 'error')
        ORDER BY checked_at DESC LIMIT {limit}""",
    "model_registry": """
        SELECT version, status, created_at, promoted_at, promoted_from, reason
        FROM ML_PREDICTIONS.MODEL_REGISTRY ORDER BY created_at DESC LIMIT {limit}""",
    "training_log": """
        SELECT run_id, status, model_version, decision, reason, started_at, finished_at
        FROM ML_PREDICTIONS.TRAINING_LOG ORDER BY started_at DESC LIMIT {limit}""",
    "scoring_log": """
        SELECT run_id, mode, model_version, rows_scored, duration_seconds, status, started_at
        FROM ML_PREDICTIONS.SCORING_LOG ORDER BY started_at DESC LIMIT {limit}""",
}


REJECT_REASONS = """
    SELECT path, content_hash, column_name, check_name, COUNT(*) AS rows_rejected
    FROM RAW.REJECTED_ROWS
    GROUP BY path, content_hash, column_name, check_name"""
TOP_REASONS = 3


def monitoring_snapshot(warehouse: Warehouse, limit: int = 5) -> dict[str, pd.DataFrame]:
    """Run every monitoring query; each frame holds at most `limit` runs or rows."""
    snapshot = {
        name: warehouse.query_df(sql.format(limit=int(limit)))
        for name, sql in MONITORING_QUERIES.items()
    }
    snapshot["file_rows"] = _with_top_reasons(warehouse, snapshot["file_rows"])
    return snapshot


def _with_top_reasons(warehouse: Warehouse, files: pd.DataFrame) -> pd.DataFrame:
    """Add each file's most frequent reject reasons as `column check (rows); ...`."""
    files = files.rename(columns=str.lower)
    reasons = warehouse.query_df(REJECT_REASONS).rename(columns=str.lower)
    reasons = reasons.sort_values(
        ["rows_rejected", "column_name", "check_name"], ascending=[False, True, True]
    )
    top = {
        key: "; ".join(
            f"{r.column_name} {r.check_name} ({r.rows_rejected})"
            for r in group.head(TOP_REASONS).itertuples()
        )
        for key, group in reasons.groupby(["path", "content_hash"], sort=False)
    }
    keys = zip(files["path"], files["content_hash"], strict=True)
    files["top_reasons"] = [top.get(key, "") for key in keys]
    return files.drop(columns="content_hash")
