"""Start the training deployment when monitoring finds a breach, the reason as a parameter.

The training flow passes the reason to `run_training`, which records it in TRAINING_LOG.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flightprice.settings import Settings

log = logging.getLogger(__name__)


def start_training(settings: Settings, reason: str) -> str:
    """Create a run of the training deployment (not waiting for it); return what happened.

    It needs the Prefect server that `flightprice schedule` starts (or PREFECT_API_URL) and the
    deployment deployed; without them the breach is still recorded and notified.
    """
    from prefect.deployments import run_deployment

    name = settings.monitoring_training_deployment
    try:
        run = run_deployment(name, parameters={"reason": reason}, timeout=0, as_subflow=False)
    except Exception as exc:  # noqa: BLE001 - the breach is recorded and notified all the same
        log.warning("could not start %s: %s: %s", name, type(exc).__name__, exc)
        return f"not started ({name}: {type(exc).__name__}: {exc})"
    log.info("started %s: flow run %s", name, run.id)
    return f"flow run {run.id} of {name}"
