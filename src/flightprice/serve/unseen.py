"""Which inputs of a request the model never saw in training, and what to do about them.

A categorical value outside the model's training vocabulary (`FeatureSpec.categories`) is
priced as a missing value, which the trees route somewhere plausible but uninformed. Every
quote says so (`unseen`, `confidence`), and FLIGHTPRICE_UNSEEN_POLICY chooses what happens:

- `price` (default): the model's price, flagged.
- `baseline`: when the route and cabin are known but something else is unseen (the carrier,
  an airport pair's carrier; the flight key alone is only flagged), the market fare is the route x cabin median price of the training rows;
  otherwise (or for a model trained before the medians were stored) price and flag.
- `refuse`: the API answers 422 naming the unseen inputs; batch scoring skips those rows.

Confidence: `high` nothing unseen; `low` the route, carrier or cabin unseen (an airport
unseen makes its route unseen); `medium` anything else unseen (the flight key, say).
A missing value (no flight number) counts as unseen: the model did not get that input.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from flightprice.features import Columns

if TYPE_CHECKING:
    import pandas as pd

    from flightprice.train.model import LoadedModel

log = logging.getLogger(__name__)

UnseenPolicy = Literal["price", "baseline", "refuse"]
UNSEEN_POLICIES: tuple[str, ...] = ("price", "baseline", "refuse")
LOW_CONFIDENCE_INPUTS = ("route", "carrier", "cabin")
# Flagged, but no reason to fall back or refuse: a flight enters the vocabulary only with
# enough training rows (FLIGHTPRICE_FLIGHT_MIN_ROWS), so most new or rare flights are
# "unseen" while route, carrier and time still price them well.
FLAG_ONLY_INPUTS = ("flight_key",)
FARE_SOURCES = ("model", "baseline")


@dataclass(frozen=True, eq=False)
class UnseenInputs:
    """Per row: the unseen input names (comma-joined, "" for none) and the confidence."""

    unseen: np.ndarray  # object array of str
    confidence: np.ndarray  # object array of "high" | "medium" | "low"
    masks: dict[str, np.ndarray]  # input name -> bool per row: unseen
    # The distinct patterns, and each row's index into them: columnar writers (Arrow) take
    # from these, as building a column from 100k Python strings costs ~15 ms per column.
    pattern_unseen: tuple[str, ...] = ()
    pattern_confidence: tuple[str, ...] = ()
    pattern_index: np.ndarray | None = None

    @property
    def any(self) -> np.ndarray:
        """Return a bool mask of the rows with something unseen."""
        return self.confidence != "high"

    @property
    def actionable(self) -> np.ndarray:
        """Return a bool mask of the rows the unseen policy acts on (not flag-only inputs)."""
        acting = [mask for name, mask in self.masks.items() if name not in FLAG_ONLY_INPUTS]
        return np.logical_or.reduce(acting) if acting else np.zeros(len(self.unseen), bool)

    def names(self, row: int) -> list[str]:
        """Return the unseen input names of one row."""
        text = self.unseen[row]
        return text.split(",") if text else []


def unseen_inputs(
    model: LoadedModel, features: pd.DataFrame | Columns, matrix: np.ndarray | None = None
) -> UnseenInputs:
    """Flag, row by row, the categorical inputs whose value is not in the training vocabulary.

    `matrix`, the rows already encoded by `features.to_matrix`, saves encoding them again.
    """
    spec = model.spec
    # A categorical with an empty vocabulary (e.g. no flight had enough training rows) never
    # informed the model: nothing to flag for it.
    names = [c for c in spec.columns if spec.categories.get(c)]
    n = len(features[spec.columns[0]])
    if matrix is None:
        masks = {name: np.isnan(spec.codes(name, features[name])) for name in names}
    else:
        masks = {name: np.isnan(matrix[:, spec.columns.index(name)]) for name in names}
    pattern = np.zeros(n, dtype=np.int64)
    for bit, name in enumerate(names):
        pattern |= masks[name].astype(np.int64) << bit
    # A batch holds few distinct patterns: name each once, then spread them to the rows.
    uniques, inverse = np.unique(pattern, return_inverse=True)
    text, level = [], []
    for value in uniques.tolist():
        flagged = [name for bit, name in enumerate(names) if value >> bit & 1]
        text.append(",".join(flagged))
        level.append(_confidence(flagged))
    inverse = inverse.reshape(-1)
    return UnseenInputs(
        np.asarray(text, dtype=object)[inverse], np.asarray(level, dtype=object)[inverse], masks,
        tuple(text), tuple(level), inverse,
    )  # fmt: skip


def baseline_fares(
    model: LoadedModel, features: pd.DataFrame | Columns, flags: UnseenInputs
) -> np.ndarray:
    """Return the route x cabin training median of each flagged row that has one, else NaN."""
    n = len(flags.unseen)
    fares = np.full(n, np.nan)
    medians = model.route_cabin_medians
    if medians is None:
        _warn_no_medians(model)
        return fares
    known = [~flags.masks[name] for name in ("route", "cabin") if name in flags.masks]
    rows = np.flatnonzero(np.logical_and.reduce([flags.actionable, *known]))
    if rows.size:
        # Positional arrays: a frame's index may not be 0..n-1.
        routes = np.asarray(features["route"], dtype=object)[rows]
        cabins = np.asarray(features["cabin"], dtype=object)[rows]
        fares[rows] = [medians.get((str(r), str(c)), np.nan) for r, c in zip(routes, cabins)]
    return fares


def _confidence(flagged: list[str]) -> str:
    if not flagged:
        return "high"
    return "low" if any(name in LOW_CONFIDENCE_INPUTS for name in flagged) else "medium"


_warned: set[str] = set()


def _warn_no_medians(model: LoadedModel) -> None:
    # Once per model: a model trained before the medians were stored prices and flags.
    if model.version not in _warned:
        _warned.add(model.version)
        log.warning(
            "model %s has no route x cabin medians (trained before they were stored): "
            "FLIGHTPRICE_UNSEEN_POLICY=baseline prices and flags instead",
            model.version,
        )
