"""What every flow shares: failure and crash notifications with a link, readable run names.

`on_failure` fires when a flow raises; `on_crashed` when its process dies or is cancelled
from outside (out of memory, SIGTERM): both notify, with the run's Prefect UI link when the
flow runs against a server that has a UI.
"""

from __future__ import annotations

import logging
from typing import Any

from flightprice.clock import utc_now
from flightprice.orchestrate.notify import notify

log = logging.getLogger(__name__)


def run_url(flow_run: Any) -> str | None:
    """Return the flow run's page in the Prefect UI, None without a known UI."""
    from prefect.settings import get_current_settings
    from prefect.utilities.urls import url_for

    base = get_current_settings().ui_url
    if not base:
        return None
    return url_for("flow-run", obj_id=flow_run.id, default_base_url=base)


def state_message(flow_name: str, flow_run: Any, state: Any) -> tuple[str, str]:
    """Return the subject and body of a failure or crash notification."""
    verb = "crashed" if state.is_crashed() else "failed"
    subject = f"{flow_name} {verb}: {flow_run.name}"
    body = str(state.message or state.name)
    link = run_url(flow_run)
    if link:
        body += f"\n<{link}|open the run in Prefect>"
    return subject, body


def notify_flow_state(flow: Any, flow_run: Any, state: Any) -> None:  # Prefect's hook signature
    """Notify that a flow run failed or crashed (never raises)."""
    from flightprice.settings import get_settings  # deferred: settings are read at the edge

    try:
        subject, body = state_message(flow.name, flow_run, state)
        notify(get_settings(), subject, body, "failure")
    except Exception:  # a hook that raises would hide the run's own failure
        log.exception("could not notify about flow run %s", getattr(flow_run, "name", "?"))


def run_name(prefix: str):
    """Return a `flow_run_name` callable: `prefix` + the run's date (its as_of) + flags set.

    For example `daily-2026-09-03`, `daily-2026-11-30-force`, `scoring-2026-09-07T12-00-api`.
    """

    def name() -> str:
        from prefect.runtime import flow_run

        params = flow_run.parameters or {}
        when = params.get("as_of") or utc_now().date().isoformat()
        parts = [prefix, str(when).replace(" ", "T").replace(":", "-")[:16]]
        parts += [str(params[k]) for k in ("mode",) if params.get(k)]
        parts += [k for k in ("force",) if params.get(k) is True]
        return "-".join(parts)

    return name
