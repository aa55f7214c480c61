"""The Warehouse protocol: everything the library asks of DuckDB or Snowflake."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import pandas as pd
import pyarrow as pa

from flightprice.clock import naive_utc


class WarehouseConnectionError(RuntimeError):
    """The warehouse cannot be reached or refuses the session; the message says what to check."""


class Warehouse(Protocol):
    """A SQL warehouse with the RAW / STAGING / ANALYTICS / ML_PREDICTIONS schemas."""

    dialect: Literal["duckdb", "snowflake"]

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run one statement that returns nothing the caller reads."""

    def query_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a query and return its rows as a pandas frame."""

    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a query and return its rows as an Arrow table."""

    def query_batches(
        self, sql: str, params: Sequence[Any] | None = None, batch_rows: int = 100_000
    ) -> Iterator[pa.RecordBatch]:
        """Stream a query's rows as Arrow record batches of at most `batch_rows` rows.

        Memory stays bounded by the batch size, and the caller may write through this
        warehouse while it reads (the rows read are those of the query's start).
        """

    def insert_arrow(self, table: str, data: pa.Table) -> int:
        """Append `data` (columns named as in `table`) to `table`; return rows written."""

    def write_frame(self, table: str, frame: pd.DataFrame, mode: str = "append") -> int:
        """Append (or `replace`) a pandas frame into `table`; return rows written."""

    def load_file(self, table: str, path: Path, columns: Sequence[str]) -> int:
        """Bulk-load a typed Parquet file whose columns are `columns` into `table`."""

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Group statements: all take effect or none (rollback on exception)."""

    def run_script(self, sql: str) -> None:
        """Run a `;`-separated SQL script (setup files)."""

    def close(self) -> None:
        """Release the connection and any writer lock."""


def literal_path(path: Path | str) -> str:
    """Return `path` as a DuckDB file argument that names that one file, never a glob.

    DuckDB's readers expand `*`, `?`, `[...]` (and `**`) in every path, a list's included,
    with no option to turn it off (duckdb 2.0): a file named `fares_[ab].csv` would read
    `fares_a.csv`. Each such character becomes a one-character class (`[*]`), which matches
    only itself.
    """
    return re.sub(r"([*?\[])", r"[\1]", str(path))


# The warehouse boundary: the library works in aware UTC, TIMESTAMP columns hold naive UTC.
# Both backends convert here, so a stored value never depends on the session's time zone.


def naive_params(params: Sequence[Any] | None) -> list[Any]:
    """Return `params` with aware datetimes as naive UTC."""
    return [naive_utc(v) if isinstance(v, datetime) else v for v in params or []]


def naive_timestamps(data: pa.Table) -> pa.Table:
    """Return `data` with zoned timestamp columns as naive UTC (same instants, no zone)."""
    for i, field in enumerate(data.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            column = data.column(i).cast(pa.timestamp(field.type.unit, tz="UTC"))
            data = data.set_column(i, field.name, column.cast(pa.timestamp(field.type.unit)))
    return data
