"""Fitted demand in the lake, and the one the API and batch scoring price with.

A fit is `models/demand/<version>/demand.json` (the coefficients and the fit report, plain
JSON: no pickle to trust), written once and never overwritten; `models/demand/latest.json`
names the newest and is written last, so a reader sees the old fit or the new one whole
(each write is atomic: temp file and rename locally, one PUT on S3). This module needs no
scientific library: the API loads a fit with the champion (`serve.quoting.load_served_model`)
whatever its policy, and only `revenue.serving` turns it into a `DemandModel`.

The served demand is process state, set by `install` and read by `served`:
`FLIGHTPRICE_DEMAND_SOURCE=warehouse` (the default) serves the latest fit, or none;
`simulator` the simulator's default market (the demo's setting).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flightprice.store import MODELS_PREFIX

if TYPE_CHECKING:
    from flightprice.store import ObjectStore

__all__ = ["DEMAND_PREFIX", "LATEST_KEY", "ServedDemand", "install", "read_latest", "served",
           "write_fit"]  # fmt: skip

DEMAND_PREFIX = f"{MODELS_PREFIX}demand/"
LATEST_KEY = f"{DEMAND_PREFIX}latest.json"
DEMAND_SOURCES = ("warehouse", "simulator")


@dataclass(frozen=True)
class ServedDemand:
    """What the revenue policies price with: a source and, from the warehouse, a fit."""

    source: str = "warehouse"
    fit: dict[str, Any] | None = None  # demand.json's content; None: nothing fitted yet

    @property
    def version(self) -> str | None:
        return None if self.fit is None else self.fit["version"]


_SERVED = ServedDemand()


def write_fit(store: ObjectStore, fit: dict[str, Any]) -> str:
    """Write a fit (with its `version`) and point latest.json at it; return its key."""
    key = f"{DEMAND_PREFIX}{fit['version']}/demand.json"
    if store.exists(key):
        raise FileExistsError(f"demand version {fit['version']} already exists at {store.uri(key)}")
    store.write_bytes(key, json.dumps(fit).encode())
    # The pointer last: latest.json never names a fit that is not complete.
    store.write_bytes(LATEST_KEY, json.dumps({"version": fit["version"], "key": key}).encode())
    return key


def read_latest(store: ObjectStore) -> dict[str, Any] | None:
    """Return the latest fit, or None when none was ever written."""
    if not store.exists(LATEST_KEY):
        return None
    pointer = json.loads(store.read_bytes(LATEST_KEY))
    return json.loads(store.read_bytes(pointer["key"]))


def install(source: str, store: ObjectStore | None) -> ServedDemand:
    """Serve `source`'s demand from now on (the latest fit from `store` for the warehouse)."""
    global _SERVED
    if source not in DEMAND_SOURCES:
        raise ValueError(f"unknown demand source {source!r}; expected one of {DEMAND_SOURCES}")
    fit = read_latest(store) if source == "warehouse" and store is not None else None
    _SERVED = ServedDemand(source, fit)
    return _SERVED


def served() -> ServedDemand:
    """Return the demand the revenue policies price with now."""
    return _SERVED
