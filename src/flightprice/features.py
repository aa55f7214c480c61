"""The one definition of model inputs, shared by training, batch scoring and the API.

Calendar and ratio features are derived here exactly as the dbt `ml_` models define them
(docs/contracts.md, "Feature tables"), so a request priced by the API and the same row in
`ANALYTICS.ML_TRAINING_FEATURES` give the model identical inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

CATEGORICAL_COLUMNS: tuple[str, ...] = ("carrier", "origin", "destination", "route", "cabin")
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

# Raw request fields that derive_request_features needs; capacity and seats_remaining may be
# absent (they are nullable in the contract) and then count as missing.
REQUIRED_RAW_FIELDS: tuple[str, ...] = ("observed_at", "departure_at", "origin", "destination")
OPTIONAL_RAW_FIELDS: tuple[str, ...] = ("capacity", "seats_remaining")


class FeatureError(ValueError):
    """A frame lacks columns the model needs, or holds values it cannot encode."""


@dataclass(frozen=True)
class FeatureSpec:
    """Model inputs in order, plus the category vocabulary frozen when the model was trained."""

    columns: tuple[str, ...] = FEATURE_COLUMNS
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def categorical(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c in self.categories)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form stored in model metadata."""
        return {
            "feature_columns": list(self.columns),
            "categories": {k: list(v) for k, v in self.categories.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSpec:
        """Rebuild the spec that `to_dict` wrote."""
        categories = {k: tuple(v) for k, v in data["categories"].items()}
        return cls(columns=tuple(data["feature_columns"]), categories=categories)


def build_spec(frame: pd.DataFrame, columns: Sequence[str] = FEATURE_COLUMNS) -> FeatureSpec:
    """Freeze the category vocabulary (sorted distinct non-null values) seen in `frame`."""
    _require(frame, columns)
    categories = {
        col: tuple(sorted(str(v) for v in frame[col].dropna().unique()))
        for col in columns
        if col in CATEGORICAL_COLUMNS
    }
    return FeatureSpec(columns=tuple(columns), categories=categories)


def to_matrix(frame: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """Encode `frame` as the model's input: spec order, frozen categoricals, float32 numerics.

    A category outside the frozen vocabulary becomes missing, which the trees route like any
    missing value; it never reaches XGBoost as an unknown category (that would raise).
    """
    _require(frame, spec.columns)
    encoded: dict[str, Any] = {}
    for col in spec.columns:
        values = frame[col]
        if col in spec.categories:
            encoded[col] = pd.Categorical(
                values.astype("string"), categories=list(spec.categories[col])
            )
        else:
            encoded[col] = _as_float32(values, col)
    return pd.DataFrame(encoded, index=frame.index)


def derive_request_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Return `frame` plus the derived features, computed as the dbt `ml_` models do.

    Needs `observed_at`, `departure_at` (UTC; naive or tz-aware), `origin`, `destination`;
    `capacity` and `seats_remaining` may be absent or null. Other columns pass through.
    """
    _require(frame, REQUIRED_RAW_FIELDS)
    out = frame.copy()
    observed = _utc_naive(out["observed_at"], "observed_at")
    departure = _utc_naive(out["departure_at"], "departure_at")
    out["observed_at"] = observed
    out["departure_at"] = departure

    # Exact elapsed time in days: the SQL is epoch(departure_at - observed_at) / 86400.
    out["days_to_departure"] = (departure - observed) / pd.Timedelta(days=1)
    out["departure_hour"] = departure.dt.hour.astype("int64")
    dow = departure.dt.dayofweek.astype("int64") + 1  # ISO: Monday = 1 ... Sunday = 7
    out["departure_dow"] = dow
    out["departure_month"] = departure.dt.month.astype("int64")
    out["departure_day_of_year"] = departure.dt.dayofyear.astype("int64")
    out["is_weekend_departure"] = dow >= 6
    out["route"] = out["origin"].astype("string") + "-" + out["destination"].astype("string")

    for col in OPTIONAL_RAW_FIELDS:
        if col not in out.columns:
            out[col] = np.nan
    seats = _as_float64(out["seats_remaining"], "seats_remaining")
    capacity = _as_float64(out["capacity"], "capacity")
    # A zero capacity has no meaningful load factor: missing, like a missing capacity.
    capacity[capacity <= 0] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        load = np.clip(1.0 - seats / capacity, 0.0, 1.0)
    out["load_factor"] = load
    return out


def _require(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FeatureError(f"missing feature columns: {', '.join(missing)}")


def _utc_naive(values: pd.Series, name: str) -> pd.Series:
    try:
        stamps = pd.to_datetime(values)
    except (ValueError, TypeError) as exc:
        raise FeatureError(f"{name}: not a timestamp ({exc})") from exc
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps


def _as_float64(values: pd.Series, name: str) -> np.ndarray:
    return _numeric(values, name).to_numpy(dtype="float64", na_value=np.nan).copy()


def _as_float32(values: pd.Series, name: str) -> np.ndarray:
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
