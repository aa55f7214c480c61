"""Clean PRICE_HISTORY of rows no run published: what a killed scoring run left behind.

A run appends its history chunk by chunk, then publishes in one transaction that also writes
its `success` SCORING_LOG row. A run that fails deletes its own rows; a run that is killed
(SIGKILL, a lost machine) cannot, so the next run deletes every history row whose run has no
`success` row. Scoring runs one at a time (the flows' writer slot; DuckDB's one writer): a
run in progress elsewhere would lose its rows too.

The search reads history back to the last successful run's start only: that run deleted the
unpublished rows before it when it started, and runs do not overlap. History is appended in
time order and each run's rows carry its start (`scored_at`), so the bound skips every older
row group (38.9 -> 4.9 ms over 21M rows, benchmarks/README.md, session 10 scoring; the
anti-join read all of history on every run). The bound is a day earlier (`CLOCK_SLACK`), so a
clock stepped back cannot hide a killed run's rows. A run id's own rows need no bound: a
filter on one `run_id` skips the other runs' row groups by itself (1.5 ms).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flightprice.warehouse import Warehouse

log = logging.getLogger(__name__)

HISTORY_TABLE = "ML_PREDICTIONS.PRICE_HISTORY"
LOG_TABLE = "ML_PREDICTIONS.SCORING_LOG"
CLOCK_SLACK = timedelta(days=1)
_UNPUBLISHED = (
    f"from {HISTORY_TABLE} where run_id not in "
    f"(select run_id from {LOG_TABLE} where status = 'success')"
)


def delete_unpublished_history(warehouse: Warehouse) -> int:
    """Delete the history rows of runs that never published; return how many there were."""
    where, params = _UNPUBLISHED, []
    last = _one(warehouse, f"select max(started_at) from {LOG_TABLE} where status = 'success'")
    if last is not None:  # it cleaned what came before it
        where, params = f"{where} and scored_at >= ?", [last - CLOCK_SLACK]
    found = _one(warehouse, f"select count(*) {where}", params)
    if found:
        warehouse.execute(f"delete {where}", params)
        log.warning("deleted %d PRICE_HISTORY rows of scoring runs that never published", found)
    return int(found or 0)


def _one(warehouse: Warehouse, sql: str, params: list | None = None):
    return warehouse.query_arrow(sql, params or []).column(0)[0].as_py()
