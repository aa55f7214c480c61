"""The monitoring queries: latest rows of the manifest and the four log tables."""

from __future__ import annotations

import pandas as pd

from flightprice.warehouse import Warehouse

MONITORING_QUERIES: dict[str, str] = {
    "loaded_files": """
        SELECT feed, COUNT(*) AS files, SUM(rows_loaded) AS rows_loaded,
               MAX(loaded_at) AS last_loaded_at
        FROM RAW.LOAD_MANIFEST GROUP BY feed ORDER BY feed""",
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


def monitoring_snapshot(warehouse: Warehouse, limit: int = 5) -> dict[str, pd.DataFrame]:
    """Run every monitoring query; each frame holds at most `limit` runs or rows."""
    return {
        name: warehouse.query_df(sql.format(limit=int(limit)))
        for name, sql in MONITORING_QUERIES.items()
    }
