"""Training on a Dask cluster: the local engine's features, split, refit and metrics.

The training rows stream out of the warehouse in batches of `FLIGHTPRICE_DASK_PARTITION_ROWS`
(the local engine's order: observed_at, quote_id), each scattered to a worker as it arrives
and turned into features there by `features.py`, so the client never holds the table. The
split is `choose_holdout` on the observation times alone (8 bytes a row); the rows are
time-ordered, so the fit rows, the validation slice and the holdout are position ranges of
the partitions. `xgboost.dask` fits the early-stopped fold (the local engine's bounded latest
slice, `early_stopping_size`) and the refit (its rounds scaled by `refit_rounds`) on
`DaskQuantileDMatrix`es of those ranges; the vocabulary is counted per partition and summed.
Metrics, baselines and the serving reference run on the cluster with the local engine's
functions (`score`, `fit_baselines`, `serving_reference`), so only their results come back.
Distributed histograms (quantile sketches merged across workers) and per-worker row sampling
make the booster differ slightly from a local one: benchmarks/bench_dask.py measures by how much.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import xgboost as xgb

from flightprice.features import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    TARGET_COLUMN,
    TIME_COLUMN,
    FeatureSpec,
    derive_request_features,
    to_matrix,
)
from flightprice.train._evaluation import fit_baselines, score
from flightprice.train._predictor import TrainedModel
from flightprice.train._reference import serving_reference
from flightprice.train._split import (
    DEFAULT_HOLDOUT_DAYS,
    DEFAULT_HOLDOUT_MAX_SHARE,
    TimeSplit,
    choose_holdout,
    empty_training_data,
    too_few_rows,
)
from flightprice.train.model import (
    DEFAULT_OPTIONS,
    DEFAULT_PARAMS,
    _check_training_frame,
    early_stopping_size,
    refit_rounds,
)

if TYPE_CHECKING:
    from distributed import Client, Future

    from flightprice.settings import Settings
    from flightprice.warehouse import Warehouse

log = logging.getLogger(__name__)

# What the baselines and the serving reference read of a training row.
_LIGHT_COLUMNS = (
    "route", "cabin", "days_to_departure", TARGET_COLUMN, "carrier", "flight_number", "origin",
    "destination", "departure_at", "stops", "duration_minutes", "capacity",
    # ...and the drift reference (train/_reference.py DRIFT_FEATURES) the monitoring reads.
    "departure_hour", "seats_remaining", "load_factor",
)  # fmt: skip


@dataclass(frozen=True)
class Partitions:
    """Time-ordered partitions of feature rows on the cluster (futures) and their lengths."""

    client: Client
    futures: tuple[Future, ...]
    lengths: tuple[int, ...]

    @property
    def rows(self) -> int:
        return sum(self.lengths)

    def slice(self, start: int, stop: int) -> Partitions:
        """Return rows [start, stop) of the whole, partition by partition."""
        futures, lengths, offset = [], [], 0
        for future, n in zip(self.futures, self.lengths, strict=True):
            lo, hi = max(start - offset, 0), min(stop - offset, n)
            if lo < hi:
                whole = (lo, hi) == (0, n)
                futures.append(future if whole else self.client.submit(_rows, future, lo, hi))
                lengths.append(hi - lo)
            offset += n
        return Partitions(self.client, tuple(futures), tuple(lengths))

    def map(self, func: Callable[..., Any], *args: Any) -> list[Future]:
        return [self.client.submit(func, future, *args) for future in self.futures]

    def gather(self, func: Callable[..., Any], *args: Any) -> list[Any]:
        return self.client.gather(self.map(func, *args))


def load_partitions(client: Client, warehouse: Warehouse, sql: str, batch_rows: int) -> Partitions:
    """Read `sql` in batches, scatter each to a worker and derive its features there."""
    futures, lengths = [], []
    for batch in warehouse.query_batches(sql, batch_rows=batch_rows):
        raw = client.scatter(batch, hash=False)
        futures.append(client.submit(_features, raw))
        lengths.append(batch.num_rows)
    log.info("dask: %d training rows in %d partitions", sum(lengths), len(lengths))
    return Partitions(client, tuple(futures), tuple(lengths))


def train_model_dask(
    parts: Partitions,
    params: Mapping[str, Any] | None = None,
    holdout_days: int = DEFAULT_HOLDOUT_DAYS,
    *,
    holdout_max_share: float = DEFAULT_HOLDOUT_MAX_SHARE,
) -> TrainedModel:
    """Train as `model.train_model` does, on the cluster: same split, fold, refit and metrics."""
    merged = {**DEFAULT_PARAMS, **DEFAULT_OPTIONS, **(params or {})}
    options = {k: merged.pop(k) for k in DEFAULT_OPTIONS}
    if options["target_transform"] not in ("log", "identity"):
        raise ValueError(f"target_transform must be 'log' or 'identity': {options}")
    parts.gather(_check_training_frame)  # a worker's FeatureError is raised here
    if parts.rows == 0:
        raise empty_training_data(holdout_days)
    times, split = time_split(parts, holdout_days, holdout_max_share)
    n_train, n_all = len(split.train), parts.rows
    # The local engine's bounded slice (`early_stopping_rows`): the latest rows, by position.
    n_early = early_stopping_size(n_train, options)
    n_valid = max(1, math.ceil(n_early * options["validation_fraction"]))
    if split.holdout.empty or n_early - n_valid < 1:
        raise too_few_rows(split, holdout_days, holdout_max_share)
    start, n_fit = n_train - n_early, n_train - n_valid
    fit, valid = parts.slice(start, n_fit), parts.slice(n_fit, n_train)
    train, holdout = parts.slice(0, n_train), parts.slice(n_train, n_all)
    transform = options["target_transform"]

    # Deferred: xgboost.dask imports dask and distributed; `import xgboost` alone does not.
    from xgboost import dask as dxgb

    fit_spec = _spec(fit, options)
    dfit = _dmatrix(fit, fit_spec, options)
    fold = dxgb.train(
        parts.client, merged, dfit, num_boost_round=options["num_boost_round"],
        evals=[(_dmatrix(valid, fit_spec, options, ref=dfit), "validation")],
        callbacks=[xgb.callback.EarlyStopping(rounds=options["early_stopping_rounds"],
                                              data_name="validation", save_best=True)],
        verbose_eval=False,
    )["booster"]  # fmt: skip
    best_rounds = fold.num_boosted_rounds()  # save_best: trimmed to the best round
    valid_mape = metrics_on(valid, TrainedModel(fold, fit_spec, transform))["mape"]

    spec = _spec(train, options)
    rounds = refit_rounds(best_rounds, n_fit - start, n_train, options)
    booster = dxgb.train(
        parts.client, merged, _dmatrix(train, spec, options), num_boost_round=rounds
    )["booster"]
    trained = TrainedModel(booster, spec, transform, params=merged, options=options)
    trained.early_stopping = {"best_rounds": best_rounds, "validation_mape": valid_mape,
                              "refit_rounds": booster.num_boosted_rounds()}  # fmt: skip
    observed = times[TIME_COLUMN]
    trained.window = {
        "train_start": _iso(observed.iloc[:n_train].min()),
        "early_stopping_start": _iso(observed.iloc[start:n_train].min()),
        "validation_start": _iso(observed.iloc[n_fit:n_train].min()),
        "holdout_start": _iso(split.cutoff),
        "holdout_end": _iso(observed.iloc[n_train:].max()),
        "holdout_days": split.days,
        "holdout_max_days": holdout_days,
        "holdout_max_share": holdout_max_share,
    }
    trained.rows = {"train": n_train, "fit": n_fit - start, "validation": n_valid,
                    "holdout": n_all - n_train}  # fmt: skip
    trained.metrics = metrics_on(holdout, trained)
    trained.reference, trained.baselines = parts.client.submit(
        _reference_and_baselines, train.map(_light), holdout.map(_light)
    ).result()
    return trained


def time_split(
    parts: Partitions, holdout_days: int, holdout_max_share: float
) -> tuple[pd.DataFrame, TimeSplit]:
    """Return the observation times and `choose_holdout` on them (the training split)."""
    times = pd.concat(parts.gather(_times), ignore_index=True)
    return times, choose_holdout(times, holdout_days, holdout_max_share)


def metrics_on(parts: Partitions, model: Any) -> dict[str, Any]:
    """Score `model` on the rows of `parts` with `score`, as `evaluate` does on one frame."""
    shared = parts.client.scatter(model, broadcast=True, hash=False)
    return parts.client.submit(_score, parts.map(_predicted, shared)).result()


def train_on_dask(
    settings: Settings,
    warehouse: Warehouse,
    sql: str,
    params: Mapping[str, Any] | None = None,
    champion: Any = None,
    *,
    table: str = "the training table",
) -> tuple[TrainedModel, dict[str, Any] | None]:
    """Search (on the client, as bounded as locally), train on the cluster; score `champion`.

    Return the trained model and the champion's metrics on the same holdout (None without one).
    """
    # Deferred: engine imports distributed on use (see flightprice.engine).
    from flightprice.engine import dask_client

    with dask_client(settings) as client:
        parts = load_partitions(client, warehouse, sql, settings.dask_partition_rows)
        if parts.rows == 0:
            raise empty_training_data(settings.holdout_days, table)
        search = _search(settings, parts)
        chosen = {"flight_min_rows": settings.flight_min_rows,
                  "early_stopping_max_rows": settings.early_stopping_max_rows,
                  "early_stopping_min_share": settings.early_stopping_min_share,
                  **(search.train_params() if search else {}), **(params or {})}  # fmt: skip
        trained = train_model_dask(parts, chosen, settings.holdout_days,
                                   holdout_max_share=settings.holdout_max_share)  # fmt: skip
        trained.search = search.summary() if search else None
        if champion is None:
            return trained, None
        holdout = parts.slice(trained.rows["train"], parts.rows)
        return trained, metrics_on(holdout, champion)


def _search(settings: Settings, parts: Partitions) -> Any:
    """Search on the latest `search_max_rows` train rows, gathered: the local engine's rows."""
    if settings.search_trials == 0:
        return None
    # Deferred: optuna takes ~1.5 s to import, which a run without a search never needs.
    from flightprice.train._search import search_params

    _, split = time_split(parts, settings.holdout_days, settings.holdout_max_share)
    n_train = len(split.train)
    tail = parts.slice(max(0, n_train - settings.search_max_rows), n_train)
    frame = pd.concat(parts.client.gather(list(tail.futures)), ignore_index=True)
    return search_params(
        frame, trials=settings.search_trials, timeout_seconds=settings.search_timeout_seconds,
        seed=DEFAULT_PARAMS["seed"], max_rows=settings.search_max_rows,
    )  # fmt: skip


