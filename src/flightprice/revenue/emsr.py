"""EMSR-b protection levels for a fare ladder (Belobaba, 1992; Talluri and van Ryzin, 2004, 2.2).

Classes are ordered from the highest fare down. For j = 1..n-1, classes 1..j are pooled into
one class with the demand-weighted average fare F_j and demand mean S_j (variances add); the
seats protected for them from class j+1 are

    y_j = S_j + sd_j * Phi^-1(1 - f_{j+1} / F_j)        (clipped to [0, capacity])

so class j+1 may sell while more than y_j seats are left.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["emsr_b", "open_class"]


def emsr_b(fares: np.ndarray, mean: np.ndarray, sd: np.ndarray, capacity: float) -> np.ndarray:
    """Return protection levels y_1..y_{n-1} for fares sorted from the highest down."""
    fares, mean, sd = (np.asarray(a, dtype=np.float64) for a in (fares, mean, sd))
    if np.any(np.diff(fares) >= 0):
        raise ValueError("fares must be strictly decreasing (highest class first)")
    pooled_mean = np.cumsum(mean)[:-1]
    pooled_sd = np.sqrt(np.cumsum(sd**2))[:-1]
    weighted = np.cumsum(fares * mean)[:-1] / np.maximum(pooled_mean, 1e-12)
    quantile = stats.norm.ppf(np.clip(1.0 - fares[1:] / weighted, 1e-12, 1 - 1e-12))
    levels = pooled_mean + pooled_sd * quantile
    # Protection levels are nested: a lower class never protects fewer seats than a higher one.
    return np.clip(np.maximum.accumulate(levels), 0.0, capacity)


def open_class(protection: np.ndarray, seats_left: np.ndarray) -> np.ndarray:
    """Return the lowest open class (0 = highest) for each unit's seats left.

    `protection` is (units, n-1); class j+1 is open while seats_left > protection[:, j].
    """
    open_below = seats_left[:, None] > protection
    # Classes open from the top down to the first closed one (protection levels are nested).
    return np.sum(np.cumprod(open_below, axis=1), axis=1)
