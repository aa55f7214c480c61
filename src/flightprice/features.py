"""The one definition of model inputs, shared by training, batch scoring and the API.

The dbt `ml_` tables hold request columns only; training (`train.run.load_training_frame`),
batch scoring and the API all derive the features here (docs/contracts.md, "Feature
tables"), so a request priced by the API and the same row in
`ANALYTICS.ML_TRAINING_FEATURES` give the model identical inputs. Days to departure and the
load factor count as dbt's marts do (`dbt/macros/features.sql`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

CATEGORICAL_COLUMNS: tuple[str, ...] = (
    "carrier", "origin", "destination", "route", "cabin", "flight_key",
)  # fmt: skip
NUMERIC_COLUMNS: tuple[str, ...] = (
    "stops",
    "duration_minutes",
    "days_to_departure",
    "departure_hour",
    "departure_dow",
    "departure_month",
    "departure_day_of_year",
    "is_weekend_departure",
    "capacity",
    "seats_remaining",
    "load_factor",
)
FEATURE_COLUMNS: tuple[str, ...] = CATEGORICAL_COLUMNS + NUMERIC_COLUMNS
TARGET_COLUMN = "price_usd"
TIME_COLUMN = "observed_at"
# What training reads of ANALYTICS.ML_TRAINING_FEATURES (docs/contracts.md): the key, the
# request columns and the target. The table also holds dbt's transformed_at stamp (when the row
# was written, for incremental runs and their data tests): no request field, never a feature.
TRAINING_TABLE_COLUMNS: tuple[str, ...] = (
    "quote_id", "observed_at", "flight_id", "carrier", "flight_number", "origin", "destination",
    "cabin", "stops", "duration_minutes", "departure_at", "capacity", "seats_remaining",
    TARGET_COLUMN,
)  # fmt: skip

# Raw request fields that derive_request_features needs; capacity and seats_remaining may be
# absent (they are nullable in the contract) and then count as missing.
REQUIRED_RAW_FIELDS: tuple[str, ...] = ("observed_at", "departure_at", "origin", "destination")
OPTIONAL_RAW_FIELDS: tuple[str, ...] = ("capacity", "seats_remaining", "carrier", "flight_number")
# Up to this many rows a categorical is encoded by one dict lookup per row, beyond it by
# hashing its distinct values first.
LOOKUP_ROWS = 256

Columns = Mapping[str, Any]
"""Request or feature columns by name: arrays of one length (see `derive_request_columns`)."""


class FeatureError(ValueError):
    """A frame lacks columns the model needs, or holds values it cannot encode."""


@dataclass(frozen=True)
class FeatureSpec:
    """Model inputs in order, plus the category vocabulary frozen when the model was trained.

    A categorical column is encoded as the position of its value in the vocabulary; XGBoost
    treats that column as categorical (`feature_types` "c"), so order carries no meaning.
    `min_rows` records, per column, the training rows a value needed to enter the vocabulary
    (rarer values are encoded as missing, like unseen ones).
    """

    columns: tuple[str, ...] = FEATURE_COLUMNS
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    min_rows: Mapping[str, int] = field(default_factory=dict)

    @property
    def feature_types(self) -> list[str]:
        return ["c" if c in self.categories else "q" for c in self.columns]

    @cached_property
    def _vocab_positions(self) -> dict[str, dict[str, int]]:
        return {col: {v: i for i, v in enumerate(values)} for col, values in self.categories.items()}

    @cached_property
    def _vocab_index(self) -> dict[str, pd.Index]:
        # A unique Index per column: get_indexer gives each value's position, -1 if absent.
        return {col: pd.Index(self._vocab_positions[col]).astype(str) for col in self.categories}

    @cached_property
    def _vocab_arrow(self) -> dict[str, pa.Array]:
        return {col: pa.array(values, pa.string()) for col, values in self.categories.items()}

    def codes(self, column: str, values: Any) -> np.ndarray:
        """Return each value's vocabulary position as float32; unknown or missing -> NaN."""
        positions = self._vocab_positions[column]
        if len(values) <= LOOKUP_ROWS:
            # An API batch: a dict lookup per row beats hashing the column first.
            codes = np.fromiter(
                (_position(positions, v) for v in values), dtype=np.int64, count=len(values)
            )
        elif (strings := _arrow_strings(values)) is not None:
            # Arrow hashes the vocabulary once and probes every row in C: 0.01 vs ~0.2 CPU-s per
            # 1M rows for a flight-level column (~all distinct per chunk, so hashing the distinct
            # values first saves nothing; benchmarks/README.md, session 6 scoring). Null: absent.
            found = pc.index_in(strings, value_set=self._vocab_arrow[column])
            return found.to_numpy(zero_copy_only=False).astype("float32")
        else:
            # Hash the distinct values, not every row, and look them up in one vectorised call:
            # a flight-level column has ~90k distinct values per 100k-row scoring chunk, and a
            # Python lookup per value cost ~1.6 CPU-s per 1M rows (cProfile of bench_scoring).
            row_codes, uniques = pd.factorize(values)
            lookup = self._vocab_index[column].get_indexer(pd.Index(uniques).astype(str))
            codes = np.where(row_codes >= 0, lookup[row_codes], -1) if len(uniques) else row_codes
        out = codes.astype("float32")
        out[codes < 0] = np.nan
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form stored in model metadata."""
        return {
            "feature_columns": list(self.columns),
            "feature_types": self.feature_types,
            "categories": {k: list(v) for k, v in self.categories.items()},
            "category_min_rows": dict(self.min_rows),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSpec:
        """Rebuild the spec that `to_dict` wrote (models saved before `min_rows` too)."""
        categories = {k: tuple(v) for k, v in data["categories"].items()}
        min_rows = {k: int(v) for k, v in data.get("category_min_rows", {}).items()}
        return cls(columns=tuple(data["feature_columns"]), categories=categories, min_rows=min_rows)


def build_spec(
    frame: pd.DataFrame,
    columns: Sequence[str] = FEATURE_COLUMNS,
    min_rows: Mapping[str, int] | None = None,
) -> FeatureSpec:
    """Freeze the category vocabulary (sorted distinct non-null values) seen in `frame`.

    A column named in `min_rows` keeps only values on at least that many rows of `frame`:
    a flight quoted a handful of times teaches the trees noise, so it shares the missing
    bucket with flights never seen. Only `frame` counts, so pass the training rows alone.
    """
    _require(frame, columns)
    min_rows = {c: int(n) for c, n in (min_rows or {}).items() if c in columns and n > 1}
    categories = {}
    for col in columns:
        if col not in CATEGORICAL_COLUMNS:
            continue
        counts = frame[col].dropna().astype(str).value_counts()
        kept = counts[counts >= min_rows[col]] if col in min_rows else counts
        categories[col] = tuple(sorted(kept.index))
    return FeatureSpec(columns=tuple(columns), categories=categories, min_rows=min_rows)


def to_matrix(data: pd.DataFrame | Columns, spec: FeatureSpec) -> np.ndarray:
    """Encode `data` (a frame, or column name -> array) as the model input: float32, NaN = missing.

    A category outside the frozen vocabulary becomes missing, which the trees route like any
    missing value, so serving never fails on (or mis-encodes) a value training did not see.
    """
    _require(data, spec.columns)
    matrix = np.empty((len(data[spec.columns[0]]), len(spec.columns)), dtype="float32")
    for j, col in enumerate(spec.columns):
        if col in spec.categories:
            matrix[:, j] = spec.codes(col, data[col])
        else:
            matrix[:, j] = _as_float32(data[col], col)
    return matrix


def _arrow_strings(values: Any) -> pa.Array | None:
    """Return `values` as an Arrow string array (missing -> null); None when not all strings."""
    try:
        return pa.array(values, pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def derive_request_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Return `frame` plus the derived features (`derive_features`) as a frame.

    Needs `observed_at`, `departure_at` (UTC; naive or tz-aware), `origin`, `destination`;
    `capacity`, `seats_remaining`, `carrier` and `flight_number` may be absent or null.
    Other columns pass through.
    """
    _require(frame, REQUIRED_RAW_FIELDS)
    observed_at = _utc_timestamps(frame["observed_at"], "observed_at")
    departure_at = _utc_timestamps(frame["departure_at"], "departure_at")
    raw = {
        "observed_at": observed_at.to_numpy(dtype="datetime64[s]"),
        "departure_at": departure_at.to_numpy(dtype="datetime64[s]"),
        # Pandas strings: a null airport gives a null route, and a million rows join in C.
        "origin": frame["origin"].astype("string").array,
        "destination": frame["destination"].astype("string").array,
        **{c: frame[c].astype("string").array for c in ("carrier", "flight_number") if c in frame},
        "seats_remaining": _optional_float64(frame, "seats_remaining"),
        "capacity": _optional_float64(frame, "capacity"),
    }
    derived = {"observed_at": observed_at, "departure_at": departure_at, **derive_features(raw)}
    kept = frame.drop(columns=[c for c in derived if c in frame.columns])
    return pd.concat([kept, pd.DataFrame(derived, index=frame.index)], axis=1)


