"""Check one raw file against the data contract and type its rows (see docs/contracts.md).

Validation runs in a private in-memory DuckDB, whatever the warehouse is. A CSV is read with
every column as text so that each bad value can be named, cast straight from the reader when
it has every contract column (`_typed`); a Parquet file is read as typed. Every check counts
its failing rows in one pass; only failing checks fetch examples.

Decisions the contract leaves open:

- Extra columns are ignored (feeds may add columns without breaking ingest); they are
  reported on the result. Column names must match exactly (CSV headers are stripped).
- Text values are kept as delivered (no trimming). An empty or all-space `quote_id` or
  `flight_number` is missing; in a coded column it fails that column's format check.
- Timestamps with a UTC offset are converted to UTC; naive ones are taken as UTC.
- An integer column accepts `3` and `3.0`, not `2.5`; a number column rejects NaN and inf.
- Row numbers in messages are 1-based data rows: the CSV header is not counted.
- A fare's price is checked in USD, at the rate of its currency on the nearest date on or
  before its observation date (UTC); a fare whose currency has none is refused.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from flightprice.ingest import _typed
from flightprice.ingest._checks import (
    FEED_COLUMNS,
    FEEDS,
    ID_COLUMNS,
    PRICE_COLUMNS,
    SOURCE_TYPES,
    TYPE_WORDS,
    CheckFailure,
    check_failure,
    duplicates_failure,
    row_checks,
    sql_id,
    sql_literal,
)
from flightprice.ingest._examples import examples_by_check
from flightprice.ingest._rates import shipped_rates
from flightprice.ingest._rejects import IngestPolicy, reject_rows, tag_rows, temporal_checks
from flightprice.warehouse.base import literal_path

_ENGINE: duckdb.DuckDBPyConnection | None = None  # see _engine()
_KEY = re.compile(r"raw-data/(?P<feed>[^/]+)/(?P<day>[^/]+)/(?P<name>[^/]+)")


@dataclass(frozen=True)
class RawFile:
    """One delivered file: its store key, feed, format and content hash."""

    key: str
    feed: str
    format: Literal["csv", "parquet"]
    content_hash: str
    delivery_date: date | None = None
    layout_error: str | None = None  # why the key does not fit raw-data/<feed>/<day>/<name>
    fingerprint: str | None = None  # the store's size/mtime or size/ETag marker when listed
    unreadable: str | None = None  # why the store could not read it (e.g. a link out of it)


@dataclass(frozen=True)
class ValidatedFile:
    """A file that meets the contract: `table` has exactly the contract columns and types.

    Its rows that fail a row check are in `rejects` (row, check, column, value, reason) and
    summarised per check in `checks`; they are not in `table`.
    """

    raw_file: RawFile
    table: pa.Table
    ignored_columns: tuple[str, ...] = ()
    rejects: pa.Table | None = None
    checks: tuple[CheckFailure, ...] = ()

    @property
    def rows(self) -> int:
        return self.table.num_rows

    @property
    def rows_rejected(self) -> int:
        return 0 if self.rejects is None else self.rejects.num_rows

    @property
    def rejects_summary(self) -> str:
        return "; ".join(c.message for c in self.checks)


@dataclass(frozen=True)
class _Source:
    """A readable file: its column types, and the reader of its raw text when not yet read
    (`src` holds it otherwise)."""

    types: dict[str, str]
    reader: str | None = None


@dataclass(frozen=True)
class Rejection:
    """A file that breaks the contract; `reason` joins the messages of every failed check."""

    raw_file: RawFile
    checks: tuple[CheckFailure, ...]
    rows_checked: int | None = None
    bad_rows: int | None = None  # rows failing at least one row-level check, when known
    max_reject_share: float | None = None  # set when the file failed on its share of bad rows
    reason: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", "; ".join(c.message for c in self.checks))


def parse_key(key: str) -> tuple[date | None, str | None]:
    """Return the delivery date of a `raw-data/<feed>/<YYYY-MM-DD>/<name>` key, or why not."""
    match = _KEY.fullmatch(key)
    if match is None:
        return None, f"key {key!r} does not fit raw-data/<feed>/<YYYY-MM-DD>/<name>"
    if match["feed"] not in FEEDS:
        return None, f"unknown feed {match['feed']!r} in key {key!r}"
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", match["day"]):
            raise ValueError
        return date.fromisoformat(match["day"]), None
    except ValueError:
        return None, f"folder {match['day']!r} of key {key!r} is not a YYYY-MM-DD date"


def validate_file(
    raw_file: RawFile,
    local_path: Path,
    rates: pa.Table | None = None,
    policy: IngestPolicy | None = None,
) -> ValidatedFile | Rejection:
    """Check `local_path` (the content of `raw_file`) against the contract of its feed.

    `rates` (`date, currency, rate_to_usd`, one row per date and currency) converts fares
    to USD; the default is the shipped history alone. Rows failing a row check are set
    aside; the file is rejected whole when it cannot be read, breaks the layout, or more
    than `policy.max_reject_share` of its rows fail.
    """
    if raw_file.layout_error:
        return Rejection(raw_file, (CheckFailure("key_layout", raw_file.layout_error),))
    if local_path.stat().st_size == 0:
        return Rejection(raw_file, (CheckFailure("empty_file", "empty file (0 bytes)"),), 0)
    con = _engine().cursor()  # its own session: the temp tables below are private to it
    try:
        source = _read_source(con, raw_file, local_path)
        if isinstance(source, CheckFailure):
            return Rejection(raw_file, (source,))
        if raw_file.feed in PRICE_COLUMNS:
            con.register("rates", shipped_rates() if rates is None else rates)
        return _check(con, raw_file, source, local_path, policy or IngestPolicy())
    finally:
        _typed.drop_all(con)
        con.close()


def _engine() -> duckdb.DuckDBPyConnection:
    """Return the process's in-memory validation database, opened on first use."""
    global _ENGINE  # opening a database costs ~50 ms, a cursor ~0.3 ms: share one per process
    if _ENGINE is None:
        engine = duckdb.connect()
        engine.execute("SET GLOBAL TimeZone = 'UTC'")  # naive timestamps are UTC (contract)
        _ENGINE = engine
    return _ENGINE


