"""The one clock: aware UTC now, run ids, and the naive-UTC form the warehouse stores."""

from __future__ import annotations

import os
from datetime import UTC, datetime

__all__ = ["naive_utc", "new_run_id", "utc_now"]


def utc_now() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


def new_run_id(prefix: str) -> str:
    """Return a sortable, unique run id such as `daily-20261126T063000Z-1a2b3c`."""
    return f"{prefix}-{utc_now():%Y%m%dT%H%M%SZ}-{os.urandom(3).hex()}"


def naive_utc(value: datetime) -> datetime:
    """Return `value` as naive UTC, the form of TIMESTAMP columns and model features.

    A naive `value` is taken to be UTC already.
    """
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
