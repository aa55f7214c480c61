"""Row-level rejects: tag each row that fails the contract with its first failing check.

The anchor is Snowflake's `COPY ... ON_ERROR = SKIP_FILE_<n>%`: a file loads without its
rejected rows unless their share exceeds `IngestPolicy.max_reject_share`. Tagging is one
set-based query over the typed table `t`, so a file with bad rows costs one more pass, not
one per check. Temporal checks (item 4 of issue 10) compare a fare's times with its delivery
folder, with now and with a horizon; a rejected row never reaches RAW, so it cannot move the
data clock (`max(observed_at)` in dbt's ml_scoring_features).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from flightprice.clock import naive_utc, utc_now
from flightprice.contract import MAX_DAYS_AHEAD
from flightprice.ingest._checks import sql_id

# A feed's time column and what its temporal checks call it ("observed_after_delivery").
_TIMES = {"fares": ("observed_at", "observed"), "bookings": ("booked_at", "booked")}
REJECT_COLUMNS = {"row_number": pa.int64(), "check_name": pa.string(),
                  "column_name": pa.string(), "value": pa.string(), "reason": pa.string()}  # fmt: skip
REJECT_SCHEMA = pa.schema(list(REJECT_COLUMNS.items()))
TOP_REASONS = 3


@dataclass(frozen=True)
class IngestPolicy:
    """How strict ingest is with rows; the defaults are the settings' defaults."""

    max_reject_share: float = 0.10
    # A folder dated D is usually a local business day: west of UTC it ends up to 12 h after
    # D's UTC midnight, and feeds close folders late; a day covers both, 2099 still fails.
    future_tolerance_hours: float = 24.0
    max_days_ahead: int = MAX_DAYS_AHEAD
    now: datetime | None = None  # None: the clock at validation time (tests pin it)

    @classmethod
    def from_settings(cls, settings: Any) -> IngestPolicy:
        """Return the policy of `settings` (a flightprice Settings)."""
        return cls(
            max_reject_share=settings.ingest_max_reject_share,
            future_tolerance_hours=settings.ingest_future_tolerance_hours,
            max_days_ahead=settings.ingest_max_days_ahead,
        )


def temporal_checks(
    feed: str, delivery_date: date | None, policy: IngestPolicy
) -> list[tuple[str, str, str, str, str]]:
    """Return the time checks of a fare or booking, in the shape of `_validate.row_checks`."""
    if feed not in _TIMES:
        return []
    at, verb = _TIMES[feed]
    raw = sql_id(at + "$raw")
    now = naive_utc(policy.now or utc_now())
    checks = []
    if delivery_date is not None:
        tolerance = timedelta(hours=policy.future_tolerance_hours)
        latest = (
            datetime.combine(delivery_date + timedelta(days=1), datetime.min.time()) + tolerance
        )
        checks.append((f"{verb}_after_delivery", at,
                       f"after its delivery folder {delivery_date} (+{policy.future_tolerance_hours:g} h)",
                       f"{at} > {_stamp(latest)}", raw))  # fmt: skip
    checks += [
        (f"{verb}_in_future", at, f"after now ({now:%Y-%m-%d %H:%M} UTC)",
         f"{at} > {_stamp(now)}", raw),
        ("departure_horizon", "departure_at",
         f"more than {policy.max_days_ahead} days after {at}",
         f"departure_at > {at} + INTERVAL {int(policy.max_days_ahead)} DAY",
         f"""printf('{at} %s, departure_at %s', {raw}, "departure_at$raw")"""),
    ]  # fmt: skip
    return checks


def tag_rows(
    con: duckdb.DuckDBPyConnection,
    checks: list[tuple[str, ...]],
    duplicates: bool,
    key: str | None = "quote_id",
) -> int:
    """Create temp table `bad` (row, first failing check, first row of its quote_id)."""
    whens = " ".join(
        f"WHEN coalesce({cond}, false) THEN {i}" for i, (*_, cond, _) in enumerate(checks)
    )
    first_failing = f"CASE {whens} END" if checks else "NULL::INTEGER"  # only duplicates
    # The first occurrence of an id (quote_id, booking_id) is kept; later ones point back to
    # it. Only repeated ids are looked up: a join to a few rows, not a window over every row
    # (0.4 CPU s at 1M rows, benchmarks/README.md "Session 7: ingest").
    first_row, rows = "NULL::BIGINT", "t"
    if duplicates:
        first_row = "CASE WHEN _row > _min THEN _min END"  # a null id matches no repeat
        rows = (
            f"t LEFT JOIN (SELECT {key} AS _key, min(_row) AS _min FROM t GROUP BY {key}"
            f" HAVING count(*) > 1) repeated ON repeated._key = t.{key}"
        )
    con.execute(
        "CREATE TEMP TABLE bad AS SELECT _row, coalesce(_check, "
        f"CASE WHEN _first IS NOT NULL THEN {len(checks)} END) AS _check, _first FROM ("
        f"SELECT _row, {first_failing} AS _check, {first_row} AS _first FROM {rows}"
        ") WHERE _check IS NOT NULL OR _first IS NOT NULL"
    )
    (n,) = con.execute("SELECT count(*) FROM bad").fetchall()[0]
    return int(n)


def reject_rows(
    con: duckdb.DuckDBPyConnection,
    checks: list[tuple[str, ...]],
    raw_text: str,
    key: str | None = "quote_id",
) -> pa.Table:
    """Return the rows of `bad` with their check, column, offending value and reason."""
    whens = " ".join(
        f"WHEN {i} THEN CAST({value} AS VARCHAR)" for i, (*_, value) in enumerate(checks)
    )
    other = key or "NULL"  # a duplicate shows its id; a feed without one has no duplicates
    shown = f"CASE b._check {whens} ELSE {other} END" if checks else other
    rows = con.execute(
        f"SELECT b._row, b._check, {shown}, b._first"
        f" FROM bad b JOIN t ON t._row = b._row"
        f" JOIN (SELECT rowid + 1 AS _src_row{raw_text} FROM src"
        " WHERE rowid + 1 IN (SELECT _row FROM bad)) r ON r._src_row = b._row"
        " ORDER BY b._row"
    ).fetchall()
    named = [*(c[:3] for c in checks), (f"unique_{key}", key, "duplicate")]
    out: dict[str, list] = {name: [] for name in REJECT_COLUMNS}
    for row, check, value, first in rows:
        name, column, problem = named[check]
        text = "NULL" if value is None else repr(str(value)[:80])
        if check == len(checks):
            problem = f"duplicate of row {first}"
        out["row_number"].append(int(row))
        out["check_name"].append(name)
        out["column_name"].append(column)
        out["value"].append(value if value is None else str(value))
        out["reason"].append(f"column {column}: {problem} ({text})")
    return pa.table(out, schema=REJECT_SCHEMA)


def top_reasons(rejects: pa.Table | None, n: int = TOP_REASONS) -> list[dict[str, Any]]:
    """Return the `n` most frequent (check, column) of `rejects`, each with its row count."""
    if rejects is None or rejects.num_rows == 0:
        return []
    counts = rejects.group_by(["check_name", "column_name"]).aggregate([("row_number", "count")])
    ranked = sorted(counts.to_pylist(), key=lambda r: (-r["row_number_count"], r["check_name"]))
    return [{"check": r["check_name"], "column": r["column_name"], "rows": r["row_number_count"]}
            for r in ranked[:n]]  # fmt: skip


def _stamp(value: datetime) -> str:
    return f"TIMESTAMP '{value:%Y-%m-%d %H:%M:%S}'"