def _spec(parts: Partitions, options: Mapping[str, Any]) -> FeatureSpec:
    """Return `build_spec` of all rows of `parts`, from per-partition value counts."""
    min_rows = {"flight_key": int(options["flight_min_rows"])}
    min_rows = {c: n for c, n in min_rows.items() if c in FEATURE_COLUMNS and n > 1}
    counted = parts.gather(_category_counts)
    categories = {}
    for col in CATEGORICAL_COLUMNS:
        counts = pd.concat([c[col] for c in counted]).groupby(level=0).sum()
        kept = counts[counts >= min_rows[col]] if col in min_rows else counts
        categories[col] = tuple(sorted(kept.index))
    return FeatureSpec(columns=FEATURE_COLUMNS, categories=categories, min_rows=min_rows)


def _dmatrix(
    parts: Partitions, spec: FeatureSpec, options: Mapping[str, Any], ref: Any = None
) -> Any:
    # Deferred: dask.array is only needed here, on the cluster engine.
    import dask
    import dask.array as da
    from xgboost import dask as dxgb

    width = len(spec.columns)
    matrix = da.concatenate([
        da.from_delayed(dask.delayed(to_matrix)(f, spec), (n, width), dtype="float32")
        for f, n in zip(parts.futures, parts.lengths, strict=True)
    ])  # fmt: skip
    label = da.concatenate([
        da.from_delayed(dask.delayed(_label)(f, options["target_transform"]), (n,), dtype="float64")
        for f, n in zip(parts.futures, parts.lengths, strict=True)
    ])  # fmt: skip
    return dxgb.DaskQuantileDMatrix(
        parts.client, matrix, label, feature_names=list(spec.columns),
        feature_types=spec.feature_types, enable_categorical=True, ref=ref,
    )  # fmt: skip


