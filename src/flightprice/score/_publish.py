"""Publish a scoring run's prices into FLIGHT_PRICES in one transaction, its SCORING_LOG row too.

`AtEndPublisher` (any warehouse) runs one MERGE from the run's PRICE_HISTORY rows once every
chunk is written. On DuckDB, `StreamingPublisher` opens the transaction on a second
connection when the run starts and MERGEs each history batch as it is appended, so the MERGE
overlaps the pricing of the next chunks and only the last batch and the commit are left after
the last chunk: on 1M matched rows the work after the last append went from ~2.0 to ~0.6
CPU-s for the same total (benchmarks/README.md, session 7). Either way current prices change
all at once or not at all: a failed run rolls the transaction back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from flightprice.score._history import HISTORY_TABLE, PRICE_COLUMNS
from flightprice.warehouse.base import naive_params, naive_timestamps

if TYPE_CHECKING:
    from flightprice.warehouse import Warehouse

Execute = Callable[[str, Sequence[Any] | None], None]
"""Run one statement inside the publishing transaction."""

PRICES_TABLE = "ML_PREDICTIONS.FLIGHT_PRICES"
_SET = ", ".join(f"{c} = run.{c}" for c in PRICE_COLUMNS[2:])
_COLS = ", ".join(PRICE_COLUMNS)
_MERGE = f"""
merge into {PRICES_TABLE} as prices
using {{source}} as run
    on prices.flight_id = run.flight_id and prices.cabin = run.cabin
when matched then update set {_SET}
when not matched then insert ({_COLS}) values ({", ".join(f"run.{c}" for c in PRICE_COLUMNS)})
"""
PUBLISH_SQL = _MERGE.format(source=f"(select {_COLS} from {HISTORY_TABLE} where run_id = ?)")
# One history batch, registered from Arrow. ML_SCORING_FEATURES holds one row per flight and
# cabin (a dbt test), so no key is in two batches and batch MERGEs equal the one MERGE.
_BATCH_SQL = _MERGE.format(source=f"(select {_COLS} from _published)")


class AtEndPublisher:
    """MERGE the run's history rows into FLIGHT_PRICES after the last chunk."""

    def __init__(self, warehouse: Warehouse, run_id: str) -> None:
        self.warehouse, self.run_id = warehouse, run_id

    def add(self, history: pa.Table) -> None:
        """Do nothing: the MERGE reads the appended history at the end."""

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Execute]:
        """Publish on exit; yield what runs more statements in the same transaction."""
        with self.warehouse.transaction():
            self.warehouse.execute(PUBLISH_SQL, [self.run_id])
            yield self.warehouse.execute

    def close(self) -> None:
        """Nothing is held between statements."""


class StreamingPublisher:
    """MERGE each appended history batch on a second DuckDB connection, one open transaction."""

    def __init__(self, warehouse: Warehouse) -> None:
        # Its own connection: the main one commits each history append meanwhile (DuckDB
        # MVCC; the two write different tables), and the reading cursor keeps its snapshot.
        self.con = warehouse.con.cursor()  # type: ignore[attr-defined]
        self.con.execute("BEGIN TRANSACTION")
        self.open = True

    def add(self, history: pa.Table) -> None:
        """MERGE one batch of the run's history rows (uncommitted until the publish)."""
        self.con.register("_published", naive_timestamps(history))
        try:
            self.con.execute(_BATCH_SQL)
        finally:
            self.con.unregister("_published")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Execute]:
        """Commit on exit (roll back on an error); yield what runs more statements in it."""
        try:
            yield self._execute
        except BaseException:
            self.close()
            raise
        self.open = False
        try:
            self.con.execute("COMMIT")
        finally:
            self.con.close()

    def close(self) -> None:
        """Roll back what is not committed and release the connection."""
        if self.open:
            self.open = False
            self.con.execute("ROLLBACK")
            self.con.close()

    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.con.execute(sql, naive_params(params)).fetchall()


def open_publisher(warehouse: Warehouse, run_id: str) -> AtEndPublisher | StreamingPublisher:
    """Stream the MERGE on DuckDB; MERGE once at the end elsewhere (Snowflake)."""
    if warehouse.dialect == "duckdb":
        return StreamingPublisher(warehouse)
    return AtEndPublisher(warehouse, run_id)
