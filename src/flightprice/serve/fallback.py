"""Serve the last good model when the champion's artifact cannot be loaded, and say so.

A corrupt or missing champion artifact must not take the API down: it serves the newest
earlier champion that still loads (its checksum verified), first along the `promoted_from`
chain, then any version that was ever champion, newest promotion first. The registry is
brought in line (`registry.rollback` to the served version, the broken one back to
challenger with the reason), so the registry and the API name the same model. A pinned
version (`FLIGHTPRICE_MODEL_VERSION`, an ECS revision) never falls back: it is that or none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flightprice import registry
from flightprice.registry import NoChampionError, RegistryEntry
from flightprice.store import open_store
from flightprice.warehouse import open_warehouse

if TYPE_CHECKING:
    from flightprice.settings import Settings
    from flightprice.store import ObjectStore
    from flightprice.train.model import LoadedModel
    from flightprice.warehouse import Warehouse

log = logging.getLogger(__name__)

RECORD_LOCK_SECONDS = 10.0  # the API must start even when a writer holds the embedded file


@dataclass(frozen=True)
class Fallback:
    """What the API serves instead of the champion, and why (shown in /health)."""

    champion: str  # the version whose artifact failed
    served: str
    reason: str  # the error's type: never paths or checksums, /health is unauthenticated
    recorded: bool  # the registry now names `served` champion

    def describe(self) -> str:
        """Return the one line /health shows."""
        registry_note = (
            f"the registry now names {self.served} champion"
            if self.recorded
            else "the registry could not be updated (see the API log)"
        )
        return (
            f"champion {self.champion} could not be loaded ({self.reason}); serving "
            f"{self.served}, the last good version; {registry_note}"
        )


def load_champion_or_fallback(settings: Settings) -> tuple[LoadedModel, Fallback | None]:
    """Load the champion; when its artifact fails, the last good version (see the module)."""
    from flightprice.train.model import load_model  # deferred: xgboost, as in registry

    if settings.warehouse == "duckdb" and not settings.duckdb_file.exists():
        raise NoChampionError("no warehouse yet: run `flightprice init`")
    store = open_store(settings)
    with open_warehouse(settings, read_only=True) as warehouse:
        if settings.model_version:
            return registry.load_champion(warehouse, store, version=settings.model_version), None
        entry = registry.champion(warehouse)
        if entry is None:
            raise NoChampionError(f"no champion model in {registry.REGISTRY_TABLE} yet")
        try:
            return load_model(store, entry.version, expected_sha256=entry.sha256), None
        except Exception as exc:  # noqa: BLE001 - any unloadable artifact: try the last good one
            failure = exc
        log.error("champion %s cannot be loaded: %s", entry.version, failure)
        model = _first_loadable(store, _candidates(warehouse, entry))
    if model is None:
        raise failure
    recorded = record_fallback(settings, entry.version, model.version, type(failure).__name__)
    fallback = Fallback(entry.version, model.version, type(failure).__name__, recorded)
    log.warning("%s", fallback.describe())
    return model, fallback


def record_fallback(settings: Settings, broken: str, served: str, reason: str) -> bool:
    """Make the registry name `served` champion, unless it already moved on; True when it agrees."""
    try:
        with _open_writable(settings) as warehouse:
            current = registry.champion(warehouse)
            if current is None or current.version == served:
                return current is not None
            if current.version != broken:  # someone promoted another model meanwhile
                return False
            registry.rollback(
                warehouse,
                f"its artifact could not be loaded ({reason}); the API serves {served}, "
                "the last good version",
                to=served,
            )
            return True
    except Exception:  # serving matters more than the record; /health says so
        log.exception("could not record the fallback to %s in the registry", served)
        return False


def _candidates(warehouse: Warehouse, champion: RegistryEntry) -> list[RegistryEntry]:
    """Earlier champions: the promoted_from chain first, then by promotion, newest first."""
    entries = {e.version: e for e in registry.list_models(warehouse)}
    chain, seen = [], {champion.version}
    previous = champion.promoted_from
    while previous is not None and previous not in seen and previous in entries:
        seen.add(previous)
        chain.append(entries[previous])
        previous = entries[previous].promoted_from
    ever = sorted(
        (e for e in entries.values() if e.promoted_at is not None and e.version not in seen),
        key=lambda e: e.promoted_at,
        reverse=True,
    )
    return chain + ever


def _first_loadable(store: ObjectStore, candidates: list[RegistryEntry]) -> LoadedModel | None:
    from flightprice.train.model import load_model  # deferred: xgboost

    for entry in candidates:
        try:
            return load_model(store, entry.version, expected_sha256=entry.sha256)
        except Exception as exc:  # noqa: BLE001 - try the next one
            log.error("fallback candidate %s cannot be loaded either: %s", entry.version, exc)
    return None


def _open_writable(settings: Settings) -> Warehouse:
    if settings.warehouse == "duckdb":
        from flightprice.warehouse.duckdb import DuckDBWarehouse  # deferred: the backend's driver

        return DuckDBWarehouse(settings.duckdb_file, lock_timeout=RECORD_LOCK_SECONDS)
    return open_warehouse(settings)