def _read_source(
    con: duckdb.DuckDBPyConnection, raw: RawFile, path: Path
) -> _Source | CheckFailure:
    """Return the file's columns, or say why it cannot be read.

    A CSV with every contract column is not read here: `_check` types it from the reader.
    Any other file is materialised as table `src` first, so a file that is both unreadable
    and short of columns is still called unreadable.
    """
    if raw.format == "csv":
        with path.open("rb") as fh:
            first = fh.readline(1 << 20)
        try:
            header = first.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return CheckFailure("encoding", f"not UTF-8: header line, byte {exc.start}")
        try:
            names = [n.strip() for n in next(csv.reader([header.rstrip("\r\n")]), [])]
        except csv.Error as exc:  # e.g. a header field over the csv module's 128 KiB limit
            return CheckFailure("header", f"unreadable header line: {exc}")
        names = [n or f"_unnamed_{i}" for i, n in enumerate(names, 1)]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            return CheckFailure("header", f"duplicate column names in header: {dupes}")
        columns = ", ".join(f"{sql_literal(n)}: 'VARCHAR'" for n in names)
        source = (
            f"read_csv({sql_literal(literal_path(path))}, columns={{{columns}}}, header=true, auto_detect=false,"
            " delim=',', quote='\"', escape='\"', strict_mode=true, encoding='utf-8')"
        )
        if set(FEED_COLUMNS.get(raw.feed, ())) <= set(names):
            return _Source(dict.fromkeys(names, "VARCHAR"), source)
    else:
        source = f"read_parquet({sql_literal(literal_path(path))})"
    try:
        con.execute(f"CREATE TEMP TABLE src AS SELECT * FROM {source}")
    except duckdb.Error as exc:
        return _read_failure(raw.format, exc, path)
    return _Source({name: typ for name, typ, *_ in con.execute("DESCRIBE src").fetchall()})


def _read_failure(fmt: str, exc: duckdb.Error, path: Path) -> CheckFailure:
    text = str(exc)
    for shown in (literal_path(path), str(path)):
        text = text.replace(f"'{shown}'", "").replace(shown, path.name)
    # DuckDB's CSV errors carry the line and the problem before its advice and the SQL echo.
    skip = ("possible", "*", "line 1:", "^", "file =")
    kept = [
        ln.strip()
        for ln in text.splitlines()
        if ln.strip() and not ln.strip().lower().startswith(skip)
    ]
    detail = " / ".join(kept[:3]).removeprefix("Invalid Input Error: ")
    if "unicode" in text.lower():
        return CheckFailure("encoding", f"not UTF-8: {detail}")
    if fmt == "parquet":
        return CheckFailure("unreadable", f"truncated or corrupt Parquet file: {detail}")
    return CheckFailure("unreadable", f"malformed CSV: {detail}")


