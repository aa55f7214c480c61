"""The fitted model as training and serving see it: a booster, its feature spec, predict()."""

from __future__ import annotations

import dataclasses
import platform
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata as importlib_metadata
from typing import Any, Self

import numpy as np
import pandas as pd
import xgboost as xgb

from flightprice.features import TARGET_COLUMN, Columns, FeatureSpec, to_matrix

FORMAT_VERSION = 1
SERIAL_PREDICT_ROWS = 256  # at most this many rows are scored on one thread


@dataclass
class _Model:
    booster: xgb.Booster
    spec: FeatureSpec
    target_transform: str
    _serial: xgb.Booster | None = field(default=None, init=False, repr=False, compare=False)

    def predict(self, features: pd.DataFrame | Columns) -> np.ndarray:
        """Return the predicted price_usd of each row of `features` (a frame or its columns)."""
        return self.predict_matrix(to_matrix(features, self.spec))

    def predict_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """Return the predicted price_usd of each row of an encoded matrix (`to_matrix`)."""
        booster = self._serial_booster() if len(matrix) <= SERIAL_PREDICT_ROWS else self.booster
        raw = np.asarray(booster.inplace_predict(matrix, missing=np.nan), dtype="float64")
        return np.exp(raw) if self.target_transform == "log" else raw

    def on_threads(self, threads: int) -> Self:
        """Return this model predicting on `threads` threads; this one keeps its settings."""
        return dataclasses.replace(self, booster=self._booster_on(threads))

    def _serial_booster(self) -> xgb.Booster:
        # Waking a thread pool costs far more than scoring a handful of rows (API requests).
        if self._serial is None:
            self._serial = self._booster_on(1)
        return self._serial

    def _booster_on(self, threads: int) -> xgb.Booster:
        booster = self.booster.copy()  # the loaded model may be shared (the API's)
        booster.set_param({"nthread": threads})
        return booster


@dataclass
class TrainedModel(_Model):
    """A freshly trained booster with everything its metadata will record."""

    params: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    early_stopping: dict[str, Any] = field(default_factory=dict)
    window: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)
    reference: dict[str, Any] = field(default_factory=dict)  # train/_reference.py
    search: dict[str, Any] | None = None  # train/_search.py: SearchResult.summary()
    # The champion scored on this model's holdout rows (`train_model(champion=...)`); not saved.
    champion_metrics: dict[str, Any] | None = None
    timing: dict[str, Any] | None = None  # train/_phases.py: the phases up to saving

    @property
    def metadata(self) -> dict[str, Any]:
        """The JSON-ready description of this model, without version and checksum."""
        return {
            "format_version": FORMAT_VERSION,
            **self.spec.to_dict(),
            "target": TARGET_COLUMN,
            "target_transform": self.target_transform,
            "params": self.params,
            "training_options": self.options,
            "search": self.search,
            "best_iteration": _best_iteration(self.booster),
            "num_boosted_rounds": self.booster.num_boosted_rounds(),
            "early_stopping": self.early_stopping,
            "training_window": self.window,
            "row_counts": self.rows,
            "metrics": self.metrics,
            "baselines": self.baselines,
            **self.reference,
            "feature_importance_gain": self.booster.get_score(importance_type="gain"),
            "timing": self.timing,
            "library_versions": _library_versions(),
        }


@dataclass
class LoadedModel(_Model):
    """A stored model version, checksum verified, ready to predict."""

    version: str = ""
    sha256: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def route_cabin_medians(self) -> dict[tuple[str, str], float] | None:
        """Return the training median price by (route, cabin); None for models without it."""
        table = self.metadata.get("route_cabin_medians")
        if not table:
            return None
        keys = zip(table["route"], table["cabin"], strict=True)
        return dict(zip(keys, table["median_price_usd"], strict=True))

    @property
    def known_flight(self) -> dict[str, Any] | None:
        """Return the most quoted training flight (request fields); None for older models."""
        return self.metadata.get("known_flight")


def _best_iteration(booster: xgb.Booster) -> int:
    attr = booster.attr("best_iteration")
    return int(attr) if attr is not None else booster.num_boosted_rounds() - 1


def _library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for dist in ("flightprice", "xgboost-cpu", "xgboost", "numpy", "pandas", "pyarrow"):
        try:
            versions[dist] = importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            continue
    versions["xgboost"] = xgb.__version__
    return versions
