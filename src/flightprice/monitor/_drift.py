"""Input and output drift as population stability (PSI) and shares of unseen inputs.

Written here rather than with Evidently, the library most users know for it: its 0.7.x
import fails on pandas 3, which this project runs. PSI over fixed bins is a few lines.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from flightprice.serve.unseen import LOW_CONFIDENCE_INPUTS

_FLOOR = 1e-4  # an empty bin would make PSI infinite; the usual floor for its shares
_BINS = 10


@dataclass(frozen=True)
class Check:
    """One MODEL_MONITORING row: a measured value and, when it can alert, its threshold."""

    kind: str  # input_drift | unseen | output_drift | accuracy
    name: str
    metric: str  # psi | share | mape
    value: float | None
    threshold: float | None = None
    rows: int | None = None

    @property
    def breached(self) -> bool:
        return self.threshold is not None and self.value is not None and self.value > self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "breached": self.breached}


def population_stability(expected: np.ndarray, actual: np.ndarray) -> float:
    """Return the PSI of two share vectors over the same bins: sum((a - e) * ln(a / e))."""
    e = np.clip(np.asarray(expected, "float64"), _FLOOR, None)
    a = np.clip(np.asarray(actual, "float64"), _FLOOR, None)
    return float(np.sum((a - e) * np.log(a / e)))


def shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Return the share of `values` in each bin cut at `edges` (as train/_reference.py bins)."""
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    return counts / max(values.size, 1)


def input_drift(reference: dict[str, Any], features: pd.DataFrame, threshold: float) -> list[Check]:
    """Compare the scored rows' numeric features with the champion's training bins."""
    checks = []
    for name, ref in reference.items():
        if name not in features.columns:
            continue
        values = pd.to_numeric(features[name], errors="coerce").dropna().to_numpy("float64")
        if values.size == 0:
            continue
        current = shares(values, np.asarray(ref["edges"], "float64"))
        checks.append(Check("input_drift", name, "psi",
                            population_stability(ref["shares"], current), threshold, values.size))  # fmt: skip
    return checks


def unseen_shares(counts: dict[str, int], rows: int, threshold: float) -> list[Check]:
    """Return the share of scored rows with each low-confidence input unseen, and any of them."""
    names = [*LOW_CONFIDENCE_INPUTS, "any"]
    return [Check("unseen", name, "share", counts.get(name, 0) / rows if rows else None,
                  threshold, rows) for name in names]  # fmt: skip


def output_drift(current: pd.DataFrame, earlier: pd.DataFrame, threshold: float) -> list[Check]:
    """Compare this run's market fares and prices with the earlier runs' (their decile bins)."""
    checks = []
    for name in ("market_fare_usd", "price_usd"):
        if earlier.empty or current.empty:
            checks.append(Check("output_drift", name, "psi", None, threshold, len(current)))
            continue
        before = earlier[name].to_numpy("float64")
        edges = np.unique(np.quantile(before, np.linspace(0, 1, _BINS + 1))[1:-1])
        value = population_stability(shares(before, edges),
                                     shares(current[name].to_numpy("float64"), edges))  # fmt: skip
        checks.append(Check("output_drift", name, "psi", value, threshold, len(current)))
    return checks
