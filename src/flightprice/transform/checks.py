"""The data-quality checks, each with its severity and threshold, and how each is measured.

An `error` check that fails blocks training; a `warn` check is logged with status `warn`
and blocks nothing (dbt's convention for `severity: warn` tests). Thresholds are relative to
the data (the latest delivery against the trailing ones, the data clock against the loads)
or null shares; the few numbers are FLIGHTPRICE_QUALITY_* settings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd

from flightprice.clock import utc_now
from flightprice.settings import Settings
from flightprice.warehouse import Warehouse

Severity = Literal["error", "warn"]

# A feature row without these cannot train a model.
REQUIRED_TRAINING_COLUMNS = (
    "quote_id", "observed_at", "departure_at", "carrier", "flight_number", "origin",
    "destination", "cabin", "stops", "duration_minutes", "price_usd",
)  # fmt: skip
# The folder date of a raw file: raw-data/<feed>/<YYYY-MM-DD>/<name>.
_DELIVERY_DAY = re.compile(r"/(\d{4}-\d{2}-\d{2})/")


@dataclass(frozen=True)
class Outcome:
    """What one measurement found; `passed` is None when it could not be measured."""

    passed: bool | None
    details: str
    metric_value: float | None = None
    failures: int | None = None
    rows_checked: int | None = None


@dataclass(frozen=True)
class Check:
    """One data-quality check: its log name, kind, object, severity and rule in words."""

    kind: str
    object_name: str
    severity: Severity
    rule: str
    column: str = ""

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.object_name}" + (f".{self.column}" if self.column else "")

    def status(self, outcome: Outcome) -> str:
        """Return the DATA_QUALITY_LOG status: a failed `warn` check is `warn`."""
        if outcome.passed:
            return "pass"
        if self.severity == "warn":
            return "warn"
        return "fail" if outcome.passed is False else "error"


CHECKS: tuple[Check, ...] = (
    Check("row_count", "RAW.FARES", "error", "at least one fare"),
    Check("row_count", "RAW.SCHEDULES", "warn",
          "a schedules feed (optional: without one, capacity and load factor are unknown)"),
    Check("row_count", "ANALYTICS.FCT_FARE_OBSERVATION", "error", "at least one row"),
    Check("row_count", "ANALYTICS.FCT_FLIGHT_DAILY", "error", "at least one row"),
    Check("row_count", "ANALYTICS.ML_TRAINING_FEATURES", "error", "at least one row"),
    Check("row_count", "ANALYTICS.ML_SCORING_FEATURES", "warn",
          "at least one flight left to price (none: nothing to score; training unaffected)"),
    Check("delivery_volume", "RAW.FARES", "error",
          "fare rows of the latest delivery day >= QUALITY_MIN_VOLUME_RATIO x the mean of "
          "the deliveries in the QUALITY_TRAILING_DAYS days before it"),
    Check("null_rate", "ANALYTICS.ML_TRAINING_FEATURES", "error",
          "no nulls in " + ", ".join(REQUIRED_TRAINING_COLUMNS), column="required"),
    Check("null_rate", "RAW.FARES", "warn",
          "null share <= QUALITY_MAX_OPTIONAL_NULL_SHARE", column="seats_remaining"),
    Check("null_rate", "ANALYTICS.ML_TRAINING_FEATURES", "warn",
          "null share <= QUALITY_MAX_OPTIONAL_NULL_SHARE", column="capacity"),
    Check("null_rate", "ANALYTICS.FCT_FARE_OBSERVATION", "warn",
          "null share <= QUALITY_MAX_OPTIONAL_NULL_SHARE", column="load_factor"),
    Check("clock", "RAW.FARES", "error",
          "latest observed_at <= latest load + QUALITY_CLOCK_AHEAD_HOURS"),
    Check("freshness", "RAW.LOAD_MANIFEST", "warn",
          "a file loaded in the last QUALITY_FRESHNESS_HOURS"),
)  # fmt: skip


def measure(check: Check, warehouse: Warehouse, settings: Settings) -> Outcome:
    """Measure one check; a query that fails (a missing table) is an unmeasured outcome."""
    try:
        return MEASURES[check.kind](warehouse, check, settings)
    except Exception as exc:  # noqa: BLE001 - a broken table is a failed check, not a crash
        return Outcome(None, str(exc).splitlines()[0])


def _row_count(warehouse: Warehouse, check: Check, settings: Settings) -> Outcome:
    (count,) = warehouse.query_df(f"SELECT COUNT(*) AS n FROM {check.object_name}").iloc[0]
    count = int(count)
    details = f"empty; expected {check.rule}" if count == 0 else f"{count:,} rows"
    return Outcome(count > 0, details, float(count), 0 if count else 1, count)


def _delivery_volume(warehouse: Warehouse, check: Check, settings: Settings) -> Outcome:
    files = warehouse.query_df(
        "SELECT path, rows_loaded, loaded_at FROM RAW.LOAD_MANIFEST WHERE feed = 'fares'"
    )
    if files.empty:
        return Outcome(False, "no fares file has been loaded")
    files.columns = [c.lower() for c in files.columns]
    days = files.apply(_delivery_day, axis=1)
    rows_by_day = files["rows_loaded"].astype("int64").groupby(days).sum().sort_index()
    latest_day, latest = rows_by_day.index[-1], int(rows_by_day.iloc[-1])
    window = pd.Timedelta(days=settings.quality_trailing_days)
    earlier = rows_by_day[(rows_by_day.index < latest_day)
                          & (rows_by_day.index >= latest_day - window)]  # fmt: skip
    if earlier.empty:
        return Outcome(True, f"{latest:,} rows on {latest_day}; no earlier delivery to compare",
                       rows_checked=latest)  # fmt: skip
    mean = float(earlier.mean())
    ratio = latest / mean if mean else 1.0
    return Outcome(
        ratio >= settings.quality_min_volume_ratio,
        f"{latest:,} rows on {latest_day} = {ratio:.0%} of the mean of {len(earlier)} earlier "
        f"delivery day(s) ({mean:,.0f}); limit {settings.quality_min_volume_ratio:.0%}",
        round(ratio, 6), rows_checked=latest,
    )  # fmt: skip


def _delivery_day(file: pd.Series) -> date:
    """Return a file's delivery day: its folder date, else the day it was loaded."""
    match = _DELIVERY_DAY.search(str(file["path"]))
    return date.fromisoformat(match.group(1)) if match else pd.Timestamp(file["loaded_at"]).date()


