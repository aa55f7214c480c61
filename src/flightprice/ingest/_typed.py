"""Type a file's rows in one pass and attach USD rates without copying them again.

Validation used to copy every cell of a CSV as text (`src`), copy it again typed (`t`), and
a third time to add each row's rate (an ASOF join over every row, sorted back into file
order): three 1M-row writes for one file (profile in benchmarks/README.md, "Session 7:
ingest"). Now a CSV that has every contract column is cast straight from DuckDB's reader
into `typed`; `src` (the raw text) is read only when a check failed and its values must be
shown; and the rate is looked up per distinct (currency, day), a few rows, joined through the
view `t` that the checks read. `t` keeps the old shape: `_row`, the typed columns, each cast
column's `$null` flag and, for priced feeds, `rate$usd`.
"""

from __future__ import annotations

import duckdb

from flightprice.ingest._checks import sql_id, typed_sql

TYPED, VIEW, SOURCE, RATES_BY_DAY = "typed", "t", "src", "rates_by_day"


def create_typed(
    con: duckdb.DuckDBPyConnection,
    source: str,
    contract: dict[str, str],
    source_types: dict[str, str],
) -> None:
    """Create temp table `typed` from relation `source`: the contract's columns cast, and
    per cast column whether its raw cell was null."""
    typed = ", ".join(
        f"{typed_sql(c, t, source_types[c])} AS {sql_id(c)}" for c, t in contract.items()
    )
    nulls = "".join(
        f", {sql_id(c)} IS NULL AS {sql_id(c + '$null')}"
        for c, t in contract.items()
        if t != "VARCHAR"
    )
    # DuckDB checks UTF-8 only in the columns a query reads: reading the ignored ones too
    # keeps a file with a bad byte in any column unreadable, as when every column was copied.
    ignored = " AND ".join(f"{sql_id(c)} IS NULL" for c in source_types if c not in contract)
    read_all = f", {ignored} AS _ignored" if ignored else ""
    con.execute(f"CREATE TEMP TABLE {TYPED} AS SELECT {typed}{nulls}{read_all} FROM {source}")


def create_view(con: duckdb.DuckDBPyConnection, priced_at: str | None) -> None:
    """Create view `t` over `typed`: its 1-based row and, with `priced_at`, `rate$usd` (the
    row's currency's latest rate on or before the day of column `priced_at`)."""
    if priced_at is None:
        con.execute(f"CREATE TEMP VIEW {VIEW} AS SELECT rowid + 1 AS _row, * FROM {TYPED}")
        return
    day = f"CAST({sql_id(priced_at)} AS DATE)"
    # A file has a few currencies and days: the ASOF join runs on those pairs, not per row.
    con.execute(
        f"CREATE TEMP TABLE {RATES_BY_DAY} AS SELECT k.currency, k.day, rates.rate_to_usd"
        f" FROM (SELECT DISTINCT currency, {day} AS day FROM {TYPED}) k"
        " ASOF LEFT JOIN rates ON k.currency = rates.currency AND k.day >= rates.date"
    )
    con.execute(
        f"CREATE TEMP VIEW {VIEW} AS SELECT {TYPED}.rowid + 1 AS _row, {TYPED}.*,"
        f' r.rate_to_usd AS "rate$usd" FROM {TYPED} LEFT JOIN {RATES_BY_DAY} r'
        f" ON r.currency = {TYPED}.currency AND r.day = {day}"
    )


def ensure_source(
    con: duckdb.DuckDBPyConnection, reader: str | None, contract: dict[str, str]
) -> None:
    """Materialise the raw text of the cast columns as `src` (row order = file order) if it
    was not read yet; the text columns' raw values are in `typed` already."""
    if reader is not None:
        cast = ", ".join(sql_id(c) for c, t in contract.items() if t != "VARCHAR")
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {SOURCE} AS SELECT {cast} FROM {reader}")


def drop_all(con: duckdb.DuckDBPyConnection) -> None:
    """Drop this session's validation tables (their memory goes back before the next file)."""
    con.execute(
        f"DROP VIEW IF EXISTS {VIEW}; DROP TABLE IF EXISTS {RATES_BY_DAY};"
        f" DROP TABLE IF EXISTS {TYPED}; DROP TABLE IF EXISTS {SOURCE};"
        " DROP TABLE IF EXISTS bad; DROP TABLE IF EXISTS examples"
    )
