"""Price requests as a table: the vectorised check of the limits every request obeys.

The API's pydantic schema (api/schemas.py) and this check enforce the same limits, those of
`flightprice.contract`, so one flight is accepted or refused alike whether it comes as JSON,
as an Arrow IPC batch, or from ANALYTICS.ML_SCORING_FEATURES in a local scoring run. Limits are no stricter than the
raw-data contract where a column comes from the warehouse (flight_number is free text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flightprice.clock import naive_utc, utc_now
from flightprice.contract import (
    AIRPORT_PATTERN,
    CABINS,
    CARRIER_PATTERN,
    EARLIEST,
    LATEST,
    MAX_DAYS_AHEAD,
    MAX_DURATION_MINUTES,
    MAX_FLIGHT_NUMBER_LENGTH,
    MAX_PRICE,
    MAX_SEATS,
    MAX_STOPS,
    MIN_DURATION_MINUTES,
)

REQUIRED_COLUMNS: dict[str, pa.DataType] = {
    "carrier": pa.string(),
    "origin": pa.string(),
    "destination": pa.string(),
    "cabin": pa.string(),
    "departure_at": pa.timestamp("us"),
    "stops": pa.int64(),
    "duration_minutes": pa.int64(),
}
OPTIONAL_COLUMNS: dict[str, pa.DataType] = {
    "flight_number": pa.string(),
    "observed_at": pa.timestamp("us"),
    "seats_remaining": pa.float64(),
    "capacity": pa.float64(),
    "last_price": pa.float64(),
    "competitor_fare": pa.float64(),
}
REQUEST_COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)


@dataclass(frozen=True)
class RequestProblem:
    """One column's failed check: which column, what is wrong, at which rows (0-based)."""

    column: str
    message: str
    rows: tuple[int, ...] = ()

    def to_error(self) -> dict[str, Any]:
        """Return the problem in FastAPI's 422 `detail` item form."""
        where = f" (rows {', '.join(map(str, self.rows[:5]))})" if self.rows else ""
        return {"loc": ["body", self.column], "msg": self.message + where, "type": "value_error"}


