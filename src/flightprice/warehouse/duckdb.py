"""The embedded warehouse: one DuckDB file, one writer process at a time."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Self

import duckdb
import pandas as pd
import pyarrow as pa
from filelock import FileLock

from flightprice.warehouse.base import literal_path, naive_params, naive_timestamps

LOCK_RETRY_SECONDS = 30.0


def writer_lock(path: Path, timeout: float = 600.0) -> FileLock:
    """Return the inter-process lock that serialises writers of one DuckDB file."""
    return FileLock(str(path) + ".writer.lock", timeout=timeout)


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    # Another process may hold the file for a moment (dbt, a flow), or, in this process, a
    # connection opened the other way (read-only vs read-write: DuckDB refuses to mix them
    # within one process); wait briefly, then fail.
    deadline = time.monotonic() + LOCK_RETRY_SECONDS
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            message = str(exc).lower()
            busy = "lock" in message or "different configuration" in message
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class DuckDBWarehouse:
    """Warehouse over a DuckDB file; writers hold `<file>.writer.lock` while connected."""

    dialect = "duckdb"

    def __init__(self, path: Path, read_only: bool = False, lock_timeout: float = 600.0) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._lock = None if read_only else writer_lock(self.path, lock_timeout)
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            if self._lock is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._lock.acquire()
            self._con = _connect(self.path, self.read_only)
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.con.execute(sql, naive_params(params)).fetchall()

    def query_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        return self.con.execute(sql, naive_params(params)).df()

    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        return self.con.sql(sql, params=naive_params(params) if params else None).to_arrow_table()

    def query_batches(
        self, sql: str, params: Sequence[Any] | None = None, batch_rows: int = 100_000
    ) -> Iterator[pa.RecordBatch]:
        # A second connection to the same database: the main one stays free for writes.
        cursor = self.con.cursor()
        try:
            relation = cursor.sql(sql, params=naive_params(params) if params else None)
            for batch in relation.to_arrow_reader(batch_rows):
                if batch.num_rows:
                    yield batch
        finally:
            cursor.close()

    def insert_arrow(self, table: str, data: pa.Table) -> int:
        if data.num_rows == 0:
            return 0
        self.con.register("_incoming", naive_timestamps(data))
        try:
            cols = ", ".join(f'"{c}"' for c in data.column_names)
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _incoming")
        finally:
            self.con.unregister("_incoming")
        return data.num_rows

    def write_frame(self, table: str, frame: pd.DataFrame, mode: str = "append") -> int:
        if mode == "replace":
            self.con.execute(f"DELETE FROM {table}")
        return self.insert_arrow(table, pa.Table.from_pandas(frame, preserve_index=False))

    def load_file(self, table: str, path: Path, columns: Sequence[str]) -> int:
        cols = ", ".join(f'"{c}"' for c in columns)
        (count,) = self.con.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM read_parquet(?)", [literal_path(path)]
        ).fetchone()
        return int(count)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def run_script(self, sql: str) -> None:
        self.con.execute(sql)
