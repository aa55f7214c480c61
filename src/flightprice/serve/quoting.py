"""The one pricing path: request rows -> features -> model fare -> dynamic price + reasons.

The API (one flight, a JSON batch, an Arrow IPC batch) and batch scoring (both modes) all
call `quote`, so a flight described the same way at the same moment gets the same price
from each of them; the API's JSON requests come as column arrays, not a frame, which prices
alike without pandas' fixed cost per call. `ModelHolder` keeps the served model and swaps
it atomically.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flightprice import registry
from flightprice.clock import utc_now
from flightprice.features import (
    Columns,
    derive_request_columns,
    derive_request_features,
    to_matrix,
)
from flightprice.pricing.engine import GUARDRAILS, PriceResult, price_flights
from flightprice.pricing.params import PricingParams
from flightprice.pricing.reasons import reasons_json
from flightprice.registry import NoChampionError
from flightprice.revenue import demand_store
from flightprice.serve.unseen import (
    FARE_SOURCES,
    UNSEEN_POLICIES,
    UnseenInputs,
    UnseenPolicy,
    baseline_fares,
    unseen_inputs,
)
from flightprice.store import open_store
from flightprice.train.model import LoadedModel
from flightprice.warehouse import open_warehouse

if TYPE_CHECKING:
    from flightprice.revenue.demand_store import ServedDemand
    from flightprice.serve.fallback import Fallback
    from flightprice.settings import Settings

log = logging.getLogger(__name__)

MODEL_VERSION_KEY = b"model_version"  # Arrow schema metadata of a priced table
POLICY_KEY = b"pricing_policy"  # ... and the pricing policies that priced its rows
REFUSED_COLUMN = "refused"  # to_arrow(mark_refused=True): the unseen policy refused the row
PRICED_SCHEMA = pa.schema(
    [
        ("price_usd", pa.float64()),
        ("market_fare_usd", pa.float64()),
        ("demand_adjustment", pa.float64()),
        ("urgency_adjustment", pa.float64()),
        ("guardrail", pa.string()),
        ("reasons", pa.string()),
        ("days_to_departure", pa.float64()),
        # serve/unseen.py: the inputs the model never saw ("" for none), how much to trust
        # the price, and whether the model or the route x cabin median set the market fare.
        ("unseen", pa.string()),
        ("confidence", pa.string()),
        ("fare_source", pa.string()),
    ]
)


@dataclass(frozen=True, eq=False)
class Quotes:
    """Priced rows, positionally matching the requests, and the model that priced them.

    `refused` marks the rows FLIGHTPRICE_UNSEEN_POLICY=refuse turns away (priced all the same:
    the API answers 422, batch scoring skips them).
    """

    model_version: str
    features: pd.DataFrame | Columns
    result: PriceResult
    flags: UnseenInputs
    from_baseline: np.ndarray  # bool: the market fare is the route x cabin training median
    refused: np.ndarray  # bool
    policy: np.ndarray | None = None  # the pricing policy of each row (None: all "rule")
    notes: np.ndarray | None = None  # why a revenue policy left a row to rule ("": it did not)

    def policy_notes(self, i: int) -> list[str]:
        """Return row `i`'s note on its policy as a reason ([] when there is none)."""
        return [] if self.notes is None or not self.notes[i] else [str(self.notes[i])]

    @property
    def policies(self) -> np.ndarray:
        """Return the pricing policy that priced each row (FLIGHTPRICE_PRICING_POLICY)."""
        if self.policy is None:
            return np.full(len(self), "rule", dtype=object)
        return self.policy

    def __len__(self) -> int:
        return len(self.result)

    def to_arrow(self, mark_refused: bool = False) -> pa.Table:
        """Return the priced columns (PRICED_SCHEMA) with the model version in the metadata.

        `mark_refused`: add a `refused` column and leave the price columns of refused rows
        null (batch scoring skips them), rather than leave refusing to the caller.
        """
        r = self.result
        table = pa.Table.from_arrays(
            [
                pa.array(r.price),
                pa.array(r.market_fare),
                pa.array(r.demand_adjustment),
                pa.array(r.urgency_adjustment),
                _take(GUARDRAILS, r.guardrail),
                pa.array(reasons_json(r), pa.string()),
                pa.array(r.days_to_departure),
                *_flag_columns(self.flags),
                _take(FARE_SOURCES, self.from_baseline.astype(np.int8)),
            ],
            schema=PRICED_SCHEMA,
        )
        if mark_refused:
            table = _mark_refused(table, self.refused)
        # Not `self.policies`: a Python set over 100k "rule" objects cost ~0.1 CPU-s per 1M rows.
        policies = "rule" if self.policy is None else ",".join(sorted(set(self.policy)))
        return table.replace_schema_metadata(
            {MODEL_VERSION_KEY: self.model_version.encode(), POLICY_KEY: policies.encode()}
        )

    @property
    def fare_sources(self) -> np.ndarray:
        """Return "model" or "baseline" per row: what set the market fare."""
        return np.asarray(FARE_SOURCES, dtype=object)[self.from_baseline.astype(np.int8)]


