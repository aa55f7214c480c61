"""The production warehouse: Snowflake over snowflake-connector-python.

Bulk rows travel the Snowflake way: written to a Parquet file, `PUT` to the internal stage
`RAW.RAW_STAGE`, then `COPY INTO` the table with the file format `RAW.PARQUET_FORMAT`
(`MATCH_BY_COLUMN_NAME`, `PURGE`), all from `sql/snowflake_setup.sql`. COPY is DML, so it
commits or rolls back with the surrounding transaction, which keeps ingest's contract (a file
and its manifest row load together or not at all). A few rows (manifest and log rows) go as
one bound multi-row INSERT instead: no file round trip for them.

Against the fakesnow stand-in (`snowflake_stand_in`) the same statements run, except those
it cannot: account-level setup (CREATE WAREHOUSE / ROLE, GRANT) is skipped by `run_script`,
and a failed load's staged file is left for the stand-in's temporary folder instead of
`REMOVE`d.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from io import StringIO
from pathlib import Path
from typing import Any, Self

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from flightprice.settings import Settings
from flightprice.warehouse._snowflake_connect import (
    RetryPolicy,
    connect_kwargs,
    connection_error,
    with_block_credentials,
    with_retries,
)
from flightprice.warehouse._snowflake_sql import (
    STAND_IN_SKIPS,
    bindable,
    identifier,
    loadable,
    normalised,
    statement_kind,
)
from flightprice.warehouse.base import naive_timestamps

log = logging.getLogger(__name__)

STAGE = "RAW.RAW_STAGE"
PARQUET_FORMAT = "RAW.PARQUET_FORMAT"
# Up to this many bound values an insert is one multi-row INSERT; beyond it, PUT + COPY.
MAX_BOUND_VALUES = 1000
_READ = re.compile(r"^\s*(select|with|show|describe|desc|list)\b", re.IGNORECASE)


class SnowflakeWarehouse:
    """Warehouse over one Snowflake session, opened on first use."""

    dialect = "snowflake"

    def __init__(
        self,
        connect_args: dict[str, Any],
        *,
        stand_in: bool = False,
        retry: RetryPolicy | None = None,
        connect: Callable[..., Any] | None = None,
    ) -> None:
        self.connect_args = connect_args
        self.stand_in = stand_in
        self.retry = retry or RetryPolicy()
        self._connect = connect
        self._con: Any = None
        self._in_transaction = False
        self.skipped_statements: list[str] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> SnowflakeWarehouse:
        """Connect as the settings say: env variables, or the credentials block they name."""
        settings = with_block_credentials(settings)
        return cls(connect_kwargs(settings), stand_in=settings.snowflake_stand_in)

    # --- session ---------------------------------------------------------------------------

    @property
    def con(self) -> Any:
        if self._con is None:
            connect = self._connect
            if connect is None:
                import snowflake.connector

                connect = snowflake.connector.connect
            self._con = self._mapped(
                lambda: with_retries(lambda: connect(**self.connect_args), self.retry, "login")
            )
        return self._con

    def _mapped(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except Exception as exc:
            mapped = connection_error(exc, self.connect_args)
            if mapped is None:
                raise
            raise mapped from exc

    def close(self) -> None:
        if self._con is not None:
            with contextlib.suppress(Exception):  # closing a dead session must not mask errors
                self._con.close()
            self._con = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _cursor(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Execute one statement on a new cursor; reads outside a transaction are retried."""

        def run() -> Any:
            if self._con is not None and not self._in_transaction and self._con.is_closed():
                self._con = None  # a lost session: log in again (never mid-transaction)
            cursor = self.con.cursor()
            try:
                cursor.execute(sql, bindable(params))
            except BaseException:
                cursor.close()
                raise
            return cursor

        if self._in_transaction or not _READ.match(sql):
            return self._mapped(run)
        return self._mapped(lambda: with_retries(run, self.retry, "query"))

    # --- reads -----------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._cursor(sql, params).close()

    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        cursor = self._cursor(sql, params)
        try:
            return normalised(cursor.fetch_arrow_all(force_return_table=True))
        finally:
            cursor.close()

    def query_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        return self.query_arrow(sql, params).to_pandas()

    def query_batches(
        self, sql: str, params: Sequence[Any] | None = None, batch_rows: int = 100_000
    ) -> Iterator[pa.RecordBatch]:
        # Snowflake materialises the result when the query runs: writes through this session
        # while the batches are read do not change what is read.
        cursor = self._cursor(sql, params)
        try:
            for table in cursor.fetch_arrow_batches():
                for batch in normalised(table).to_batches(max_chunksize=batch_rows):
                    if batch.num_rows:
                        yield batch
        finally:
            cursor.close()

    # --- writes ----------------------------------------------------------------------------

    def insert_arrow(self, table: str, data: pa.Table) -> int:
        if data.num_rows == 0:
            return 0
        data = naive_timestamps(data)
        columns = [identifier(c) for c in data.column_names]
        if data.num_rows * len(columns) <= MAX_BOUND_VALUES:
            row = "(" + ", ".join("?" * len(columns)) + ")"
            values = [v for record in data.to_pylist() for v in record.values()]
            self.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                + ", ".join([row] * data.num_rows),
                values,
            )
            return data.num_rows
        with tempfile.TemporaryDirectory(prefix="flightprice-stage-") as folder:
            path = Path(folder) / "rows.parquet"
            pq.write_table(loadable(data), path, coerce_timestamps="us",
                           allow_truncated_timestamps=True)  # fmt: skip
            return self.copy_into(table, path, expected_rows=data.num_rows)

    def write_frame(self, table: str, frame: pd.DataFrame, mode: str = "append") -> int:
        if mode == "replace":
            self.execute(f"DELETE FROM {table}")
        return self.insert_arrow(table, pa.Table.from_pandas(frame, preserve_index=False))

    def load_file(self, table: str, path: Path, columns: Sequence[str]) -> int:
        if list(pq.read_schema(path).names) == list(columns):
            return self.copy_into(table, Path(path))
        return self.insert_arrow(table, pq.read_table(path, columns=list(columns)))

    def copy_into(self, table: str, path: Path, expected_rows: int | None = None) -> int:
        """PUT a Parquet file to the stage under a fresh prefix and COPY it into `table`."""
        prefix = f"{STAGE}/loads/{table.lower().replace('.', '_')}/{uuid.uuid4().hex}/"
        with _plain_named(Path(path)) as plain:
            location = str(plain).replace("'", "\\'")
            self.execute(
                f"PUT 'file://{location}' @{prefix} AUTO_COMPRESS = FALSE OVERWRITE = TRUE"
            )
        try:
            cursor = self._cursor(
                f"COPY INTO {table} FROM @{prefix} "
                f"FILE_FORMAT = (FORMAT_NAME = '{PARQUET_FORMAT}') "
                "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE ON_ERROR = ABORT_STATEMENT PURGE = TRUE"
            )
            with contextlib.closing(cursor):
                names = [d[0].lower() for d in cursor.description]
                files = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except Exception:
            self._remove_staged(prefix)
            raise
        statuses = [f.get("status") for f in files]
        loaded = sum(int(f.get("rows_loaded") or 0) for f in files)
        if any(s != "LOADED" for s in statuses) or (
            expected_rows is not None and loaded != expected_rows
        ):
            self._remove_staged(prefix)
            raise RuntimeError(f"COPY INTO {table} loaded {loaded} rows, statuses {statuses}")
        return loaded

    def _remove_staged(self, prefix: str) -> None:
        if self.stand_in:  # no REMOVE there; its stage lives in a temporary folder
            return
        try:
            self.execute(f"REMOVE @{prefix}")
        except Exception:
            log.warning("could not remove staged files under @%s", prefix, exc_info=True)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self._in_transaction:
            raise RuntimeError("transactions do not nest")
        self.execute("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._in_transaction = False
            try:
                self.execute("ROLLBACK")
            except Exception:  # the error that got us here says more than this one
                log.warning("ROLLBACK failed", exc_info=True)
            raise
        self._in_transaction = False
        self.execute("COMMIT")

    def run_script(self, sql: str) -> None:
        """Run each statement of `sql` (comments and quoted `;` handled by the connector)."""
        from snowflake.connector.util_text import split_statements

        self.skipped_statements = []
        for statement, _is_put_or_get in split_statements(StringIO(sql), remove_comments=True):
            statement = statement.strip().rstrip(";").strip()
            if not statement:
                continue
            if self.stand_in and STAND_IN_SKIPS.match(statement):
                self.skipped_statements.append(statement)
                continue
            self.execute(statement)
        if self.skipped_statements:
            log.info("stand-in: skipped %d account-level statements (%s)",
                     len(self.skipped_statements),
                     ", ".join(sorted({statement_kind(s) for s in self.skipped_statements})))  # fmt: skip


_PLAIN_PATH = re.compile(r"[\w./-]+")


@contextlib.contextmanager
def _plain_named(path: Path) -> Iterator[Path]:
    """Yield `path`, or a copy named `data.parquet` when its path is not plain characters.

    PUT expands `*` and `?` in the local path (a file named `*.parquet` would upload every
    Parquet file beside it) and offers no escape, so a file it could misread goes under a
    name it cannot. COPY then reads the fresh prefix that holds that one file.
    """
    resolved = path.resolve()
    if _PLAIN_PATH.fullmatch(str(resolved)):
        yield resolved
        return
    with tempfile.TemporaryDirectory(prefix="flightprice-put-") as folder:
        plain = Path(folder) / "data.parquet"
        shutil.copyfile(resolved, plain)
        yield plain
