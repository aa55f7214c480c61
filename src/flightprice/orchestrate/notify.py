"""Success and failure notifications: Slack-compatible JSON to a webhook, and Apprise URLs.

`notify` never raises into its caller: a flow that priced every flight must not fail
because a chat service is down. Delivery problems are logged instead.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

import httpx
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

if TYPE_CHECKING:
    from flightprice.settings import Settings

log = logging.getLogger(__name__)

Status = Literal["success", "failure", "info"]
_MARKS = {"success": ":white_check_mark:", "failure": ":x:", "info": ":information_source:"}
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class _Retryable(Exception):
    """A delivery problem a later attempt may not meet (transport error, 408/429/5xx)."""


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
    """Send a notification to the webhook and the Apprise URLs set; return whether one arrived.

    Nothing set: nothing is sent (False). Webhook transport errors and 408/429/5xx answers
    are retried with exponential back-off and jitter; other answers are not. Never raises.
    """
    delivered = False
    if settings.notify_webhook_url:
        delivered |= _post_webhook(settings.notify_webhook_url, subject, body, status,
                                   retries, backoff_seconds, timeout)  # fmt: skip
    if settings.notify_apprise_urls:
        delivered |= _send_apprise(settings.notify_apprise_urls, subject, body, status)
    if not (settings.notify_webhook_url or settings.notify_apprise_urls):
        log.debug("no notification target configured; not sending %r", subject)
    return delivered


def _post_webhook(url: str, subject: str, body: str, status: Status, retries: int,
                  backoff_seconds: float, timeout: float) -> bool:  # fmt: skip
    payload = message(subject, body, status)
    retrying = Retrying(
        retry=retry_if_exception_type(_Retryable),
        stop=stop_after_attempt(retries + 1),
        wait=wait_exponential_jitter(initial=backoff_seconds, jitter=backoff_seconds),
        reraise=True,
    )
    try:
        with httpx.Client(timeout=timeout) as client:
            retrying(_post, client, url, payload)
        return True
    except (_Retryable, RetryError, httpx.HTTPStatusError) as exc:
        log.warning("notification %r not delivered: %s", subject, exc)
    except Exception:  # a notification must never break the job it reports on
        log.exception("notification %r not delivered", subject)
    return False


def _post(client: httpx.Client, url: str, payload: dict) -> None:
    """Send once; raise _Retryable for what a retry may fix, HTTPStatusError for the rest."""
    try:
        response = client.post(url, json=payload)
    except httpx.TransportError as exc:
        raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code in _RETRY_STATUSES:
        raise _Retryable(f"HTTP {response.status_code}: {response.text[:200]}")
    response.raise_for_status()


def _send_apprise(urls: str, subject: str, body: str, status: Status) -> bool:
    """Send through Apprise (Slack, e-mail, Teams, JSON webhooks...: one URL scheme each)."""
    import apprise  # deferred: only needed when Apprise URLs are set

    try:
        sender = apprise.Apprise()
        for url in urls.replace(",", " ").split():
            if not sender.add(url):
                log.warning("Apprise does not understand a notification URL (%s...)", url[:12])
        if not len(sender):
            return False
        return bool(sender.notify(title=subject, body=body or subject,
                                  notify_type=status))  # Apprise's own type names  # fmt: skip
    except Exception:  # a notification must never break the job it reports on
        log.exception("notification %r not delivered through Apprise", subject)
        return False