def quote(
    model: LoadedModel,
    requests: pd.DataFrame | Columns,
    params: PricingParams,
    unseen_policy: UnseenPolicy = "price",
    pricing_policy: str | np.ndarray = "rule",
    demand: ServedDemand | None = None,
) -> Quotes:
    """Price every request row: derive features, predict the market fare, apply the policy.

    `requests` holds the request columns (`_request_table.REQUEST_COLUMNS`), as a frame or as
    column name -> array (`features.derive_request_columns`); `last_price` is the last
    published price (the change limit's reference), absent or NaN when there is none.
    `unseen_policy` says what inputs the model never saw change (serve/unseen.py);
    `pricing_policy` what sets the price (revenue/serving.py; "rule": the engine alone), one
    name or one per row; `demand` what optimal and ladder price with (default: the served one).
    """
    if unseen_policy not in UNSEEN_POLICIES:
        raise ValueError(f"unseen_policy must be one of {UNSEEN_POLICIES}, not {unseen_policy!r}")
    if isinstance(requests, pd.DataFrame):
        features = derive_request_features(requests)
    else:
        features = derive_request_columns(requests)
    # One encoding serves the prediction and the unseen-input flags (NaN = not in training).
    matrix = to_matrix(features, model.spec)
    fare = model.predict_matrix(matrix)
    flags = unseen_inputs(model, features, matrix)
    from_baseline = np.zeros(len(fare), dtype=bool)
    if unseen_policy == "baseline" and flags.actionable.any():
        baseline = baseline_fares(model, features, flags)
        from_baseline = np.isfinite(baseline)
        fare = np.where(from_baseline, baseline, fare)
    last = requests.get("last_price")  # a frame or a mapping: None when absent
    policy = notes = None
    if isinstance(pricing_policy, str) and pricing_policy == "rule":
        result = price_flights(
            fare,
            features["cabin"],
            features["days_to_departure"],
            load_factor=features["load_factor"],
            last_price=last,
            params=params,
        )
    else:
        # Imported here: the revenue policies load scipy and scikit-learn, which "rule" skips.
        from flightprice.revenue.serving import fallback_note, price_with_policy

        result, policy = price_with_policy(
            pricing_policy, fare, np.asarray(features["cabin"], dtype=object),
            features["days_to_departure"], features["load_factor"],
            features["seats_remaining"], features["capacity"], last, params,
            competitor_fare=requests.get("competitor_fare"),  # optional, like last_price
            demand=demand,
        )  # fmt: skip
        notes = fallback_note(pricing_policy, policy, demand)
    refused = flags.actionable if unseen_policy == "refuse" else np.zeros(len(fare), dtype=bool)
    return Quotes(model.version, features, result, flags, from_baseline, refused, policy, notes)


def _take(values: tuple[str, ...] | list[str], index: np.ndarray) -> pa.Array:
    # A few distinct strings spread by index: Arrow's take, not one Python object per row.
    return pa.array(values, pa.string()).take(pa.array(index))


