"""What serving keeps from the training rows besides the booster: small tables, in the metadata.

The API reads them back through `LoadedModel`: the route x cabin medians are the fare of
FLIGHTPRICE_UNSEEN_POLICY=baseline, the known flight is the smoke test's quote (GET /v1/model).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from flightprice.features import TARGET_COLUMN

# The request fields of a flight, as ML_TRAINING_FEATURES holds them.
_FLIGHT_FIELDS = ("carrier", "flight_number", "origin", "destination", "cabin")
_SHAPE_FIELDS = ("stops", "duration_minutes", "capacity")
# Numeric inputs whose distribution monitoring compares with scoring's (flightprice.monitor).
# Calendar features (month, day of year) are left out: flights on sale always depart later
# than the quotes a model learned from, so they drift by design.
DRIFT_FEATURES = ("days_to_departure", "stops", "duration_minutes", "departure_hour",
                  "capacity", "seats_remaining", "load_factor")  # fmt: skip
DRIFT_BINS = 10


def route_cabin_medians(train: pd.DataFrame) -> dict[str, list]:
    """Return the median training price per route and cabin, as columns (one row per pair)."""
    keyed = train[["route", "cabin"]].astype("string")
    keyed[TARGET_COLUMN] = train[TARGET_COLUMN].to_numpy(dtype="float64")
    medians = keyed.groupby(["route", "cabin"], observed=True)[TARGET_COLUMN].median()
    return {
        "route": [str(v) for v in medians.index.get_level_values("route")],
        "cabin": [str(v) for v in medians.index.get_level_values("cabin")],
        "median_price_usd": [float(v) for v in medians.to_numpy()],
    }


def known_flight(train: pd.DataFrame) -> dict[str, Any] | None:
    """Return the most quoted flight of the training rows, as request fields; None if none.

    Every categorical value of a training row is in the model's vocabulary, so this flight
    prices with nothing unseen, whatever the features are.
    """
    fields = [c for c in _FLIGHT_FIELDS if c in train.columns]
    rows = train.dropna(subset=fields)
    if rows.empty:
        return None
    groups = rows.groupby(fields, observed=True, sort=True)
    counts = groups.size()
    top = counts.index[int(counts.to_numpy().argmax())]
    flight = {name: str(value) for name, value in zip(fields, top, strict=True)}
    match = groups.get_group(top).iloc[-1]  # the latest quote of it
    departure = pd.Timestamp(match["departure_at"])
    flight["departure_time"] = f"{departure:%H:%M}"
    for name in _SHAPE_FIELDS:
        if name in rows.columns and pd.notna(match[name]):
            flight[name] = int(match[name])
    return flight


def drift_reference(train: pd.DataFrame) -> dict[str, dict[str, list[float]]]:
    """Return per drift feature the inner decile edges and the training share of each bin."""
    reference = {}
    for name in DRIFT_FEATURES:
        if name not in train.columns:
            continue
        values = pd.to_numeric(train[name], errors="coerce").dropna().to_numpy("float64")
        if values.size == 0:
            continue
        edges = np.unique(np.quantile(values, np.linspace(0, 1, DRIFT_BINS + 1))[1:-1])
        counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=edges.size + 1)
        reference[name] = {"edges": edges.tolist(), "shares": (counts / values.size).tolist()}
    return reference


def serving_reference(train: pd.DataFrame) -> dict[str, Any]:
    """Return the metadata entries serving and monitoring read: `route_cabin_medians`,
    `known_flight` and `drift_reference`."""
    return {"route_cabin_medians": route_cabin_medians(train), "known_flight": known_flight(train),
            "drift_reference": drift_reference(train)}  # fmt: skip
