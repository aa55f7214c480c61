"""Train, evaluate, save and load the XGBoost fare model (native UBJSON, never pickle).

The model learns log(price_usd) with squared error: the market's noise is multiplicative
(lognormal), so on the log scale it is additive and symmetric, errors are relative (what MAPE
measures), and exp() of the prediction estimates the conditional median, which is close to the
MAPE-optimal point forecast. On the synthetic market (1M quotes, noise floor MAPE 8.0%) this
beat absolute or squared error on raw prices (9.1%) and absolute error on logs; the factors
multiply, i.e. add up in log space, so shallow trees (depth 5: 8.23%) generalise better than
deep ones (depth 8: 8.38%). The holdout is always the latest window of observations.

Training is two fits: early stopping on the latest slice of the train window finds the number
of rounds (`fit_fold`), then the model is refitted on every train row, that slice included,
with exactly those rounds; the refit is what the holdout scores and what gets registered.
The first fit only chooses a number, so on a large window it runs on the latest
`early_stopping_max_rows` train rows, or `early_stopping_min_share` of them if more
(time-ordered still: it validates on their latest share): a full-size first fit doubled
training time (1M rows: 2.2x one bare `xgboost.train` in CPU seconds). The refit's rounds are
then scaled by the square root of the row ratio (`refit_rounds`; benchmarks/README.md).
The refit does not wait for the first fit: it starts on one thread as soon as its matrix is
built, gets every thread once early stopping is done and stops at the rounds it chose
(`_overlap.OverlappedRefit`): the same trees as a refit started afterwards, sooner.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from flightprice.features import (
    FEATURE_COLUMNS,
    TARGET_COLUMN,
    TIME_COLUMN,
    FeatureError,
    FeatureSpec,
    build_spec,
    to_matrix,
)
from flightprice.train._artifact import (
    ArtifactChecksumError,
    ArtifactInfo,
    ArtifactNotFoundError,
    load_model,
    new_version,
    save_model,
)
from flightprice.train._evaluation import Predictor, evaluate, fit_baselines, score
from flightprice.train._overlap import OverlappedRefit
from flightprice.train._phases import PhaseTimer
from flightprice.train._predictor import LoadedModel, TrainedModel
from flightprice.train._reference import serving_reference
from flightprice.train._split import (
    DEFAULT_HOLDOUT_DAYS,
    DEFAULT_HOLDOUT_MAX_SHARE,
    InsufficientDataError,
    TimeSplit,
    choose_holdout,
    empty_training_data,
    split_by_time,
    too_few_rows,
)

__all__ = [
    "DEFAULT_OPTIONS",
    "DEFAULT_PARAMS",
    "ArtifactChecksumError",
    "ArtifactInfo",
    "ArtifactNotFoundError",
    "FoldResult",
    "InsufficientDataError",
    "LoadedModel",
    "TimeSplit",
    "TrainedModel",
    "choose_holdout",
    "early_stopping_rows",
    "early_stopping_size",
    "early_stopping_threads",
    "empty_training_data",
    "evaluate",
    "fit_fold",
    "load_model",
    "new_version",
    "refit_rounds",
    "save_model",
    "scale_rounds",
    "split_by_time",
    "train_model",
]

log = logging.getLogger(__name__)

# Booster parameters (xgboost.train `params`); chosen on the synthetic market's holdout MAPE.
Progress = Callable[[int, int], None]
"""Called after every boosting round with (rounds done, rounds planned)."""

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "reg:squarederror",
    "eval_metric": "rmse",
    "tree_method": "hist",
    "learning_rate": 0.1,
    "max_depth": 5,
    "min_child_weight": 5.0,
    "subsample": 0.8,
    "colsample_bytree": 0.9,
    "reg_lambda": 1.0,
    "max_bin": 256,
    "max_cat_to_onehot": 4,
    "seed": 42,
}
# Everything else `train_model` accepts in `params`.
DEFAULT_OPTIONS: dict[str, Any] = {
    # A ceiling, not a knob: early stopping picks the rounds (a 300k-row market hit 1,000).
    "num_boost_round": 5000,
    "early_stopping_rounds": 30,
    "validation_fraction": 0.1,  # latest share of the train window, for early stopping only
    # Early stopping fits on the latest N train rows (None: all), or the latest share of
    # them if more; the refit uses all (`early_stopping_size`, `refit_rounds`).
    "early_stopping_max_rows": 100_000,
    "early_stopping_min_share": 0.1,
    "target_transform": "log",  # or "identity"
    # A flight (carrier + number) on fewer train rows is encoded as missing, like an unseen one.
    "flight_min_rows": 20,
}


@dataclass(frozen=True)
class FoldResult:
    """One early-stopped fit on a time-ordered fold: the rounds it chose and how it scored."""

    best_rounds: int
    valid_mape: float
    booster: xgb.Booster
    spec: FeatureSpec
    fit_rows: int
    valid_rows: int


def train_model(
    frame: pd.DataFrame,
    params: Mapping[str, Any] | None = None,
    holdout_days: int = DEFAULT_HOLDOUT_DAYS,
    progress: Progress | None = None,
    *,
    holdout_max_share: float = DEFAULT_HOLDOUT_MAX_SHARE,
    champion: Predictor | None = None,
    phases: PhaseTimer | None = None,
    on_refit: Callable[[], None] | None = None,
) -> TrainedModel:
    """Train on all but the holdout (`choose_holdout`); score model and baselines on it.

    `params` overrides DEFAULT_PARAMS (booster) and DEFAULT_OPTIONS (rounds, early stopping,
    validation share, target transform, flight minimum rows). Early stopping watches the
    latest slice of the train window, never the holdout; the returned model is then refitted
    on the whole train window with the rounds early stopping chose, and scored on the holdout.
    A `champion` is scored on the same holdout rows (`champion_metrics`); `phases` times
    each step. `on_refit` is called once the refit has every thread and this one only waits
    (train/run.py starts opening MLflow's store then).
    """
    phases = phases or PhaseTimer()
    merged = {**DEFAULT_PARAMS, **DEFAULT_OPTIONS, **(params or {})}
    options = {k: merged.pop(k) for k in DEFAULT_OPTIONS}
    if options["target_transform"] not in ("log", "identity"):
        raise ValueError(f"target_transform must be 'log' or 'identity': {options}")
    _check_training_frame(frame)

    if frame.empty:
        raise empty_training_data(holdout_days)
    with phases.phase("split"):
        split = choose_holdout(frame, holdout_days, holdout_max_share)
        train = split.train.sort_values(TIME_COLUMN, kind="stable")
        fit, valid = early_stopping_rows(train, options)
    if split.holdout.empty or fit.empty:
        raise too_few_rows(split, holdout_days, holdout_max_share)

    # The refit starts on a helper thread, on one core, as soon as its matrix is built:
    # its rounds only decide where it stops (`_overlap`). Early stopping fits meanwhile on
    # the other cores (`early_stopping_threads`), then a second helper builds what needs no
    # rounds (baselines, reference, the champion's holdout scores) while the refit still runs
    # on one thread; then the refit gets every thread.
    ceiling = refit_rounds(int(options["num_boost_round"]), len(fit), len(train), options)
    refit = OverlappedRefit(merged, ceiling, phases, progress)
    with ThreadPoolExecutor(max_workers=2) as pool:
        fitted = pool.submit(_refit, refit, train, options, phases)
        try:
            threads = {"nthread": early_stopping_threads(merged)}
            with phases.phase("early_stopping"):
                fold = fit_fold(fit, valid, {**merged, **options, **threads}, progress,
                                complete_progress=False)  # fmt: skip
            rounds = refit_rounds(fold.best_rounds, len(fit), len(train), options)
            refit.stop_at(rounds)
            with phases.phase("wait_for_refit_inputs"):
                prepared = pool.submit(_prepare_refit, train, split.holdout, champion, phases)
                baselines, reference, champion_metrics = prepared.result()
        except BaseException:
            refit.abort()  # the pool waits for the refit: end it after its current round
            raise
        refit.release()
        if on_refit is not None:
            on_refit()
        with phases.phase("refit"):
            spec, booster = fitted.result()
    booster = refit.trimmed(booster)
    log.info("refit: %d of %d rounds on one thread beside early stopping",
             min(refit.rounds_on_one_thread, rounds), rounds)  # fmt: skip
    if progress is not None:
        progress(rounds, rounds)

    trained = TrainedModel(
        booster, spec, options["target_transform"], params=merged, options=options
    )
    trained.early_stopping = {
        "best_rounds": fold.best_rounds,
        "validation_mape": fold.valid_mape,
        "refit_rounds": booster.num_boosted_rounds(),
    }
    trained.window = {
        "train_start": _iso(train[TIME_COLUMN].min()),
        "early_stopping_start": _iso(fit[TIME_COLUMN].min()),
        "validation_start": _iso(valid[TIME_COLUMN].min()),
        "holdout_start": _iso(split.cutoff),
        "holdout_end": _iso(split.holdout[TIME_COLUMN].max()),
        "holdout_days": split.days,
        "holdout_max_days": holdout_days,
        "holdout_max_share": holdout_max_share,
    }
    trained.rows = {
        "train": len(train),
        "fit": len(fit),
        "validation": len(valid),
        "holdout": len(split.holdout),
    }
    with phases.phase("holdout_scoring"):
        trained.metrics = evaluate(trained, split.holdout)
    trained.baselines, trained.reference = baselines, reference
    trained.champion_metrics = champion_metrics
    return trained


def early_stopping_threads(params: Mapping[str, Any]) -> int:
    """Return the threads of the early-stopping fit: one fewer than the refit's, at least 1.

    The freed core builds the refit's matrix meanwhile (`train_model`). On 2 cores the slice
    (~100k rows) fitted single-threaded cost about a tenth of the CPU seconds of two threads
    under load (benchmarks/README.md, Session 6): at that size OpenMP's per-node barriers,
    not the histograms, were most of the work.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = int(params.get("nthread") or 0) or cores or 1
    return max(1, threads - 1)


def _refit(
    refit: OverlappedRefit, train: pd.DataFrame, options: Mapping[str, Any], phases: PhaseTimer
) -> tuple[FeatureSpec, xgb.Booster]:
    """Build the refit's spec and matrix from every train row, then run the refit."""
    with phases.phase("refit_matrix", overlapped=True):
        spec = _spec(train, options)
        dtrain = _dmatrix(train, spec, options)
    return spec, refit.train(dtrain)


def _prepare_refit(
    train: pd.DataFrame, holdout: pd.DataFrame, champion: Predictor | None, phases: PhaseTimer
) -> tuple[dict[str, dict[str, Any]], dict[str, Any], Any]:
    """Return the baselines' holdout scores, the serving reference and the champion's holdout
    scores (None without a champion)."""
    with phases.phase("baselines", overlapped=True):
        baselines = {
            name: score(baseline.predict(holdout), holdout)
            for name, baseline in fit_baselines(train).items()
        }
    with phases.phase("reference", overlapped=True):
        reference = serving_reference(train)
    champion_metrics = None
    if champion is not None:
        with phases.phase("champion_scoring", overlapped=True):
            champion_metrics = evaluate(champion, holdout)
    return baselines, reference, champion_metrics


def early_stopping_rows(
    train: pd.DataFrame, options: Mapping[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the (fit, validation) rows that choose the rounds, from time-sorted `train`.

    The latest `early_stopping_max_rows` rows (all when None), the latest
    `validation_fraction` of them validating: the rows closest to the holdout in time.
    """
    latest = train.iloc[-early_stopping_size(len(train), options) :]
    n_valid = max(1, math.ceil(len(latest) * options["validation_fraction"]))
    return latest.iloc[:-n_valid], latest.iloc[-n_valid:]


def early_stopping_size(train_rows: int, options: Mapping[str, Any]) -> int:
    """Return how many of the latest train rows early stopping sees (fit and validation).

    `early_stopping_max_rows` (None: all), but never below `early_stopping_min_share` of the
    rows: the refit then has at most 1 / share times the rows early stopping fitted on, so
    the round scaling is never stretched beyond the row ratios it was measured at.
    """
    cap = options.get("early_stopping_max_rows")
    if not cap:
        return train_rows
    floor = math.ceil(train_rows * options.get("early_stopping_min_share", 0.0))
    return min(train_rows, max(int(cap), floor))


def refit_rounds(
    best_rounds: int, fit_rows: int, train_rows: int, options: Mapping[str, Any]
) -> int:
    """Return the refit's rounds: early stopping's, scaled when it saw a bounded subsample.

    When early stopping fit on every train row but its validation slice, exactly its rounds:
    scaling up for the 1/(1 - validation_fraction) more rows is a rule of thumb, and fewer
    rounds on more rows errs on the side of underfitting. When it fit on the latest rows
    only (`early_stopping_size`), more rows want more trees, but fewer than in proportion:
    scale by the square root of the row ratio, under the round ceiling. Measured against no
    scaling and linear scaling at row ratios 2-9 (benchmarks/bench_refit_rounds.py): on the
    realistic market 8.1x the rows took 2.5x the rounds (exponent 0.43), and on three
    markets the square root's holdout MAPE was the best of the three, or within 0.2 %, at
    every ratio; none underfits and linear overfits (each up to +3.6 % MAPE). The round
    ceiling is scaled alike.
    """
    if early_stopping_size(train_rows, options) >= train_rows:
        return best_rounds
    # The ceiling bounded early stopping on `fit_rows`: it scales like the rounds (a searched
    # round count is the ceiling, and capping the refit at it would undo the scaling).
    ceiling = scale_rounds(int(options["num_boost_round"]), fit_rows, train_rows)
    return max(best_rounds, min(scale_rounds(best_rounds, fit_rows, train_rows), ceiling))


def scale_rounds(rounds: int, from_rows: int, to_rows: int) -> int:
    """Return `rounds` found on `from_rows` rows, scaled to a fit on `to_rows` rows.

    The one rule for every fit whose rounds were chosen on fewer rows (the refit here, the
    search's folds in `_search`): by the square root of the row ratio, at least one round.
    """
    return max(1, round(rounds * math.sqrt(to_rows / from_rows)))


def fit_fold(
    train_frame: pd.DataFrame,
    valid_frame: pd.DataFrame,
    params: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    *,
    complete_progress: bool = True,
) -> FoldResult:
    """Fit on `train_frame` with early stopping on the later `valid_frame`; return the rounds.

    The category vocabulary comes from `train_frame` alone, so a flight first seen in the
    validation rows is unseen, as it would be in production. `params` as for `train_model`
    (`validation_fraction` is ignored: the caller chose the fold). `progress` sees every
    round, then (done, done) unless `complete_progress` is False (more work follows).
    """
    merged = {**DEFAULT_PARAMS, **DEFAULT_OPTIONS, **(params or {})}
    options = {k: merged.pop(k) for k in DEFAULT_OPTIONS}
    spec = _spec(train_frame, options)
    dfit = _dmatrix(train_frame, spec, options)
    dvalid = _dmatrix(valid_frame, spec, options, ref=dfit)
    callbacks: list[xgb.callback.TrainingCallback] = [
        xgb.callback.EarlyStopping(
            rounds=options["early_stopping_rounds"], data_name="validation", save_best=True
        )
    ]
    if progress is not None:
        callbacks.append(_ProgressCallback(progress, options["num_boost_round"], complete_progress))
    booster = xgb.train(
        merged,
        dfit,
        num_boost_round=options["num_boost_round"],
        evals=[(dvalid, "validation")],
        callbacks=callbacks,
        verbose_eval=False,
    )
    model = TrainedModel(booster, spec, options["target_transform"])
    return FoldResult(
        best_rounds=booster.num_boosted_rounds(),  # save_best: trimmed to the best round
        valid_mape=evaluate(model, valid_frame)["mape"],
        booster=booster,
        spec=spec,
        fit_rows=len(train_frame),
        valid_rows=len(valid_frame),
    )


class _ProgressCallback(xgb.callback.TrainingCallback):
    def __init__(self, progress: Progress, total: int, complete: bool = True) -> None:
        super().__init__()
        self._progress = progress
        self._total = total
        self._complete = complete

    def after_iteration(self, model: xgb.Booster, epoch: int, evals_log: Any) -> bool:
        self._progress(epoch + 1, self._total)
        self._done = epoch + 1
        return False

    def after_training(self, model: xgb.Booster) -> xgb.Booster:
        # Early stopping ends before the round budget: show the bar as complete.
        done = getattr(self, "_done", 0)
        if self._complete:
            self._progress(done, done)
        return model


def _check_training_frame(frame: pd.DataFrame) -> None:
    missing = [c for c in (*FEATURE_COLUMNS, TIME_COLUMN, TARGET_COLUMN) if c not in frame]
    if missing:
        raise FeatureError(f"training frame lacks columns: {', '.join(missing)}")
    price = frame[TARGET_COLUMN].to_numpy(dtype="float64", na_value=np.nan)
    bad = int((~(price > 0)).sum())
    if bad:
        raise FeatureError(f"{bad} training rows have a missing or non-positive {TARGET_COLUMN}")


def _spec(frame: pd.DataFrame, options: Mapping[str, Any]) -> FeatureSpec:
    return build_spec(frame, min_rows={"flight_key": options["flight_min_rows"]})


def _dmatrix(
    frame: pd.DataFrame, spec: FeatureSpec, options: Mapping[str, Any], ref: Any = None
) -> xgb.QuantileDMatrix:
    return xgb.QuantileDMatrix(
        to_matrix(frame, spec),
        label=_forward(frame, options),
        feature_names=list(spec.columns),
        feature_types=spec.feature_types,
        enable_categorical=True,
        ref=ref,
    )


def _forward(frame: pd.DataFrame, options: Mapping[str, Any]) -> np.ndarray:
    price = frame[TARGET_COLUMN].to_numpy(dtype="float64")
    return np.log(price) if options["target_transform"] == "log" else price


def _iso(value: Any) -> str:
    return pd.Timestamp(value).isoformat()