# --- Run on the workers ------------------------------------------------------------------


def _features(batch: pa.RecordBatch) -> pd.DataFrame:
    """Derive the features of one batch, as `load_training_frame` does for the whole table."""
    frame = batch.to_pandas()
    frame.columns = [c.lower() for c in frame.columns]
    return derive_request_features(frame)


def _rows(frame: pd.DataFrame, start: int, stop: int) -> pd.DataFrame:
    return frame.iloc[start:stop]


def _times(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[TIME_COLUMN]]


def _light(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[c for c in _LIGHT_COLUMNS if c in frame.columns]]


def _label(frame: pd.DataFrame, transform: str) -> np.ndarray:
    price = frame[TARGET_COLUMN].to_numpy(dtype="float64")
    return np.log(price) if transform == "log" else price


def _category_counts(frame: pd.DataFrame) -> dict[str, pd.Series]:
    return {c: frame[c].dropna().astype(str).value_counts() for c in CATEGORICAL_COLUMNS}


def _predicted(frame: pd.DataFrame, model: Any) -> pd.DataFrame:
    return pd.DataFrame({
        TARGET_COLUMN: frame[TARGET_COLUMN].to_numpy(dtype="float64"),
        "days_to_departure": frame["days_to_departure"].to_numpy(dtype="float64"),
        "predicted": model.predict(frame),
    })  # fmt: skip


def _score(frames: Sequence[pd.DataFrame]) -> dict[str, Any]:
    rows = pd.concat(frames, ignore_index=True)
    return score(rows["predicted"].to_numpy(), rows)


def _reference_and_baselines(
    train: Sequence[pd.DataFrame], holdout: Sequence[pd.DataFrame]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    # Medians do not add up across partitions: one worker gathers the narrow columns they need.
    train_rows = pd.concat(train, ignore_index=True)
    holdout_rows = pd.concat(holdout, ignore_index=True)
    baselines = {name: score(baseline.predict(holdout_rows), holdout_rows)
                 for name, baseline in fit_baselines(train_rows).items()}  # fmt: skip
    return serving_reference(train_rows), baselines


def _iso(value: Any) -> str:
    return pd.Timestamp(value).isoformat()