def _flag_columns(flags: UnseenInputs) -> tuple[pa.Array, pa.Array]:
    if flags.pattern_index is None:  # built by hand, without its patterns
        return pa.array(flags.unseen, pa.string()), pa.array(flags.confidence, pa.string())
    index = flags.pattern_index
    return _take(flags.pattern_unseen, index), _take(flags.pattern_confidence, index)


def _mark_refused(table: pa.Table, refused: np.ndarray) -> pa.Table:
    mask = pa.array(refused)
    if refused.any():
        kept = ("unseen", "confidence")  # what the refusal is about
        table = pa.table({
            name: column if name in kept else pc.if_else(mask, pa.nulls(1, column.type)[0], column)
            for name, column in zip(table.column_names, table.columns, strict=True)
        })  # fmt: skip
    return table.append_column(REFUSED_COLUMN, mask)


def model_version_of(table: pa.Table) -> str:
    """Return the model version recorded in a priced table's metadata ("" when absent)."""
    return (table.schema.metadata or {}).get(MODEL_VERSION_KEY, b"").decode()


def load_served_model(settings: Settings) -> LoadedModel:
    """Load the model the API serves: the champion, or the pinned `settings.model_version`.

    The warehouse is opened read-only for the lookup and load, then closed: the API must
    not hold the embedded DuckDB file, which admits one writer process at a time. Raise
    NoChampionError (the API answers 503) while there is no such model.
    """
    if settings.warehouse == "duckdb" and not settings.duckdb_file.exists():
        raise NoChampionError(f"no warehouse at {settings.duckdb_file}: run `flightprice init`")
    store = open_store(settings)
    with open_warehouse(settings, read_only=True) as warehouse:
        # Pinned (an ECS revision): that version, champion or not.
        model = registry.load_champion(warehouse, store, version=settings.model_version or None)
    # With the model, the latest fitted demand: /admin/reload picks up a new fit too.
    demand_store.install(settings.demand_source, store)
    return model


class ModelHolder:
    """The served model: read without locking, replaced whole by `reload`.

    A request takes `holder.model` once and prices with that object to the end, so a swap
    never changes a model under a request in flight. Reloads are serialised; a failed
    reload keeps the model that was serving. With no model yet, `fallback_loader` (model,
    Fallback or None) may serve the last good version instead of a broken champion.
    """

    def __init__(self, loader, fallback_loader=None) -> None:
        self._loader = loader
        self._fallback_loader = fallback_loader
        self._lock = threading.Lock()
        self.model: LoadedModel | None = None
        self.loaded_at: datetime | None = None
        self.error: str | None = None  # the whole error: logs and the admin reload's answer
        self.public_error: str | None = None  # unauthenticated answers: no paths or checksums
        self.fallback: Fallback | None = None
        self.started = time.monotonic()

    @property
    def version(self) -> str | None:
        model = self.model
        return model.version if model is not None else None

    def reload(self, allow_fallback: bool = False) -> LoadedModel:
        """Load the current champion and swap it in; raise (keeping the old model) on failure."""
        with self._lock:
            try:
                if allow_fallback and self._fallback_loader is not None:
                    model, fallback = self._fallback_loader()
                else:
                    model, fallback = self._loader(), None
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"
                self.public_error = public_error(exc)
                log.warning("could not load the champion: %s", self.error)
                raise
            self.model, self.loaded_at = model, utc_now()
            self.error = self.public_error = None
            self.fallback = fallback
            log.info("serving model %s", model.version)
            return model

    def try_reload(self) -> LoadedModel | None:
        """Reload (falling back while nothing is served), logging a failure; return the model."""
        try:
            return self.reload(allow_fallback=self.model is None)
        except Exception:  # noqa: BLE001 - reload() logged it; the caller carries on
            return self.model


def public_error(exc: BaseException) -> str:
    """Say why no model is loaded without the artifact's path or checksum (logged instead)."""
    if isinstance(exc, NoChampionError):
        return str(exc)
    return f"{type(exc).__name__}: the champion could not be loaded (details in the API log)"
