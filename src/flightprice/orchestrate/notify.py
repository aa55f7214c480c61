"""Success and failure notifications: Slack-compatible JSON to a webhook, no-op when unset.

`notify` never raises into its caller: a flow that priced every flight must not fail
because a chat service is down. Delivery problems are logged instead.
"""

from __future__ import annotations

import logging
import random
import time
from typing import TYPE_CHECKING, Literal

import httpx

if TYPE_CHECKING:
    from flightprice.settings import Settings

log = logging.getLogger(__name__)

Status = Literal["success", "failure", "info"]
_MARKS = {"success": ":white_check_mark:", "failure": ":x:", "info": ":information_source:"}
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def message(subject: str, body: str, status: Status) -> dict[str, str]:
    """Return the webhook payload: Slack's `{"text": ...}`, readable by any JSON webhook."""
    text = f"{_MARKS.get(status, '')} *{subject}*".strip()
    if body:
        text += f"\n{body}"
    return {"text": text}


def notify(
    settings: Settings,
    subject: str,
    body: str = "",
    status: Status = "info",
    *,
    retries: int = 3,
    backoff_seconds: float = 1.0,
    timeout: float = 10.0,
) -> bool:
    """Post a notification to `settings.notify_webhook_url`; return whether it was delivered.

    Unset URL: nothing is sent (False). Transport errors and 408/429/5xx answers are retried
    with exponential back-off and jitter; other answers are not. Never raises.
    """
    url = settings.notify_webhook_url
    if not url:
        log.debug("no notify webhook configured; not sending %r", subject)
        return False
    try:
        payload = message(subject, body, status)
        with httpx.Client(timeout=timeout) as client:
            for attempt in range(retries + 1):
                problem = _post(client, url, payload)
                if problem is None:
                    return True
                if not problem[1] or attempt == retries:
                    log.warning("notification %r not delivered: %s", subject, problem[0])
                    return False
                time.sleep(backoff_seconds * 2**attempt * random.uniform(0.5, 1.0))
    except Exception:  # a notification must never break the job it reports on
        log.exception("notification %r not delivered", subject)
    return False


def _post(client: httpx.Client, url: str, payload: dict) -> tuple[str, bool] | None:
    """Send once; return None on success, else (what went wrong, whether to retry)."""
    try:
        response = client.post(url, json=payload)
    except httpx.TransportError as exc:
        return f"{type(exc).__name__}: {exc}", True
    if response.is_success:
        return None
    return f"HTTP {response.status_code}: {response.text[:200]}", (
        response.status_code in _RETRY_STATUSES
    )
