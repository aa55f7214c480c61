"""Planted bad rows of the realistic profile: one broken cell (or pair of times) per row.

Every kind breaks exactly one thing a real feed gets wrong, so a test of ingest can check that
each is rejected with a reason naming the column and value. Time kinds shift epoch seconds
before rendering (the row stays a well-formed timestamp); text kinds replace rendered cells.
"""

from __future__ import annotations

import numpy as np

DAY = 86400
TIME_KINDS = ("observed_after_departure", "observed_in_future", "departure_beyond_horizon")
TEXT_KINDS = (
    "empty_required", "bad_cabin", "bad_carrier_code", "bad_airport_code",
    "same_origin_destination", "negative_price", "zero_price", "non_numeric_price",
    "nan_number", "unknown_currency", "bad_timestamp", "duplicate_quote_id",
    "stops_out_of_range", "fractional_stops", "negative_seats", "non_positive_duration",
)  # fmt: skip
KINDS = TIME_KINDS + TEXT_KINDS
REQUIRED = ("quote_id", "observed_at", "carrier", "flight_number", "origin", "destination",
            "departure_at", "cabin", "stops", "duration_minutes", "price", "currency")  # fmt: skip
_YEAR_2099 = (np.datetime64("2099-01-01", "s") - np.datetime64("2026-01-01", "s")).astype(int)


def shift_times(
    kinds: list[str], rows: list[int], observed: np.ndarray, departure: np.ndarray,
    rng: np.random.Generator,
) -> dict[int, str]:  # fmt: skip
    """Break the times of `rows` whose kind is a time kind, in place; return row -> column."""
    broken = {}
    for kind, row in zip(kinds, rows):
        if kind == "observed_after_departure":
            # The flight left 1-48 hours before it was quoted; observed_at stays on its day.
            departure[row] = observed[row] - int(rng.integers(12, 577)) * 300
            broken[row] = "observed_at"
        elif kind == "observed_in_future":
            # A clock 73 years fast: departure moves with it, so only the date gives it away.
            observed[row] += _YEAR_2099
            departure[row] += _YEAR_2099
            broken[row] = "observed_at"
        elif kind == "departure_beyond_horizon":
            departure[row] = observed[row] + int(rng.integers(420, 701)) * DAY
            broken[row] = "departure_at"
    return broken


def break_cells(
    columns: dict[str, np.ndarray], kinds: list[str], rows: list[int], good: np.ndarray,
    rng: np.random.Generator,
) -> dict[int, str]:  # fmt: skip
    """Break one rendered cell of each text-kind row, in place; return row -> column.

    `columns` are object arrays of text (None is an empty cell); `good` lists rows that may
    lend their quote_id to a duplicate.
    """
    broken = {}
    for kind, row in zip(kinds, rows):
        if kind not in TEXT_KINDS:
            continue
        column, value = _broken_cell(kind, row, columns, good, rng)
        columns[column][row] = value
        broken[row] = column
    return broken


def _broken_cell(
    kind: str, row: int, columns: dict[str, np.ndarray], good: np.ndarray,
    rng: np.random.Generator,
) -> tuple[str, str | None]:  # fmt: skip
    """Return the column to break and its bad value."""
    def pick(*options: str) -> str:
        return str(options[int(rng.integers(len(options)))])

    if kind == "empty_required":
        return pick(*REQUIRED), None
    if kind == "bad_cabin":
        return "cabin", pick("coach", "Economy", "J", "business class")
    if kind == "bad_carrier_code":
        return "carrier", pick("u", "U-A", "LUFT", "1")
    if kind == "bad_airport_code":
        column = pick("origin", "destination")
        return column, pick("lhr", "L1R", "LONX", "JF", columns[column][row].lower())
    if kind == "same_origin_destination":
        return "destination", columns["origin"][row]
    if kind == "negative_price":
        return "price", "-" + columns["price"][row]
    if kind == "zero_price":
        return "price", pick("0", "0.00")
    if kind == "non_numeric_price":
        return "price", pick("n/a", "TBD", "USD 99", "12O.50")
    if kind == "nan_number":
        return pick("price", "duration_minutes"), pick("NaN", "nan")
    if kind == "unknown_currency":
        return "currency", pick("XXX", "usd", "RUR", "EURO")
    if kind == "bad_timestamp":
        column = pick("observed_at", "departure_at")
        stamp = str(columns[column][row])
        # Day-first dates and a month 13: both fail any ISO 8601 parser.
        day_first = f"{stamp[8:10]}/{stamp[5:7]}/{stamp[:4]} {stamp[11:16]}"
        return column, pick(day_first, stamp[:5] + "13" + stamp[7:])
    if kind == "duplicate_quote_id":
        # A duplicate is the later occurrence (ingest keeps the first): lend from above.
        earlier = good[good < row] if (good < row).any() else good
        lender = int(earlier[rng.integers(len(earlier))])
        return "quote_id", columns["quote_id"][lender]
    if kind == "stops_out_of_range":
        return "stops", pick("-1", "99")
    if kind == "fractional_stops":
        return "stops", "1.5"
    if kind == "negative_seats":
        return "seats_remaining", pick("-1", "-12")
    if kind == "non_positive_duration":
        return "duration_minutes", pick("0", "-95")
    raise ValueError(f"unknown bad-row kind {kind!r}")