def _check(
    con: duckdb.DuckDBPyConnection,
    raw: RawFile,
    source: _Source,
    path: Path,
    policy: IngestPolicy,
) -> ValidatedFile | Rejection:
    contract, source_types = FEED_COLUMNS[raw.feed], source.types
    if source.reader is None:
        (rows,) = con.execute("SELECT count(*) FROM src").fetchall()[0]
        shape = _shape_failures(contract, source_types, rows)
        if shape:
            return Rejection(raw, shape, rows)
    # `t` holds the typed values and, per cast column, whether the raw cell was null; copying
    # the raw text too would double the cost, so examples join back to `src` by row.
    try:
        _typed.create_typed(con, source.reader or "src", contract, source_types)
    except duckdb.Error as exc:  # read here for the first time: the reader's own errors
        if source.reader is None:
            raise
        return Rejection(raw, (_read_failure(raw.format, exc, path),))
    if source.reader is not None:
        (rows,) = con.execute(f"SELECT count(*) FROM {_typed.TYPED}").fetchall()[0]
        shape = _shape_failures(contract, source_types, rows)
        if shape:
            return Rejection(raw, shape, rows)
    _typed.create_view(con, PRICE_COLUMNS[raw.feed][1] if raw.feed in PRICE_COLUMNS else None)
    delivery = raw.delivery_date or parse_key(raw.key)[0]
    checks = row_checks(raw.feed, contract) + temporal_checks(raw.feed, delivery, policy)
    failures, duplicates, raw_text = _row_failures(con, checks, raw.feed, contract, source)
    ignored = tuple(c for c in source_types if c not in contract)
    columns = ", ".join(map(sql_id, contract))
    # Insertion order is preserved, so the rows come out in file order without a sort.
    if not failures:
        table = con.sql(f"SELECT {columns} FROM {_typed.TYPED}").to_arrow_table()
        return ValidatedFile(raw, table, ignored)
    # Only checks that failed somewhere can tag a row: fewer CASE branches per row.
    failed = {(f.check, f.column) for f in failures}
    failing = [c for c in checks if (c[0], c[1]) in failed]
    key = ID_COLUMNS.get(raw.feed)  # schedules and rates have no id (and no duplicates)
    bad_rows = tag_rows(con, failing, duplicates, key)
    if bad_rows > policy.max_reject_share * rows:
        return Rejection(raw, failures, rows, bad_rows, policy.max_reject_share)
    rejects = reject_rows(con, failing, raw_text, key)
    table = con.sql(f"SELECT rowid + 1 AS _row, {columns} FROM {_typed.TYPED}").to_arrow_table()
    keep = pc.invert(pc.is_in(table["_row"], value_set=rejects["row_number"]))
    return ValidatedFile(raw, table.filter(keep).drop_columns("_row"), ignored, rejects, failures)


def _shape_failures(
    contract: dict[str, str], source_types: dict[str, str], rows: int
) -> tuple[CheckFailure, ...]:
    """Check the columns and that there are rows, before any value is looked at."""
    missing = [c for c in contract if c not in source_types]
    if missing:
        found = ", ".join(source_types) or "none"
        message = f"missing columns: {', '.join(missing)} (found: {found})"
        return (CheckFailure("required_columns", message),)
    unfit = tuple(
        CheckFailure("type", f"column {c}: Parquet type {source_types[c]} cannot hold {word}", c)
        for c, t in contract.items()
        if not SOURCE_TYPES[t].fullmatch(source_types[c])
        for word in [TYPE_WORDS.get(t, "text")]
    )
    if unfit or rows:
        return unfit
    return (CheckFailure("empty_file", "empty file (no data rows)"),)


def _row_failures(
    con: duckdb.DuckDBPyConnection,
    checks: list,
    feed: str,
    contract: dict[str, str],
    source: _Source,
) -> tuple[tuple[CheckFailure, ...], int, str]:
    """Count each row check's failures in one pass over `t`; fetch examples of the failing.

    Return the failed checks, the count of duplicate quote_ids, and the SQL of the raw text.
    """
    key = ID_COLUMNS.get(feed)
    dup_sql = f"count({key}) - count(DISTINCT {key})" if key else "0"
    counts = ", ".join(f"count_if({cond})" for *_, cond, _ in checks)
    *per_check, duplicates = con.execute(f"SELECT {counts}, {dup_sql} FROM t").fetchall()[0]
    if any(per_check) or duplicates:  # examples and rejects show the raw text
        _typed.ensure_source(con, source.reader, contract)
    raw_text = "".join(
        f", CAST({sql_id(c)} AS VARCHAR) AS {sql_id(c + '$raw')}"
        for c, t in contract.items()
        if t != "VARCHAR"
    )
    examples = examples_by_check(con, checks, per_check, raw_text)
    failures = [
        check_failure(name, column, problem, n, examples[i])
        for i, ((name, column, problem, *_), n) in enumerate(zip(checks, per_check, strict=True))
        if n
    ]
    if duplicates:
        failures.append(duplicates_failure(con, duplicates, key))
    return tuple(failures), int(duplicates), raw_text
