"""Run a flow of `flows/` in this process, reporting to the scheduler's server when it is up.

A flow run started by hand then shows in the same dashboard as the scheduled ones. With
`PREFECT_API_URL` set, Prefect uses that server; with neither, a temporary one (as before).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flightprice.settings import Settings

# flow name -> "file:function" under settings.flows_dir
FLOWS = {
    "daily": "daily_pipeline.py:daily_pipeline",
    "training": "training_pipeline.py:training_pipeline",
    "scoring": "batch_scoring.py:batch_scoring",
}


def load_flow(flows_dir: Path, name: str) -> Any:
    """Load a flow from its file the way a Prefect deployment does (by entrypoint)."""
    from prefect.flows import load_flow_from_entrypoint

    return load_flow_from_entrypoint(f"{flows_dir / FLOWS[name]}")


def scheduler_api_url(settings: Settings) -> str | None:
    """Return the API URL of the server `flightprice schedule` started, if it answers."""
    # Deferred: schedule pulls in the Prefect client, which a plain run may not need.
    from flightprice.orchestrate import _background as _bg
    from flightprice.orchestrate.schedule import _healthy, api_url  # deferred, as above

    # This home's own server only: the port may belong to another home's scheduler.
    ours = _bg.running_pid(settings.prefect_home, "server") is not None
    return api_url(settings) if ours and _healthy(settings) else None


@contextlib.contextmanager
def prefect_server_for_runs(settings: Settings) -> Iterator[str | None]:
    """Point Prefect at the scheduler's server when it is up; yield the API URL used.

    This home's own scheduler server comes first, so a hand-started run shows beside the
    scheduled ones; then an API URL Prefect already has (PREFECT_API_URL, a profile, a test
    harness); then none (Prefect starts a temporary server).
    """
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    url = scheduler_api_url(settings)
    if url is None:
        yield get_current_settings().api.url or None
        return
    # Prefect's log and event workers keep the API URL they started with: flush them on the
    # way in (they go on to the server before) and out (the run's logs reach this one).
    _flush_prefect_workers()
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}), _in_every_thread():
            yield url
    finally:
        _flush_prefect_workers()


@contextlib.contextmanager
def _in_every_thread() -> Iterator[None]:
    """Make the current Prefect settings the process-wide ones while the run lasts.

    temporary_settings() lives in a context variable, which threads that dbt starts for its
    nodes don't inherit: their task runs and logs went to a temporary server instead. Prefect's
    own test harness swaps the global context the same way (a private helper, hence the guard).
    """
    from prefect import context

    swap = getattr(context, "_temporary_global_settings_context", None)
    if swap is None:
        yield
        return
    with swap(context.get_settings_context()):
        yield


def _flush_prefect_workers(timeout: float = 30.0) -> None:
    """Send what Prefect's log and event workers hold, and stop them (they restart on use)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=timeout, at_exit=False)


def run_flow(settings: Settings, name: str, parameters: dict[str, Any]) -> tuple[Any, Any]:
    """Run flow `name` with `parameters`; return (the flow, its final state)."""
    flow = load_flow(settings.flows_dir, name)
    with prefect_server_for_runs(settings):
        return flow, flow(**parameters, return_state=True)
