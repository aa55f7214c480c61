"""MODEL_REGISTRY and TRAINING_LOG: model versions, the one champion, promotion, rollback.

Once any model has been champion there is exactly one champion; every status change runs in
one warehouse transaction and re-checks that before committing.

A champion that is rolled back goes back to `challenger`, its reason `rolled back: <why>`,
as the original design has it. Nothing promotes it again by itself: the training flow only
ever promotes the model it has just trained; an operator may `promote` it after a fix.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from flightprice._json import dumps
from flightprice.clock import utc_now
from flightprice.train._decision import (
    FIRST_MODEL_REASON,
    GUARDRAIL_TOLERANCE,
    Decision,
    compare,
    compare_models,
)

if TYPE_CHECKING:
    from flightprice.store import ObjectStore
    from flightprice.train.model import LoadedModel
    from flightprice.warehouse import Warehouse

__all__ = [
    "GUARDRAIL_TOLERANCE",
    "Decision",
    "NoChampionError",
    "RegistryEntry",
    "RegistryError",
    "assert_single_champion",
    "champion",
    "compare",
    "compare_models",
    "get",
    "list_models",
    "load_champion",
    "log_training",
    "promote",
    "register",
    "rollback",
]

REGISTRY_TABLE = "ML_PREDICTIONS.MODEL_REGISTRY"
TRAINING_LOG_TABLE = "ML_PREDICTIONS.TRAINING_LOG"
CHAMPION, CHALLENGER, RETIRED = "champion", "challenger", "retired"
TRAINING_STATUSES = ("trained", "skipped", "failed")
DECISIONS = ("promoted", "rejected", "first_champion", "rolled_back", "none")

_COLUMNS = (
    "version, created_at, status, metrics, artifact_uri, sha256, promoted_at, promoted_from, reason"
)


class RegistryError(RuntimeError):
    """A registry operation would break its rules (unknown version, no history, two champions)."""


class NoChampionError(LookupError):
    """The registry has no champion yet (or not the pinned version): nothing to serve or score."""


@dataclass(frozen=True)
class RegistryEntry:
    version: str
    created_at: datetime
    status: str
    metrics: dict[str, Any]
    artifact_uri: str
    sha256: str
    promoted_at: datetime | None
    promoted_from: str | None
    reason: str | None


def register(
    warehouse: Warehouse,
    version: str,
    metrics: Mapping[str, Any],
    artifact_uri: str,
    sha256: str,
    status: str = CHALLENGER,
    reason: str | None = None,
    created_at: datetime | None = None,
) -> RegistryEntry:
    """Record a new model version; `champion` is only accepted while there is none."""
    if status not in (CHALLENGER, CHAMPION):
        raise RegistryError(f"a new model is registered as challenger or champion, not {status!r}")
    now = utc_now()
    if status == CHAMPION and reason is None:
        reason = FIRST_MODEL_REASON
    with warehouse.transaction():
        if get(warehouse, version) is not None:
            raise RegistryError(f"model version {version} is already registered")
        current = champion(warehouse)
        if status == CHAMPION and current is not None:
            raise RegistryError(
                f"{current.version} is champion; register {version} as challenger and promote it"
            )
        warehouse.execute(
            f"insert into {REGISTRY_TABLE} ({_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                version,
                created_at or now,
                status,
                dumps(metrics),
                artifact_uri,
                sha256,
                now if status == CHAMPION else None,
                None,
                reason,
            ],
        )
        assert_single_champion(warehouse)
    return _require(warehouse, version)


def get(warehouse: Warehouse, version: str) -> RegistryEntry | None:
    """Return the entry of `version`, or None when it was never registered."""
    rows = _select(warehouse, "where version = ?", [version])
    return rows[0] if rows else None


def list_models(warehouse: Warehouse, status: str | None = None) -> list[RegistryEntry]:
    """Return every registered model (optionally of one status), newest first."""
    if status is None:
        return _select(warehouse, "order by created_at desc, version desc")
    return _select(warehouse, "where status = ? order by created_at desc, version desc", [status])


def champion(warehouse: Warehouse) -> RegistryEntry | None:
    """Return the current champion, or None before the first promotion."""
    champions = list_models(warehouse, CHAMPION)
    if len(champions) > 1:
        raise RegistryError(_too_many(champions))
    return champions[0] if champions else None


def load_champion(
    warehouse: Warehouse,
    store: ObjectStore,
    *,
    required: bool = True,
    version: str | None = None,
) -> LoadedModel | None:
    """Load the champion (or the pinned `version`) from `store`, its checksum verified.

    With no such model, raise NoChampionError when `required`, else return None (training's
    first model). A registered model whose artifact is missing or corrupt always raises.
    """
    # Deferred: loading pulls in xgboost, which registry lookups (models list, deploy) skip.
    from flightprice.train.model import load_model

    entry = champion(warehouse) if version is None else get(warehouse, version)
    if entry is None:
        if not required:
            return None
        if version is not None:
            raise NoChampionError(f"pinned model {version} is not registered")
        raise NoChampionError(f"no champion model in {REGISTRY_TABLE} yet")
    return load_model(store, entry.version, expected_sha256=entry.sha256)


def assert_single_champion(warehouse: Warehouse) -> None:
    """Raise unless there is one champion (or none, when no model was ever promoted)."""
    champions = list_models(warehouse, CHAMPION)
    if len(champions) > 1:
        raise RegistryError(_too_many(champions))
    if not champions:
        ever = warehouse.query_df(
            f"select count(*) as n from {REGISTRY_TABLE} where promoted_at is not null"
        )
        if int(ever.iloc[0, 0]) > 0:
            raise RegistryError("the registry has promoted models but no champion")


def promote(warehouse: Warehouse, version: str, reason: str) -> RegistryEntry:
    """Make `version` the champion; the current one retires and is kept as `promoted_from`."""
    with warehouse.transaction():
        target = _require(warehouse, version)
        if target.status == CHAMPION:
            raise RegistryError(f"{version} is already the champion")
        current = champion(warehouse)
        if current is not None:
            _set_status(warehouse, current.version, RETIRED)
        warehouse.execute(
            f"update {REGISTRY_TABLE} set status = ?, promoted_at = ?, promoted_from = ?, "
            "reason = ? where version = ?",
            [CHAMPION, utc_now(), current.version if current else None, reason, version],
        )
        assert_single_champion(warehouse)
    return _require(warehouse, version)


def rollback(warehouse: Warehouse, reason: str, to: str | None = None) -> RegistryEntry:
    """Reinstate the champion the current one was promoted from (or `to`); the current one goes
    back to challenger with the reason.

    `to` names the version to reinstate when it is not `promoted_from`, e.g. the model a
    deployment target served before a failed deploy.
    """
    with warehouse.transaction():
        current = champion(warehouse)
        if current is None:
            raise RegistryError("cannot roll back: there is no champion")
        target = to or current.promoted_from
        if target is None:
            raise RegistryError(f"cannot roll back {current.version}: it has no previous champion")
        if target == current.version:
            raise RegistryError(f"cannot roll back {current.version} to itself")
        previous = _require(warehouse, target)
        _set_status(warehouse, current.version, CHALLENGER, f"rolled back: {reason}")
        # promoted_from stays: a further rollback walks one more step back.
        warehouse.execute(
            f"update {REGISTRY_TABLE} set status = ?, promoted_at = ?, reason = ? "
            "where version = ?",
            [
                CHAMPION,
                utc_now(),
                f"reinstated by rollback of {current.version}: {reason}",
                previous.version,
            ],
        )
        assert_single_champion(warehouse)
    return _require(warehouse, previous.version)


def log_training(
    warehouse: Warehouse,
    run_id: str,
    status: str,
    *,
    started_at: datetime,
    finished_at: datetime | None = None,
    model_version: str | None = None,
    decision: Decision | str | None = None,
    reason: str | None = None,
    metrics: Mapping[str, Any] | None = None,
    training_rows: int | None = None,
    holdout_rows: int | None = None,
) -> None:
    """Append one TRAINING_LOG row: a trained, skipped or failed run and what was decided."""
    if status not in TRAINING_STATUSES:
        raise ValueError(f"training status must be one of {TRAINING_STATUSES}, not {status!r}")
    if isinstance(decision, Decision):
        reason = reason if reason is not None else decision.reason
        decision = decision.outcome
    decision = decision or "none"
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
    warehouse.execute(
        f"insert into {TRAINING_LOG_TABLE} (run_id, started_at, finished_at, status, "
        "model_version, decision, reason, metrics, training_rows, holdout_rows) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            started_at,
            finished_at or utc_now(),
            status,
            model_version,
            decision,
            reason,
            dumps(metrics) if metrics is not None else None,
            training_rows,
            holdout_rows,
        ],
    )


def _select(
    warehouse: Warehouse, clause: str, params: list[Any] | None = None
) -> list[RegistryEntry]:
    frame = warehouse.query_df(f"select {_COLUMNS} from {REGISTRY_TABLE} {clause}", params)
    frame.columns = [str(c).lower() for c in frame.columns]  # Snowflake answers in upper case
    return [_entry(row) for row in frame.to_dict("records")]


def _entry(row: Mapping[str, Any]) -> RegistryEntry:
    return RegistryEntry(
        version=row["version"],
        created_at=_timestamp(row["created_at"]),
        status=row["status"],
        metrics=json.loads(row["metrics"]) if _present(row["metrics"]) else {},
        artifact_uri=row["artifact_uri"],
        sha256=row["sha256"],
        promoted_at=_timestamp(row["promoted_at"]),
        promoted_from=row["promoted_from"] if _present(row["promoted_from"]) else None,
        reason=row["reason"] if _present(row["reason"]) else None,
    )


def _require(warehouse: Warehouse, version: str) -> RegistryEntry:
    entry = get(warehouse, version)
    if entry is None:
        raise RegistryError(f"model version {version} is not registered")
    return entry


def _set_status(warehouse: Warehouse, version: str, status: str, reason: str | None = None) -> None:
    warehouse.execute(
        f"update {REGISTRY_TABLE} set status = ?, reason = coalesce(?, reason) where version = ?",
        [status, reason, version],
    )


def _too_many(champions: list[RegistryEntry]) -> str:
    return f"{len(champions)} champions: {', '.join(e.version for e in champions)}"


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _timestamp(value: Any) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime()