def derive_request_columns(columns: Columns) -> dict[str, Any]:
    """Return `columns` plus the derived features (`derive_features`); no pandas involved.

    For the API's small batches: `columns` maps each request field to an array, timestamps
    as naive UTC datetime64, numbers as float64, categories as object arrays of str.
    """
    _require(columns, REQUIRED_RAW_FIELDS)
    return {**columns, **derive_features(columns)}


def derive_features(columns: Columns) -> dict[str, Any]:
    """Return the model features derived from request columns (the only place they are).

    `observed_at` and `departure_at` are naive UTC datetime64 arrays; `origin` and
    `destination` support `+ "-"` elementwise (object or pandas string arrays); `capacity`
    and `seats_remaining` are float64 (NaN = unknown) or absent; `carrier` and
    `flight_number` are str arrays (None or NA = unknown) or absent. Inputs are not modified.
    """
    # Whole seconds: SQL date_diff('second', ...) counts second boundaries.
    observed = _seconds(columns["observed_at"], "observed_at")
    departure = _seconds(columns["departure_at"], "departure_at")
    day = departure.astype("datetime64[D]")
    epoch_days = day.astype("int64")
    dow = (epoch_days + 3) % 7 + 1  # ISO: Monday = 1 ... Sunday = 7; 1970-01-01 was a Thursday

    n = len(departure)
    seats = np.asarray(columns.get("seats_remaining", np.full(n, np.nan)), dtype="float64")
    capacity = np.asarray(columns.get("capacity", np.full(n, np.nan)), dtype="float64")
    # As the SQL: a capacity of zero or less has no load factor, like an unknown one.
    capacity = np.where(capacity > 0, capacity, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        load_factor = np.clip(1.0 - seats / capacity, 0.0, 1.0)

    return {
        # As the SQL, division for division (bit-identical doubles):
        # date_diff('second', observed_at, departure_at) / 3600.0 / 24.0.
        "days_to_departure": (departure - observed).astype("int64") / 3600.0 / 24.0,
        "departure_hour": (departure.astype("datetime64[h]") - day).astype("int64"),
        "departure_dow": dow,
        "departure_month": departure.astype("datetime64[M]").astype("int64") % 12 + 1,
        "departure_day_of_year": (day - departure.astype("datetime64[Y]")).astype("int64") + 1,
        "is_weekend_departure": dow >= 6,
        "route": columns["origin"] + "-" + columns["destination"],
        "flight_key": _flight_key(columns, n),
        "capacity": capacity,
        "seats_remaining": seats,
        "load_factor": load_factor,
    }


def _flight_key(columns: Columns, n: int) -> Any:
    """Return carrier + flight number ('BA117'), the flight's identity; missing if either is."""
    carrier, number = columns.get("carrier"), columns.get("flight_number")
    if carrier is None or number is None:
        return np.full(n, None, dtype=object)
    if isinstance(carrier, np.ndarray) or isinstance(number, np.ndarray):
        # An API batch: object arrays where a request without a flight number holds None.
        return np.array(
            [c + f if isinstance(c, str) and isinstance(f, str) else None
             for c, f in zip(carrier, number, strict=True)],
            dtype=object,
        )  # fmt: skip
    return carrier + number  # pandas string arrays: NA propagates


def _require(data: pd.DataFrame | Columns, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in data]
    if missing:
        raise FeatureError(f"missing feature columns: {', '.join(missing)}")


def _position(positions: Mapping[str, int], value: Any) -> int:
    """Return `value`'s vocabulary position; -1 when unknown or missing (as pd.factorize)."""
    if isinstance(value, str):
        return positions.get(value, -1)
    return -1 if pd.isna(value) else positions.get(str(value), -1)


def _utc_timestamps(values: pd.Series, name: str) -> pd.Series:
    """Parse to naive UTC timestamps (the contract's form)."""
    try:
        stamps = pd.to_datetime(values)
    except (ValueError, TypeError) as exc:
        raise FeatureError(f"{name}: not a timestamp ({exc})") from exc
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps


def _seconds(values: np.ndarray, name: str) -> np.ndarray:
    """Return naive UTC timestamps as whole seconds; none may be missing."""
    stamps = np.asarray(values, dtype="datetime64[s]")
    missing = int(np.isnat(stamps).sum())
    if missing:
        raise FeatureError(f"{name}: {missing} missing timestamps")
    return stamps


def _optional_float64(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return _as_float64(frame[name], name)


def _as_float64(values: pd.Series, name: str) -> np.ndarray:
    return _numeric(values, name).to_numpy(dtype="float64", na_value=np.nan).copy()


def _as_float32(values: pd.Series | np.ndarray, name: str) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        return values.astype("float32")
    if not isinstance(values, pd.Series):
        values = pd.Series(values)
    return _numeric(values, name).to_numpy(dtype="float32", na_value=np.nan)


def _numeric(values: pd.Series, name: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("Float64")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values
    try:
        return pd.to_numeric(values)
    except (ValueError, TypeError) as exc:
        raise FeatureError(f"{name}: not numeric ({exc})") from exc