class RequestTableError(ValueError):
    """A request table failed its checks; `problems` names every column at fault."""

    def __init__(self, problems: list[RequestProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.column}: {p.to_error()['msg']}" for p in problems))


def request_frame(table: pa.Table, now: datetime | None = None) -> pd.DataFrame:
    """Check a table of price requests and return it as the frame `serving.quote` prices.

    Columns are matched by name (extra columns are ignored); a missing `observed_at` means
    `now`. Raise RequestTableError naming every column that is missing, mistyped or holds
    values outside the limits.
    """
    problems: list[RequestProblem] = []
    columns: dict[str, pa.ChunkedArray] = {}
    for name, kind in (REQUIRED_COLUMNS | OPTIONAL_COLUMNS).items():
        if (count := table.column_names.count(name)) > 1:  # which one would we price?
            problems.append(RequestProblem(name, f"column appears {count} times"))
            continue
        if name not in table.column_names:
            if name in REQUIRED_COLUMNS:
                problems.append(RequestProblem(name, "field required"))
            continue
        column = _cast(table.column(name), kind, name, problems)
        if column is None:
            continue
        if pa.types.is_floating(kind):  # NaN means unknown, as null does
            column = pc.if_else(pc.is_nan(column), pa.scalar(None, kind), column)
        columns[name] = column
        if name in REQUIRED_COLUMNS or name == "observed_at":
            _check(problems, name, pc.is_null(column), "must not be null")
    if problems:
        raise RequestTableError(problems)

    n = table.num_rows
    if "observed_at" not in columns:
        columns["observed_at"] = pa.chunked_array([pa.repeat(pa.scalar(naive_utc(now or utc_now())), n)])
    _check_values(columns, problems)
    if problems:
        raise RequestTableError(problems)
    return pa.table(columns).to_pandas(types_mapper=_types_mapper)


def _cast(
    column: pa.ChunkedArray, kind: pa.DataType, name: str, problems: list[RequestProblem]
) -> pa.ChunkedArray | None:
    try:
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            column = column.cast(pa.timestamp("us", tz="UTC"))
            # Drop the zone: the warehouse and the model work in naive UTC.
            return column.cast(pa.timestamp("us"))
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        return column.cast(kind, safe=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        problems.append(RequestProblem(name, f"not convertible to {kind} (got {column.type})"))
        return None


def _check(problems: list[RequestProblem], name: str, bad: Any, message: str) -> None:
    mask = np.asarray(pc.fill_null(bad, False).to_numpy(zero_copy_only=False), dtype=bool)
    if mask.any():
        rows = np.flatnonzero(mask)
        problems.append(
            RequestProblem(name, f"{len(rows)} row(s) {message}", tuple(rows[:5].tolist()))
        )


def _check_values(columns: dict[str, pa.ChunkedArray], problems: list[RequestProblem]) -> None:
    c = columns
    _check(
        problems,
        "carrier",
        pc.invert(pc.match_substring_regex(c["carrier"], CARRIER_PATTERN)),
        f"not a carrier code {CARRIER_PATTERN.strip('^$')}",
    )
    for name in ("origin", "destination"):
        _check(
            problems,
            name,
            pc.invert(pc.match_substring_regex(c[name], AIRPORT_PATTERN)),
            f"not an airport code {AIRPORT_PATTERN.strip('^$')}",
        )
    _check(problems, "destination", pc.equal(c["origin"], c["destination"]), "equal to origin")
    _check(
        problems,
        "cabin",
        pc.invert(pc.is_in(c["cabin"], value_set=pa.array(CABINS))),
        f"not one of {', '.join(CABINS)}",
    )
    if "flight_number" in c:
        length = pc.utf8_length(c["flight_number"])
        _check(
            problems,
            "flight_number",
            pc.or_(pc.less(length, 1), pc.greater(length, MAX_FLIGHT_NUMBER_LENGTH)),
            f"not 1 to {MAX_FLIGHT_NUMBER_LENGTH} characters",
        )
    _range(problems, c, "stops", 0, MAX_STOPS)
    _range(problems, c, "duration_minutes", MIN_DURATION_MINUTES, MAX_DURATION_MINUTES)
    _range(problems, c, "seats_remaining", 0, MAX_SEATS)
    _range(problems, c, "capacity", 1, MAX_SEATS)
    for name in ("last_price", "competitor_fare"):  # optional prices: (0, MAX_PRICE]
        if name in c:
            price = c[name]
            _check(
                problems,
                name,
                pc.invert(pc.and_(pc.greater(price, 0), pc.less_equal(price, MAX_PRICE))),
                f"outside (0, {MAX_PRICE:.0f}]",
            )
    for name in ("observed_at", "departure_at"):
        stamps = c[name]
        _check(
            problems,
            name,
            pc.or_(
                pc.less(stamps, pa.scalar(EARLIEST, pa.timestamp("us"))),
                pc.greater_equal(stamps, pa.scalar(LATEST, pa.timestamp("us"))),
            ),
            f"outside {EARLIEST:%Y} to {LATEST:%Y}",
        )
    if problems:  # the cross-field checks below need sane timestamps
        return
    ahead = pc.subtract(c["departure_at"], c["observed_at"])
    _check(
        problems,
        "departure_at",
        pc.less_equal(ahead, pa.scalar(0, pa.duration("us"))),
        "not after observed_at",
    )
    limit = pa.scalar(MAX_DAYS_AHEAD * 86_400_000_000, pa.duration("us"))
    _check(
        problems,
        "departure_at",
        pc.greater(ahead, limit),
        f"more than {MAX_DAYS_AHEAD} days after observed_at",
    )


def _range(
    problems: list[RequestProblem],
    columns: dict[str, pa.ChunkedArray],
    name: str,
    low: float,
    high: float,
) -> None:
    if name not in columns:
        return
    values = columns[name]
    _check(
        problems,
        name,
        pc.or_(pc.less(values, low), pc.greater(values, high)),
        f"outside {low:g}..{high:g}",
    )


def _types_mapper(kind: pa.DataType) -> Any:
    # Strings stay Arrow-backed (cheap hashing in features/pricing); numbers become numpy.
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pd.StringDtype("pyarrow")
    return None
