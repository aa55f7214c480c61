"""The flows' retry policy: exponential back-off with jitter, for work a second try can fix.

Tasks that only talk to a network service or the warehouse retry on any error. Tasks whose
work is deterministic (training, a report) retry only on transient errors — the warehouse
file briefly held, a connection dropped — because anything else would fail the same way.
"""

from __future__ import annotations

from typing import Any

from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff


def task_retries(retries: int = 2, backoff_factor: float = 5, transient_only: bool = False) -> dict:
    """Return `@task(**...)` keyword arguments: retries, exponential back-off, 50% jitter."""
    options: dict[str, Any] = {
        "retries": retries,
        "retry_delay_seconds": exponential_backoff(backoff_factor=backoff_factor),
        "retry_jitter_factor": 0.5,
        "cache_policy": NO_CACHE,
    }
    if transient_only:
        options["retry_condition_fn"] = retry_if_transient
    return options


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` is the kind of failure that the same call may not meet a second time."""
    import duckdb
    import httpx
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import ReadTimeoutError
    from filelock import Timeout as LockTimeout

    if isinstance(exc, duckdb.IOException):
        return "lock" in str(exc).lower()
    return isinstance(exc, ConnectionError | TimeoutError | httpx.TransportError | LockTimeout
                      | BotoConnectionError | ReadTimeoutError)  # fmt: skip


def retry_if_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect `retry_condition_fn`: retry a failed task run only on a transient error."""
    try:
        exc = state.result(raise_on_failure=False)
    except Exception:  # noqa: BLE001 - an unreadable state is not worth a retry
        return False
    return isinstance(exc, BaseException) and is_transient(exc)
