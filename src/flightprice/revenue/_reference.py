"""The price reference a warehouse fit compares prices with: the market fare, or it per flight.

The fare model's market fare errs, and its error is mostly a level per flight and cabin (a
departure the model prices a few percent high on every day it is on sale). The fit's
regressor, price / market fare, then carries that error beside the price's own variation, and
an error in a regressor flattens the fitted response (errors in variables): on the synthetic
feed the price response came out about two thirds as steep as the truth, which cost `optimal`
revenue (benchmarks/README.md, "Session 7: revenue from the fitted demand").

`flight_level` estimates each row's level from the *other* sale days of its flight and cabin
(the mean log price / market fare, shrunk towards its group by an empirical-Bayes factor
estimated from the history: within-flight against between-flight variance), centred within
the group so the reference stays the market fare on average. `fit_with_reference` fits demand
against the market fare and against the market fare times that level, and keeps the one with
the least held-out deviance: the data choose. A seller whose prices differ between flights on
purpose keeps the plain reference (that variation is then what identifies the response).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flightprice.revenue.estimate import DemandModel, fit_demand

__all__ = ["REFERENCES", "fit_with_reference", "flight_level"]

REFERENCES = ("market fare", "market fare x flight level")


def flight_level(flight: np.ndarray, group: np.ndarray, log_ratio: np.ndarray) -> np.ndarray:
    """Return each row's shrunk leave-one-out level of log(price / market fare), (n,)."""
    frame = pd.DataFrame({"flight": flight, "group": group, "x": log_ratio})
    by = frame.groupby("flight", sort=False)["x"]
    n, total = by.transform("size").to_numpy(np.float64), by.transform("sum").to_numpy()
    mean = total / n
    several = n > 1
    if not several.any():
        return np.zeros(len(frame))
    # Within-flight variance (the price's own variation), pooled; between: what is left.
    first = ~frame["flight"].duplicated().to_numpy()
    within = float(np.sum((log_ratio - mean)[several] ** 2) / np.sum(n[first] - 1.0))
    between = max(float(np.var(mean[first]) - np.mean(within / n[first])), 0.0)
    if between == 0.0:
        return np.zeros(len(frame))
    others = n - 1.0
    # Posterior mean of the flight's level from its other days: sum / (count + within / between).
    level = (total - log_ratio) / (others + within / between)
    # Centred within the group: the group's level stays the market fare's.
    return level - frame.assign(level=level).groupby("group")["level"].transform("mean").to_numpy()


def fit_with_reference(history: pd.DataFrame, seed: int = 0) -> tuple[DemandModel, str]:
    """Fit demand against each reference in REFERENCES; return the better held-out fit."""
    plain = fit_demand(history, seed=seed)
    if "flight" not in history.columns:
        return plain, REFERENCES[0]
    ratio = np.log(history["price"].to_numpy(np.float64) / history["market_fare"].to_numpy())
    level = flight_level(history["flight"].to_numpy(), history["group"].to_numpy(), ratio)
    if not np.any(level):
        return plain, REFERENCES[0]
    levelled = fit_demand(history.assign(market_fare=history["market_fare"] * np.exp(level)),
                          seed=seed)  # fmt: skip
    # Same rows, same held-out days, same bookings: the deviances compare directly.
    if levelled.fit["deviance_holdout"].sum() < plain.fit["deviance_holdout"].sum():
        return levelled, REFERENCES[1]
    return plain, REFERENCES[0]