def _null_rate(warehouse: Warehouse, check: Check, settings: Settings) -> Outcome:
    required = check.column == "required"
    columns = REQUIRED_TRAINING_COLUMNS if required else (check.column,)
    counts = ", ".join(f"COUNT(*) - COUNT({c}) AS {c}" for c in columns)
    frame = warehouse.query_df(f"SELECT COUNT(*) AS n, {counts} FROM {check.object_name}")
    frame.columns = [c.lower() for c in frame.columns]
    n = int(frame.iloc[0]["n"])
    nulls = {c: int(frame.iloc[0][c]) for c in columns}
    limit = 0.0 if required else settings.quality_max_optional_null_share
    worst = max(nulls, key=nulls.get)
    rate = nulls[worst] / n if n else 0.0
    if required:
        bad = [f"{c} {k:,}" for c, k in nulls.items() if k]
        details = "nulls in " + ", ".join(bad) if bad else "no nulls"
    else:
        details = f"null share {rate:.2%}, limit {limit:.0%}"
    return Outcome(rate <= limit, details, round(rate, 6), sum(nulls.values()), n)


def _clock(warehouse: Warehouse, check: Check, settings: Settings) -> Outcome:
    frame = warehouse.query_df(
        f"SELECT MAX(observed_at) AS clock, MAX(_loaded_at) AS loaded FROM {check.object_name}"
    )
    clock, loaded = frame.iloc[0, 0], frame.iloc[0, 1]
    if pd.isna(clock):
        return Outcome(True, "no observations")
    hours = (pd.Timestamp(clock) - pd.Timestamp(loaded)).total_seconds() / 3600
    return Outcome(
        hours <= settings.quality_clock_ahead_hours,
        f"data clock {pd.Timestamp(clock):%Y-%m-%d %H:%M} is {hours:+.1f} h from the latest "
        f"load {pd.Timestamp(loaded):%Y-%m-%d %H:%M}; limit +{settings.quality_clock_ahead_hours:g} h",
        round(hours, 3),
    )  # fmt: skip


def _freshness(warehouse: Warehouse, check: Check, settings: Settings) -> Outcome:
    last = warehouse.query_df(f"SELECT MAX(loaded_at) AS last FROM {check.object_name}").iloc[0, 0]
    if pd.isna(last):
        return Outcome(False, "no file has ever been loaded")
    # The warehouse stores naive UTC.
    hours = (utc_now() - pd.Timestamp(last, tz="UTC")).total_seconds() / 3600
    return Outcome(hours <= settings.quality_freshness_hours,
                   f"last file loaded {hours:.1f} h ago", round(hours, 3))  # fmt: skip


MEASURES: dict[str, Callable[[Warehouse, Check, Settings], Outcome]] = {
    "row_count": _row_count,
    "delivery_volume": _delivery_volume,
    "null_rate": _null_rate,
    "clock": _clock,
    "freshness": _freshness,
}
