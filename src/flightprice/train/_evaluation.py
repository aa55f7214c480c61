"""Regression metrics and the two median baselines every model is measured against."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from flightprice.features import TARGET_COLUMN

# The horizon where mispricing costs most (last-minute demand); guarded separately.
GUARDRAIL_DAYS = 7
GUARDRAIL_METRIC = "mape_dtd_lt_7"

# Inclusive lower bounds (whole days) of 0-3, 4-7, 8-14, 15-21, 22-30, 31-45, 46-60, 61-90, 90+.
DTD_BUCKET_EDGES = (4, 8, 15, 22, 31, 46, 61, 91)
DTD_BUCKET_LABELS = ("0-3", "4-7", "8-14", "15-21", "22-30", "31-45", "46-60", "61-90", "90+")


class Predictor(Protocol):
    def predict(self, frame: pd.DataFrame) -> np.ndarray: ...


def regression_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float | None]:
    """Return MAE, RMSE, MAPE (a fraction, 0.1 = 10%) and R² of `predicted` against `actual`."""
    actual = np.asarray(actual, dtype="float64")
    predicted = np.asarray(predicted, dtype="float64")
    if actual.size == 0:
        return {"mae": None, "rmse": None, "mape": None, "r2": None}
    error = predicted - actual
    total = float(np.sum((actual - actual.mean()) ** 2))
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mape": float(np.mean(np.abs(error) / np.abs(actual))),
        "r2": float(1.0 - np.sum(error**2) / total) if total > 0 else None,
    }


def score(predicted: np.ndarray, frame: pd.DataFrame) -> dict[str, Any]:
    """Return the metrics of `predicted` on `frame`, plus the short-horizon guardrail MAPE."""
    actual = frame[TARGET_COLUMN].to_numpy(dtype="float64")
    predicted = np.asarray(predicted, dtype="float64")
    short = frame["days_to_departure"].to_numpy(dtype="float64") < GUARDRAIL_DAYS
    metrics: dict[str, Any] = regression_metrics(actual, predicted)
    metrics[GUARDRAIL_METRIC] = regression_metrics(actual[short], predicted[short])["mape"]
    metrics["rows"] = int(actual.size)
    metrics["rows_dtd_lt_7"] = int(short.sum())
    return metrics


def evaluate(model: Predictor, frame: pd.DataFrame) -> dict[str, Any]:
    """Score `model` on the labelled `frame` (features + `price_usd`)."""
    return score(model.predict(frame), frame)


def dtd_bucket(days_to_departure: pd.Series | np.ndarray) -> np.ndarray:
    """Return the days-to-departure bucket label of each value (negative days fall in 0-3)."""
    whole_days = np.floor(np.asarray(days_to_departure, dtype="float64"))
    index = np.searchsorted(DTD_BUCKET_EDGES, whole_days, side="right")
    return np.asarray(DTD_BUCKET_LABELS, dtype=object)[index]


@dataclass(frozen=True)
class MedianBaseline:
    """Median train price per key, falling back to ever coarser keys, then the global median."""

    name: str
    levels: tuple[tuple[str, ...], ...]  # finest first
    tables: tuple[pd.Series, ...]
    global_median: float

    @classmethod
    def fit(cls, name: str, train: pd.DataFrame, levels: Sequence[Sequence[str]]) -> MedianBaseline:
        keyed = _with_bucket(train)
        keyed[TARGET_COLUMN] = train[TARGET_COLUMN].to_numpy(dtype="float64")
        tables = tuple(
            keyed.groupby(list(level), observed=True, sort=False)[TARGET_COLUMN].median()
            for level in levels
        )
        return cls(
            name, tuple(tuple(lv) for lv in levels), tables, float(train[TARGET_COLUMN].median())
        )

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        keyed = _with_bucket(frame)
        result = np.full(len(frame), np.nan)
        for level, table in zip(self.levels, self.tables, strict=True):
            todo = np.isnan(result)
            if not todo.any():
                break
            keys = keyed.loc[todo, list(level)]
            index = pd.Index(keys[level[0]]) if len(level) == 1 else pd.MultiIndex.from_frame(keys)
            result[todo] = table.reindex(index).to_numpy(dtype="float64", na_value=np.nan)
        return np.where(np.isnan(result), self.global_median, result)


def fit_baselines(train: pd.DataFrame) -> dict[str, MedianBaseline]:
    """Fit the route*cabin and route*cabin*days-to-departure-bucket median baselines."""
    return {
        "route_cabin_median": MedianBaseline.fit(
            "route_cabin_median", train, [("route", "cabin"), ("cabin",)]
        ),
        "route_cabin_dtd_median": MedianBaseline.fit(
            "route_cabin_dtd_median",
            train,
            [
                ("route", "cabin", "dtd_bucket"),
                ("route", "cabin"),
                ("cabin", "dtd_bucket"),
                ("cabin",),
            ],
        ),
    }


def _with_bucket(frame: pd.DataFrame) -> pd.DataFrame:
    keyed = frame[["route", "cabin", "days_to_departure"]].copy()
    keyed["route"] = keyed["route"].astype("string")
    keyed["cabin"] = keyed["cabin"].astype("string")
    keyed["dtd_bucket"] = dtd_bucket(keyed["days_to_departure"])
    return keyed
