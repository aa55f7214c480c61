"""One writer at a time for the embedded DuckDB file, across every flow run of every worker.

Two layers, on purpose:
- the flows' writer tasks take the one slot of the Prefect global concurrency limit
  `WRITER_LIMIT` (`strict=True`: a missing limit is an error, never a silent pass), so a
  second writer waits as a visible, queued task instead of inside a file lock;
- underneath, `DuckDBWarehouse` and dbt hold the file lock `<file>.writer.lock`, which also
  covers the CLI and anything else that runs outside Prefect.

Snowflake takes concurrent writers: there the slot is not taken.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flightprice.settings import Settings

WRITER_LIMIT = "flightprice-warehouse-writers"
# Renewed while held; a crashed holder frees the slot after this many seconds.
LEASE_SECONDS = 300.0


def ensure_writer_limit() -> None:
    """Create the limit with one slot on the current Prefect API (or set it back to one)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client:
        try:
            client.upsert_global_concurrency_limit_by_name(WRITER_LIMIT, 1)
        except ObjectAlreadyExists:  # another run created it between the read and the write
            pass


@contextmanager
def warehouse_writer(settings: Settings, timeout_seconds: float | None = None) -> Iterator[None]:
    """Hold the warehouse-writer slot for the block (DuckDB only); wait for it if taken."""
    if settings.warehouse != "duckdb":
        yield
        return
    from prefect.concurrency.sync import concurrency

    ensure_writer_limit()
    with concurrency(WRITER_LIMIT, occupy=1, strict=True, timeout_seconds=timeout_seconds,
                     lease_duration=LEASE_SECONDS):  # fmt: skip
        yield
