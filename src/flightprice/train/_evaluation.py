"""Regression metrics and the two median baselines every model is measured against."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
import xgboost as xgb

from flightprice.features import TARGET_COLUMN, FeatureSpec, to_matrix

# The horizon where mispricing costs most (last-minute demand); guarded separately.
GUARDRAIL_DAYS = 7
GUARDRAIL_METRIC = "mape_dtd_lt_7"
# The metrics every model and baseline is reported with, in display order.
METRIC_KEYS = ("r2", "mae", "rmse", "mape", GUARDRAIL_METRIC)

# Inclusive lower bounds (whole days) of 0-3, 4-7, 8-14, 15-21, 22-30, 31-45, 46-60, 61-90, 90+.
DTD_BUCKET_EDGES = (4, 8, 15, 22, 31, 46, 61, 91)
DTD_BUCKET_LABELS = ("0-3", "4-7", "8-14", "15-21", "22-30", "31-45", "46-60", "61-90", "90+")


# SHAP cost grows with rows x leaves x depth²; a seeded sample keeps reports fast and stable.
SHAP_SAMPLE_ROWS = 5000
SHAP_MIN_ROWS = 500
SHAP_SEED = 0
# Tree SHAP took ~6 ns per row x leaf x leaf depth² (xgboost 3.2, categorical splits included,
# 2 shared cores): this budget is ~10 s, reached by a 1,000-round depth-5 model at ~2,000 rows.
SHAP_WORK = 2_000_000_000


class Predictor(Protocol):
    def predict(self, frame: pd.DataFrame) -> np.ndarray: ...


class Booster(Protocol):
    booster: xgb.Booster
    spec: FeatureSpec
    target_transform: str


def regression_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float | None]:
    """Return MAE, RMSE, MAPE (a fraction, 0.1 = 10%) and R² of `predicted` against `actual`.

    A metric that is undefined on these rows is None: all of them without rows or with a
    non-finite value, R² when the actual prices are all equal (no variance to explain), MAPE
    when a price is zero.
    """
    actual = np.asarray(actual, dtype="float64")
    predicted = np.asarray(predicted, dtype="float64")
    if actual.size == 0 or not (np.isfinite(actual).all() and np.isfinite(predicted).all()):
        return {"mae": None, "rmse": None, "mape": None, "r2": None}
    error = predicted - actual
    total = float(np.sum((actual - actual.mean()) ** 2))
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mape": float(np.mean(np.abs(error) / np.abs(actual))) if np.all(actual != 0) else None,
        "r2": float(1.0 - np.sum(error**2) / total) if total > 0 else None,
    }


def score(predicted: np.ndarray, frame: pd.DataFrame) -> dict[str, Any]:
    """Return the metrics of `predicted` on `frame`, plus the short-horizon guardrail MAPE.

    The same function scores the model, the champion and both baselines. A metric that could
    not be computed is None and `null_reasons` says why (the key is absent when none is).
    """
    actual = frame[TARGET_COLUMN].to_numpy(dtype="float64")
    predicted = np.asarray(predicted, dtype="float64")
    short = frame["days_to_departure"].to_numpy(dtype="float64") < GUARDRAIL_DAYS
    metrics: dict[str, Any] = regression_metrics(actual, predicted)
    metrics[GUARDRAIL_METRIC] = regression_metrics(actual[short], predicted[short])["mape"]
    metrics["rows"] = int(actual.size)
    metrics["rows_dtd_lt_7"] = int(short.sum())
    reasons = _null_reasons(metrics, actual, predicted)
    if reasons:
        metrics["null_reasons"] = reasons
    return metrics


def evaluate(model: Predictor, frame: pd.DataFrame) -> dict[str, Any]:
    """Score `model` on the labelled `frame` (features + `price_usd`)."""
    return score(model.predict(frame), frame)


def shap_importance(
    model: Booster, frame: pd.DataFrame, sample_rows: int = SHAP_SAMPLE_ROWS, seed: int = SHAP_SEED
) -> pd.Series:
    """Return the mean |SHAP value| of every model input on a seeded row sample, largest first.

    XGBoost computes exact tree SHAP values natively (categorical splits included); unlike
    mean gain per split they weigh how often and how much a feature moves each prediction.
    Large boosters use fewer rows (`shap_sample_rows`); `attrs["rows"]` says how many.
    """
    sample_rows = shap_sample_rows(model.booster, sample_rows)
    if len(frame) > sample_rows:
        chosen = np.random.default_rng(seed).choice(len(frame), size=sample_rows, replace=False)
        frame = frame.iloc[np.sort(chosen)]
    columns = list(model.spec.columns)
    matrix = xgb.DMatrix(
        to_matrix(frame, model.spec),
        feature_names=columns,
        feature_types=model.spec.feature_types,
        enable_categorical=True,
        missing=np.nan,
    )
    contributions = model.booster.predict(matrix, pred_contribs=True)
    mean_abs = np.abs(contributions[:, : len(columns)]).mean(axis=0)  # the last column is bias
    values = pd.Series(mean_abs.astype("float64"), index=columns, name="mean_abs_shap")
    values = values.sort_values(ascending=False, kind="stable")
    values.attrs["rows"] = len(frame)
    return values


def shap_sample_rows(booster: xgb.Booster, wanted: int = SHAP_SAMPLE_ROWS) -> int:
    """Return how many rows SHAP may explain within SHAP_WORK (at least SHAP_MIN_ROWS)."""
    # A leaf's depth is its indentation in the text dump.
    cost = sum(
        (len(line) - len(line.lstrip("\t"))) ** 2 + 1
        for tree in booster.get_dump()
        for line in tree.splitlines()
        if "leaf=" in line
    )
    return min(wanted, max(SHAP_MIN_ROWS, SHAP_WORK // max(cost, 1)))


def shap_label(model: Booster) -> str:
    """Return what the SHAP values of `model` measure, for figure axes and table headings."""
    unit = "log-price contribution" if model.target_transform == "log" else "price contribution, USD"
    return f"mean |SHAP value| ({unit})"


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


def _null_reasons(
    metrics: dict[str, Any], actual: np.ndarray, predicted: np.ndarray
) -> dict[str, str]:
    if actual.size == 0:
        return dict.fromkeys(METRIC_KEYS, "no rows to score")
    if not (np.isfinite(actual).all() and np.isfinite(predicted).all()):
        return dict.fromkeys(METRIC_KEYS, "a price or prediction is missing or not finite")
    reasons = {}
    if metrics["r2"] is None:
        reasons["r2"] = "all actual prices are equal: no variance to explain"
    if metrics["mape"] is None:
        reasons["mape"] = "an actual price is zero"
    if metrics[GUARDRAIL_METRIC] is None:
        reasons[GUARDRAIL_METRIC] = (
            f"no rows with days_to_departure < {GUARDRAIL_DAYS}"
            if metrics["rows_dtd_lt_7"] == 0 else reasons.get("mape", "not computable")
        )
    return reasons
