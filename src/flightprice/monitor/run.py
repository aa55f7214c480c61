"""Monitor one scoring run: drift and realised accuracy into MODEL_MONITORING, an HTML report,
a notification on a breach and, with FLIGHTPRICE_MONITORING_RETRAIN, a training run started.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from flightprice.clock import naive_utc, utc_now
from flightprice.features import derive_request_features
from flightprice.monitor._accuracy import realised_accuracy
from flightprice.monitor._drift import Check, input_drift, output_drift, unseen_shares
from flightprice.monitor._report import write_report
from flightprice.monitor._trigger import start_training
from flightprice.orchestrate.notify import notify
from flightprice.serve.unseen import LOW_CONFIDENCE_INPUTS
from flightprice.settings import Settings
from flightprice.store import open_store
from flightprice.warehouse import Warehouse, open_warehouse

log = logging.getLogger(__name__)

MONITORING_TABLE = "ML_PREDICTIONS.MODEL_MONITORING"
SCORING_LOG = "ML_PREDICTIONS.SCORING_LOG"
HISTORY_TABLE = "ML_PREDICTIONS.PRICE_HISTORY"
FEATURES_TABLE = "ANALYTICS.ML_SCORING_FEATURES"
_REQUEST_COLUMNS = ("carrier", "flight_number", "origin", "destination", "cabin", "stops",
                    "duration_minutes", "departure_at", "observed_at", "capacity",
                    "seats_remaining", "as_of")  # fmt: skip


@dataclass
class MonitoringResult:
    """What monitoring found for one scoring run and what it did about it."""

    run_id: str
    model_version: str | None
    checks: list[Check] = field(default_factory=list)
    report: str | None = None
    notified: bool = False
    training: str | None = None  # the flow run started, or why none was

    @property
    def breaches(self) -> list[Check]:
        return [c for c in self.checks if c.breached]

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "model_version": self.model_version,
                "checks": [c.to_dict() for c in self.checks],
                "breaches": [c.to_dict() for c in self.breaches], "report": self.report,
                "notified": self.notified, "training": self.training}  # fmt: skip


def monitor_scoring_run(settings: Settings, run_id: str) -> MonitoringResult:
    """Measure a published scoring run, record it, report it, and alert on a breach."""
    with open_warehouse(settings) as warehouse:
        version = _scored_version(warehouse, run_id)
        result = MonitoringResult(run_id, version, measure(settings, warehouse, run_id, version))
        _record(warehouse, result)
        earlier = _earlier_breaches(warehouse, run_id)
    result.report = str(write_report(result, earlier, _report_path(settings, run_id)))
    if result.breaches:
        reason = "monitoring breach in scoring run {}: {}".format(
            run_id, "; ".join(f"{c.kind} {c.name} {c.metric} {c.value:.3f} > {c.threshold}"
                              for c in result.breaches))  # fmt: skip
        log.warning(reason)
        result.notified = notify(settings, f"model monitoring: {len(result.breaches)} breach(es)",
                                 f"{reason}\nReport: {result.report}", "failure")  # fmt: skip
        result.training = (start_training(settings, reason) if settings.monitoring_retrain
                           else "not started (FLIGHTPRICE_MONITORING_RETRAIN is off)")  # fmt: skip
    return result


def latest_scoring_run(settings: Settings) -> str:
    """Return the id of the latest successful scoring run."""
    with open_warehouse(settings, read_only=True) as warehouse:
        runs = _earlier_runs(warehouse, "", 1)
    if not runs:
        raise ValueError(f"no successful scoring run in {SCORING_LOG}: run `flightprice score`")
    return runs[0]


def measure(settings: Settings, warehouse: Warehouse, run_id: str, version: str) -> list[Check]:
    """Return every check of one run: input drift, unseen inputs, output drift, accuracy."""
    sample = settings.monitoring_sample_rows
    metadata = json.loads(open_store(settings).read_bytes(f"models/{version}/metadata.json"))
    features = derive_request_features(_lower(warehouse.query_df(
        f"select {', '.join(_REQUEST_COLUMNS)} from {FEATURES_TABLE} "
        f"order by random() limit {int(sample)}")))  # fmt: skip
    checks = input_drift(metadata.get("drift_reference") or {}, features,
                         settings.monitoring_input_psi)  # fmt: skip
    counts, rows = _unseen_counts(warehouse, run_id)
    checks += unseen_shares(counts, rows, settings.monitoring_unseen_share)
    current = _outputs(warehouse, "run_id = ?", [run_id], sample)
    earlier_runs = _earlier_runs(warehouse, run_id, settings.monitoring_history_runs)
    marks = ", ".join("?" * len(earlier_runs))
    earlier = (_outputs(warehouse, f"run_id in ({marks})", earlier_runs, sample) if earlier_runs
               else current.iloc[0:0])  # fmt: skip
    checks += output_drift(current, earlier, settings.monitoring_output_psi)
    checks += realised_accuracy(warehouse, settings.monitoring_accuracy_days,
                                settings.monitoring_accuracy_mape)  # fmt: skip
    return checks


def _scored_version(warehouse: Warehouse, run_id: str) -> str:
    logged = _lower(warehouse.query_df(
        f"select model_version, status from {SCORING_LOG} where run_id = ? "
        "order by started_at desc limit 1", [run_id]))  # fmt: skip
    if logged.empty or logged["status"][0] != "success":
        raise ValueError(f"scoring run {run_id} has no successful SCORING_LOG row to monitor")
    return str(logged["model_version"][0])


def _unseen_counts(warehouse: Warehouse, run_id: str) -> tuple[dict[str, int], int]:
    # Inputs sit comma-joined in `unseen`; wrapping it in commas matches whole names only.
    flags = {name: f"',' || unseen || ',' like '%,{name},%'" for name in LOW_CONFIDENCE_INPUTS}
    flags["any"] = " or ".join(f"({f})" for f in flags.values())
    sums = ", ".join(f"sum(case when {f} then 1 else 0 end) as {n}" for n, f in flags.items())
    frame = _lower(warehouse.query_df(
        f"select count(*) as total_rows, {sums} from {HISTORY_TABLE} where run_id = ?", [run_id]))  # fmt: skip
    row = frame.iloc[0]
    return {n: int(row[n] or 0) for n in flags}, int(row["total_rows"])


def _outputs(warehouse: Warehouse, where: str, params: list, limit: int) -> pd.DataFrame:
    return _lower(warehouse.query_df(
        f"select market_fare_usd, price_usd from {HISTORY_TABLE} where {where} "
        f"order by random() limit {int(limit)}", params))  # fmt: skip


def _earlier_runs(warehouse: Warehouse, run_id: str, count: int) -> list[str]:
    frame = _lower(warehouse.query_df(
        f"select run_id from {SCORING_LOG} where status = 'success' and run_id <> ? "
        f"order by started_at desc limit {int(count)}", [run_id]))  # fmt: skip
    return frame["run_id"].tolist()


def _earlier_breaches(warehouse: Warehouse, run_id: str) -> pd.DataFrame:
    """Return the breaches of earlier runs (the report's trend table), newest first."""
    return _lower(warehouse.query_df(
        f"select run_id, monitored_at, kind, name, metric, value, threshold "
        f"from {MONITORING_TABLE} where breached and run_id <> ? "
        "order by monitored_at desc limit 50", [run_id]))  # fmt: skip


def _record(warehouse: Warehouse, result: MonitoringResult) -> None:
    now = naive_utc(utc_now())
    frame = pd.DataFrame([{
        "run_id": result.run_id, "monitored_at": now, "model_version": result.model_version,
        "kind": c.kind, "name": c.name, "metric": c.metric, "value": c.value,
        "threshold": c.threshold, "breached": c.breached, "rows_compared": c.rows,
    } for c in result.checks])  # fmt: skip
    frame["value"] = frame["value"].astype("float64")
    frame["threshold"] = frame["threshold"].astype("float64")
    frame["rows_compared"] = frame["rows_compared"].astype("Int64")
    with warehouse.transaction():  # a re-monitored run replaces its rows
        warehouse.execute(f"delete from {MONITORING_TABLE} where run_id = ?", [result.run_id])
        warehouse.write_frame(MONITORING_TABLE, frame)


def _report_path(settings: Settings, run_id: str) -> Path:
    return settings.home / "reports" / "monitoring" / f"{run_id}.html"


def _lower(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).lower() for c in frame.columns]  # Snowflake answers in upper case
    return frame
