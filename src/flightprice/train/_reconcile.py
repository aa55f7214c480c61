"""Give every registered model its TRAINING_LOG row, even when its run was killed.

A training run registers its model (and may promote it) before it writes its TRAINING_LOG
row; a run killed in between leaves a registered model, champion even, that no log row
explains. Each training run first logs those models as `trained` with what the registry
says was decided and a reason saying the run was interrupted, so the registry and the log
always tell the same story.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flightprice import registry

if TYPE_CHECKING:
    from flightprice.warehouse import Warehouse

log = logging.getLogger(__name__)

UNLOGGED_SQL = f"""
select version from {registry.REGISTRY_TABLE} as models
where not exists (
    select 1 from {registry.TRAINING_LOG_TABLE} as runs where runs.model_version = models.version
)
order by created_at, version
"""


def log_interrupted_runs(warehouse: Warehouse, run_id: str) -> list[str]:
    """Log each registered model that has no TRAINING_LOG row; return their versions."""
    frame = warehouse.query_df(UNLOGGED_SQL)
    versions = [str(v) for v in frame.iloc[:, 0]]
    for version in versions:
        entry = registry.get(warehouse, version)
        if entry is None:  # gone since the query: nothing to explain
            continue
        registry.log_training(
            warehouse, f"{run_id}-reconciled-{version}", "trained",
            started_at=entry.created_at, finished_at=entry.promoted_at or entry.created_at,
            model_version=version, decision=_decision(entry), metrics={"model": entry.metrics},
            reason=(f"interrupted: {version} was registered ({entry.status}) but its training "
                    f"run stopped before logging; logged by training run {run_id}"),
        )  # fmt: skip
        log.warning("logged %s, whose training run was interrupted", version)
    return versions


def _decision(entry: registry.RegistryEntry) -> str:
    """What the registry shows was decided about a model whose run did not say."""
    if entry.promoted_at is None:
        return "none"
    return "promoted" if entry.promoted_from else "first_champion"
