"""Publish a scoring run's PRICE_HISTORY rows into FLIGHT_PRICES (one row per flight and cabin).

Snowflake runs one MERGE at the end, in the publishing transaction. DuckDB's FLIGHT_PRICES
has no key index (sql/duckdb_setup.sql), so its MERGE joins the run to the whole table and
carries an insert branch that a run re-pricing known flights never takes: an UPDATE of the
matched rows costs ~0.35-0.45 CPU-s less per 1M matched rows (0.80-0.92 vs 1.15-1.74 in one
probe; benchmarks/README.md, session 8), and the insert of the new rows runs only
when the update matched fewer rows than the run has. Same rows, same values.

In DuckDB the publish also streams: `StreamedPublish` updates the matched rows of each history
append as it is committed (and inserts its few new flights), on a second connection whose one
transaction stays open until the run's SCORING_LOG row is written with it, so readers see the
whole run or nothing. That takes the update off the serial end of a run (it overlaps the
pricing of later chunks). Uncommitted inserts are what broke memory when streamed MERGEs
inserted a fresh 10M-row run (~300 MiB per 1M rows held, 4 GiB peak, session 7): past
`STREAM_NEW_ROWS` new flights, or `STREAM_ROWS` rows in all, a run rolls its streamed part
back and publishes at the end instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from flightprice.score._history import HISTORY_TABLE, PRICE_COLUMNS
from flightprice.warehouse.base import naive_params, naive_timestamps

if TYPE_CHECKING:
    from collections.abc import Callable

    from flightprice.warehouse import Warehouse

PRICES_TABLE = "ML_PREDICTIONS.FLIGHT_PRICES"
# Rows a run publishes in its open transaction as the history is appended (the 1M-row benchmark
# run whole); past it a run rolls that back and publishes at the end, as before session 8.
STREAM_ROWS = 2_000_000
# New flights among them: uncommitted inserts stay in memory (~300 MiB per 1M rows, session 7),
# so a run of mostly new flights (a fresh warehouse) publishes at the end too.
STREAM_NEW_ROWS = 50_000
_COLS = ", ".join(PRICE_COLUMNS)
_SET = ", ".join(f"{c} = run.{c}" for c in PRICE_COLUMNS[2:])
_RUN = f"(select {_COLS} from {HISTORY_TABLE} where run_id = ?) as run"
_KEY = "prices.flight_id = run.flight_id and prices.cabin = run.cabin"
MERGE_SQL = f"""
merge into {PRICES_TABLE} as prices
using {_RUN}
    on {_KEY}
when matched then update set {_SET}
when not matched then insert ({_COLS}) values ({", ".join(f"run.{c}" for c in PRICE_COLUMNS)})
"""
UPDATE_SQL = f"update {PRICES_TABLE} as prices set {_SET} from {_RUN} where {_KEY}"
INSERT_NEW_SQL = f"""
insert into {PRICES_TABLE} ({_COLS})
select {_COLS} from {_RUN}
where not exists (select 1 from {PRICES_TABLE} as prices where {_KEY})
"""
_BATCH_UPDATE_SQL = UPDATE_SQL.replace(_RUN, "_appended as run")
_BATCH_INSERT_SQL = INSERT_NEW_SQL.replace(_RUN, "_appended as run")


def publish_prices(warehouse: Warehouse, run_id: str, run_rows: int) -> None:
    """Make the run's `run_rows` history rows the current prices of their flights and cabins."""
    if warehouse.dialect != "duckdb":
        warehouse.execute(MERGE_SQL, [run_id])
        return
    updated = warehouse.query_arrow(UPDATE_SQL, [run_id]).column(0)[0].as_py()
    if updated < run_rows:  # flights first priced by this run
        warehouse.execute(INSERT_NEW_SQL, [run_id])


class StreamedPublish:
    """Publish a run's prices as its history is appended (DuckDB) or at the end (otherwise)."""

    def __init__(
        self,
        warehouse: Warehouse,
        run_id: str,
        stream_rows: int = STREAM_ROWS,
        stream_new_rows: int = STREAM_NEW_ROWS,
    ) -> None:
        self.warehouse, self.run_id = warehouse, run_id
        self.stream_rows, self.stream_new_rows = stream_rows, stream_new_rows
        # A second connection: the first commits each history append meanwhile.
        self._cursor = warehouse.con.cursor() if warehouse.dialect == "duckdb" else None
        self.streamed = self.new = 0
        self._open = False  # the second connection's transaction
        self.streaming = self._cursor is not None and stream_rows > 0

    def appended(self, history: pa.Table) -> None:
        """Publish a committed history append's prices in the run's open transaction."""
        if not self.streaming or self._cursor is None:
            return
        if self.streamed + history.num_rows > self.stream_rows:
            self._stop()
            return
        self._begin()
        self._cursor.register("_appended", naive_timestamps(history))
        try:
            new = history.num_rows - self._cursor.execute(_BATCH_UPDATE_SQL).fetchone()[0]
            if new > 0 and self.new + new > self.stream_new_rows:
                self._stop()
                return
            if new > 0:
                self._cursor.execute(_BATCH_INSERT_SQL).fetchall()
                self.new += new
        finally:
            if self._cursor is not None:
                self._cursor.unregister("_appended")
        self.streamed += history.num_rows

    def publish(self, run_rows: int, log: Callable[[Any], None]) -> None:
        """Finish publishing the run and, in the same transaction, `log` its SCORING_LOG row."""
        if not self.streaming or self._cursor is None:
            # The whole run at the end, in a transaction that sees every history append (the
            # streaming one's snapshot predates the appends committed after it began).
            with self.warehouse.transaction():
                publish_prices(self.warehouse, self.run_id, run_rows)
                log(self.warehouse)
            return
        self._begin()
        try:
            log(_Cursor(self._cursor))
        except BaseException:
            self.close()
            raise
        self._open = False
        self._cursor.execute("COMMIT")

    def close(self) -> None:
        """Roll back what was not published (a failed run) and close the second connection."""
        if self._cursor is None:
            return
        cursor, self._cursor = self._cursor, None
        try:
            if self._open:
                self._open = False
                cursor.execute("ROLLBACK")
        finally:
            cursor.close()

    def _begin(self) -> None:
        if not self._open and self._cursor is not None:
            self._cursor.execute("BEGIN TRANSACTION")
            self._open = True

    def _stop(self) -> None:
        # Past a budget: undo what streamed; publish() then writes the whole run at the end.
        self.streaming = False
        if self._open and self._cursor is not None:
            self._open = False
            self._cursor.execute("ROLLBACK")


class _Cursor:
    """The warehouse calls the publish makes, on the streaming transaction's connection."""

    dialect = "duckdb"

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def execute(self, sql: str, params: Any = None) -> None:
        self.cursor.execute(sql, naive_params(params)).fetchall()

    def query_arrow(self, sql: str, params: Any = None) -> pa.Table:
        return self.cursor.sql(
            sql, params=naive_params(params) if params else None
        ).to_arrow_table()
