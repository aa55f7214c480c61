"""Clean PRICE_HISTORY of rows no run published: what a killed scoring run left behind.

A run appends its history chunk by chunk, then publishes in one transaction that also writes
its `success` SCORING_LOG row. A run that fails deletes its own rows; a run that is killed
(SIGKILL, a lost machine) cannot, so the next run deletes every history row whose run has no
`success` row. Scoring runs one at a time (the flows' writer slot; DuckDB's one writer): a
run in progress elsewhere would lose its rows too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flightprice.warehouse import Warehouse

log = logging.getLogger(__name__)

HISTORY_TABLE = "ML_PREDICTIONS.PRICE_HISTORY"
LOG_TABLE = "ML_PREDICTIONS.SCORING_LOG"
_UNPUBLISHED = (
    f"from {HISTORY_TABLE} where run_id not in "
    f"(select run_id from {LOG_TABLE} where status = 'success')"
)


def delete_unpublished_history(warehouse: Warehouse) -> int:
    """Delete the history rows of runs that never published; return how many there were."""
    found = warehouse.query_arrow(f"select count(*) as n {_UNPUBLISHED}").column(0)[0].as_py()
    if found:
        warehouse.execute(f"delete {_UNPUBLISHED}")
        log.warning("deleted %d PRICE_HISTORY rows of scoring runs that never published", found)
    return int(found or 0)
