"""The raw contract as SQL: feed columns and types, and one failing-row condition per check.

`ingest._validate` runs these conditions in its private DuckDB; the limits come from
`flightprice.contract`, the one place they are defined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb

from flightprice.contract import (
    AIRPORT_PATTERN,
    CABINS,
    CARRIER_PATTERN,
    MAX_BOOKING_SEATS,
    MAX_DURATION_MINUTES,
    MAX_PRICE,
    MAX_SEATS,
    MAX_STOPS,
    MIN_DURATION_MINUTES,
    MIN_PRICE_USD,
)

FEEDS = ("currency_rates", "schedules", "fares", "bookings")
EXAMPLES = 5  # offending rows kept per failed check; the message shows three

_COMMON = {
    "carrier": "VARCHAR",
    "flight_number": "VARCHAR",
    "origin": "VARCHAR",
    "destination": "VARCHAR",
    "departure_at": "TIMESTAMP",
}
FEED_COLUMNS: dict[str, dict[str, str]] = {
    "schedules": {**_COMMON, "arrival_at": "TIMESTAMP", "cabin": "VARCHAR",
                  "stops": "INTEGER", "capacity": "INTEGER"},
    "fares": {"quote_id": "VARCHAR", "observed_at": "TIMESTAMP", **_COMMON,
              "cabin": "VARCHAR", "stops": "INTEGER", "duration_minutes": "INTEGER",
              "seats_remaining": "INTEGER", "price": "DOUBLE", "currency": "VARCHAR"},
    # One sale: `seats` seats of one flight and cabin at `price_paid` each, in `currency`.
    "bookings": {"booking_id": "VARCHAR", "booked_at": "TIMESTAMP", **_COMMON,
                 "cabin": "VARCHAR", "seats": "INTEGER", "price_paid": "DOUBLE",
                 "currency": "VARCHAR"},
    # USD per unit of `currency` from `date` on, until the currency's next dated rate.
    "currency_rates": {"date": "DATE", "currency": "VARCHAR", "rate_to_usd": "DOUBLE"},
}  # fmt: skip
NULLABLE_COLUMNS = frozenset({"seats_remaining"})
_FREE_TEXT = frozenset({"quote_id", "booking_id", "flight_number"})  # no format check
# Feeds whose rows have an id that must be unique in a file (a later duplicate is rejected),
# and the time their price is converted to USD at (the rate of that day).
ID_COLUMNS = {"fares": "quote_id", "bookings": "booking_id"}
PRICE_COLUMNS = {"fares": ("price", "observed_at"), "bookings": ("price_paid", "booked_at")}

TYPE_WORDS = {"TIMESTAMP": "an ISO 8601 timestamp", "INTEGER": "an integer",
               "DOUBLE": "a finite number", "DATE": "an ISO 8601 date"}  # fmt: skip
CURRENCY_PATTERN = r"^[A-Z]{3}$"  # ISO 4217 code
# Parquet physical types (as DuckDB names them) that may hold each contract type.
_INTS = r"U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?"
SOURCE_TYPES = {
    "VARCHAR": re.compile(rf'VARCHAR|{_INTS}|"NULL"'),
    "TIMESTAMP": re.compile(r'VARCHAR|DATE|TIMESTAMP.*|"NULL"'),
    "DATE": re.compile(r'VARCHAR|DATE|"NULL"'),
    "INTEGER": re.compile(rf'VARCHAR|{_INTS}|FLOAT|DOUBLE|DECIMAL.*|"NULL"'),
    "DOUBLE": re.compile(rf'VARCHAR|{_INTS}|FLOAT|DOUBLE|DECIMAL.*|"NULL"'),
}



@dataclass(frozen=True)
class CheckFailure:
    """One failed contract check, with the first offending rows when it is row-level."""

    check: str
    message: str
    column: str | None = None
    failures: int | None = None
    examples: tuple[tuple[int, str], ...] = ()  # (row number, offending value)

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "column": self.column, "failures": self.failures,
                "message": self.message,
                "examples": [{"row": r, "value": v} for r, v in self.examples]}  # fmt: skip


def typed_sql(column: str, contract_type: str, source_type: str) -> str:
    col = sql_id(column)
    if contract_type == "VARCHAR":
        return col if source_type == "VARCHAR" else f"CAST({col} AS VARCHAR)"
    if contract_type == "TIMESTAMP" and source_type == "VARCHAR":
        # A plain cast drops a UTC offset; TIMESTAMPTZ applies it but parses 3x slower, so
        # only text longer than `YYYY-MM-DDTHH:MM:SS` (room for an offset) takes that path.
        return (
            f"CASE WHEN length({col}) <= 19 THEN TRY_CAST({col} AS TIMESTAMP)"
            f" ELSE TRY_CAST(TRY_CAST({col} AS TIMESTAMPTZ) AS TIMESTAMP) END"
        )
    if contract_type == "TIMESTAMP":
        return f"TRY_CAST({col} AS TIMESTAMP)"  # the session is UTC, so TIMESTAMPTZ converts
    if contract_type == "DATE":
        # A plain YYYY-MM-DD only: a cast would also take a timestamp and drop its time.
        if source_type == "DATE":
            return col
        iso = "'[0-9]{4}-[0-9]{2}-[0-9]{2}'"
        return f"CASE WHEN regexp_full_match({col}, {iso}) THEN TRY_CAST({col} AS DATE) END"
    number = f"TRY_CAST({col} AS DOUBLE)"
    if contract_type == "INTEGER":
        return f"CASE WHEN {number} = trunc({number}) THEN TRY_CAST({number} AS INTEGER) END"
    return f"CASE WHEN isfinite({number}) THEN {number} END"


def row_checks(feed: str, contract: dict[str, str]) -> list[tuple[str, str, str, str, str]]:
    """Return (check, column, problem, failing-row condition, shown value) per row check."""
    checks = []
    for c, t in contract.items():
        col = sql_id(c)
        # A blank number, timestamp or code fails its own check; only free text needs a trim.
        if t != "VARCHAR":
            blank, shown = sql_id(c + "$null"), sql_id(c + "$raw")
        else:
            blank = f"({col} IS NULL OR trim({col}) = '')" if c in _FREE_TEXT else f"{col} IS NULL"
            shown = col
        if c not in NULLABLE_COLUMNS:
            checks.append(("not_null", c, "empty", blank, shown))
        if t != "VARCHAR":
            checks.append(
                ("type", c, f"not {TYPE_WORDS[t]}", f"NOT {blank} AND {col} IS NULL", shown)
            )
    if feed == "currency_rates":
        repeated = (
            "(date, currency) IN (SELECT (date, currency) FROM t GROUP BY ALL HAVING count(*) > 1)"
        )
        return checks + [
            ("currency_code", "currency", f"not a currency code {CURRENCY_PATTERN.strip('^$')}",
             f"NOT regexp_full_match(currency, {sql_literal(CURRENCY_PATTERN)})", "currency"),
            ("rate_positive", "rate_to_usd", "not positive", "rate_to_usd <= 0", "rate_to_usd"),
            ("unique_date_currency", "currency", "repeating a date and currency of this file",
             repeated, "printf('%s %s', date, currency)"),
        ]  # fmt: skip
    checks += [
        ("carrier_code", "carrier", f"not a carrier code {CARRIER_PATTERN.strip('^$')}",
         f"NOT regexp_full_match(carrier, {sql_literal(CARRIER_PATTERN)})", "carrier"),
        ("airport_code", "origin", f"not an airport code {AIRPORT_PATTERN.strip('^$')}",
         f"NOT regexp_full_match(origin, {sql_literal(AIRPORT_PATTERN)})", "origin"),
        ("airport_code", "destination", f"not an airport code {AIRPORT_PATTERN.strip('^$')}",
         f"NOT regexp_full_match(destination, {sql_literal(AIRPORT_PATTERN)})", "destination"),
        ("same_origin_destination", "destination", "equal to origin",
         "origin = destination", "destination"),
        ("cabin", "cabin", f"not one of {', '.join(CABINS)}",
         f"cabin NOT IN ({', '.join(map(sql_literal, CABINS))})", "cabin"),
    ]  # fmt: skip
    if "stops" in contract:
        checks.append(("stops_range", "stops", f"outside 0..{MAX_STOPS}",
                       f"stops NOT BETWEEN 0 AND {MAX_STOPS}", "stops"))  # fmt: skip
    if feed == "schedules":
        checks += [
            ("arrival_after_departure", "arrival_at", "not after departure_at",
             "arrival_at <= departure_at",
             "printf('departure_at %s, arrival_at %s', departure_at, arrival_at)"),
            ("capacity_positive", "capacity", "not positive", "capacity <= 0", "capacity"),
            # Requests cap capacity too: a bigger one would fail every scoring run.
            ("capacity_range", "capacity", f"over {MAX_SEATS}", f"capacity > {MAX_SEATS}",
             "capacity"),
        ]  # fmt: skip
    elif feed == "bookings":
        checks += _booking_checks()
    else:
        usd = 'price * "rate$usd"'
        durations = f"{MIN_DURATION_MINUTES}..{MAX_DURATION_MINUTES}"
        no_rate = "printf('currency %s has no rate on or before %s', currency, observed_at::DATE)"
        checks += [
            ("observed_before_departure", "observed_at", "after departure_at",
             "observed_at > departure_at",
             """printf('observed_at %s, departure_at %s', "observed_at$raw", "departure_at$raw")"""),
            ("duration_range", "duration_minutes", f"outside {durations}",
             f"duration_minutes NOT BETWEEN {durations.replace('..', ' AND ')}",
             "duration_minutes"),
            ("seats_remaining_range", "seats_remaining", f"outside 0..{MAX_SEATS}",
             f"seats_remaining NOT BETWEEN 0 AND {MAX_SEATS}", "seats_remaining"),
            ("price_positive", "price", "not positive", "price <= 0", "price"),
            # In USD, at the observation date's rate; a fare with no rate fails `currency`.
            ("price_range", "price", f"outside [{MIN_PRICE_USD:g}, {MAX_PRICE:.0f}] USD",
             f"price > 0 AND NOT {usd} BETWEEN {MIN_PRICE_USD} AND {MAX_PRICE}",
             f"format('{{}} {{}} = {{:.2f}} USD', price, currency, {usd})"),
            ("currency", "currency", "with no rate on or before observed_at",
             'currency IS NOT NULL AND observed_at IS NOT NULL AND "rate$usd" IS NULL',
             no_rate),
        ]  # fmt: skip
    return checks


def _booking_checks() -> list[tuple[str, str, str, str, str]]:
    """Return the checks of a booking beyond the common ones (see row_checks)."""
    usd = 'price_paid * "rate$usd"'
    no_rate = "printf('currency %s has no rate on or before %s', currency, booked_at::DATE)"
    return [
        ("booked_before_departure", "booked_at", "after departure_at",
         "booked_at > departure_at",
         """printf('booked_at %s, departure_at %s', "booked_at$raw", "departure_at$raw")"""),
        ("seats_range", "seats", f"outside 1..{MAX_BOOKING_SEATS}",
         f"seats NOT BETWEEN 1 AND {MAX_BOOKING_SEATS}", "seats"),
        ("price_positive", "price_paid", "not positive", "price_paid <= 0", "price_paid"),
        ("price_range", "price_paid", f"outside [{MIN_PRICE_USD:g}, {MAX_PRICE:.0f}] USD",
         f"price_paid > 0 AND NOT {usd} BETWEEN {MIN_PRICE_USD} AND {MAX_PRICE}",
         f"format('{{}} {{}} = {{:.2f}} USD', price_paid, currency, {usd})"),
        ("currency", "currency", "with no rate on or before booked_at",
         'currency IS NOT NULL AND booked_at IS NOT NULL AND "rate$usd" IS NULL', no_rate),
    ]  # fmt: skip


def check_failure(name: str, column: str, problem: str, n: int, examples: list) -> CheckFailure:
    shown = [(int(row), "NULL" if v is None else str(v)) for row, v in examples]
    message = f"column {column}: {n} row{'s' if n != 1 else ''} {problem} ({_examples(shown, n)})"
    return CheckFailure(name, message, column, int(n), tuple(shown))


def duplicates_failure(
    con: duckdb.DuckDBPyConnection, duplicates: int, key: str = "quote_id"
) -> CheckFailure:
    groups = con.execute(
        f"SELECT {key}, list(_row ORDER BY _row)[:{EXAMPLES}] FROM t WHERE {key} NOT NULL"
        f" GROUP BY {key} HAVING count(*) > 1 ORDER BY min(_row) LIMIT {EXAMPLES}"
    ).fetchall()
    shown = "; ".join(f"{v!r} at rows {', '.join(map(str, rows))}" for v, rows in groups[:3])
    more = ", …" if len(groups) > 3 else ""
    count = f"{duplicates} duplicate row{'s' if duplicates != 1 else ''}"
    message = f"column {key}: {count} ({shown}{more})"
    examples = tuple((rows[1], v) for v, rows in groups)
    return CheckFailure(f"unique_{key}", message, key, int(duplicates), examples)


def _examples(shown: list[tuple[int, str]], n: int) -> str:
    rows = ", ".join(str(r) for r, _ in shown[:3])
    values = ", ".join(repr(v[:80]) if v != "NULL" else v for _, v in shown[:3])
    more = ", …" if n > 3 else ""
    word = "rows" if n > 1 else "row"
    return f"{word} {rows}{more}: {values}{more}"


def sql_id(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
