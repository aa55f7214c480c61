"""Fit the booster's hyperparameters on time-ordered folds of the training rows, in a budget.

Each fold trains on the rows observed before a cut and validates on the next later slice
(an expanding window), so the search scores parameters the way the holdout will: on the
future. The caller passes training rows only; the holdout never reaches the search. Rounds
are not searched but found by early stopping in each fold under a generous cap, so the cap
is not what stops the booster. Optuna's TPE sampler, seeded, proposes the parameters; the
first trial is the default parameters, so the choice is never worse than them on the folds.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import pandas as pd

from flightprice.features import TIME_COLUMN
from flightprice.train.model import DEFAULT_PARAMS, fit_fold, scale_rounds

log = logging.getLogger(__name__)

FOLDS = 3
VALID_SHARE = 0.15  # each fold validates on the next 15% of the (time-sorted) rows
ROUND_CAP = 3000  # per fold; early stopping ends far sooner unless the learning rate is tiny
EARLY_STOPPING_ROUNDS = 30
# name -> (low, high, log scale); integers for integer bounds.
SPACE: dict[str, tuple[float, float, bool]] = {
    "learning_rate": (0.02, 0.3, True),
    "max_depth": (3, 10, False),
    "min_child_weight": (1.0, 20.0, True),
    "reg_lambda": (1e-3, 10.0, True),
    "reg_alpha": (1e-3, 1.0, True),
    "subsample": (0.6, 1.0, False),
    "colsample_bytree": (0.5, 1.0, False),
}

Fit = Callable[[pd.DataFrame, pd.DataFrame, dict[str, Any]], tuple[int, float]]
"""Train on the first frame, early-stop on the second; return (best rounds, validation MAPE)."""


@dataclass(frozen=True)
class SearchResult:
    """The chosen parameters and how the search got there (`params` is {} when none finished)."""

    params: dict[str, Any]
    best_rounds: int | None
    trials: list[dict[str, Any]]
    seconds: float
    rows: int = 0
    folds: int = 0
    best_mape: float | None = None
    default_mape: float | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def train_params(self) -> dict[str, Any]:
        """Return what `train_model` takes: the booster parameters and the round count.

        The rounds are each fold's early-stopped best, scaled from the fold's training rows to
        all searched rows by the refit's rule (`model.scale_rounds`), averaged over the folds.
        """
        if self.best_rounds is None:
            return {}
        return {**self.params, "num_boost_round": self.best_rounds}

    def summary(self) -> dict[str, Any]:
        """Return the JSON-ready record kept with the model."""
        states = [t["state"] for t in self.trials]
        return {
            "params": self.params,
            "num_boost_round": self.best_rounds,
            "cv_mape": self.best_mape,
            "default_cv_mape": self.default_mape,
            "trials_complete": states.count("COMPLETE"),
            "trials_pruned": states.count("PRUNED"),
            "rows": self.rows,
            "folds": self.folds,
            "seconds": self.seconds,
            **self.settings,
            "trials": self.trials,
        }


def time_folds(
    frame: pd.DataFrame, folds: int = FOLDS, valid_share: float = VALID_SHARE
) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """Return expanding-window (fit, validation) pairs: each validates on the next later slice."""
    ordered = frame.sort_values(TIME_COLUMN, kind="stable")
    n = len(ordered)
    size = math.floor(n * valid_share)
    pairs = []
    for k in range(folds):
        end = n - (folds - k) * size
        if size >= 1 and end >= 1:
            pairs.append((ordered.iloc[:end], ordered.iloc[end : end + size]))
    return pairs


def search_params(
    train_frame: pd.DataFrame,
    *,
    trials: int,
    timeout_seconds: float,
    seed: int,
    max_rows: int | None = None,
    fit: Fit | None = None,
) -> SearchResult:
    """Search SPACE for the lowest mean fold MAPE: at most `trials` trials, `timeout_seconds`.

    `train_frame` must hold training rows only. Above `max_rows`, the latest rows are searched
    on. A trial that would start a fold past the deadline is pruned, so the search overruns
    the budget by at most one fold's fit.
    """
    started = time.monotonic()
    fit = fit or _fit_fold
    frame = train_frame.sort_values(TIME_COLUMN, kind="stable")
    if max_rows and len(frame) > max_rows:
        frame = frame.iloc[-max_rows:]  # the latest rows: closest to what the model will price
    pairs = time_folds(frame)
    budget = {"max_trials": trials, "timeout_seconds": timeout_seconds, "seed": seed}
    if trials < 1 or not pairs:
        return SearchResult({}, None, [], 0.0, len(frame), len(pairs), settings=budget)
    deadline = started + timeout_seconds
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our log line says what happened
    study = optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2),
    )
    study.enqueue_trial(_default_point())
    study.optimize(
        lambda trial: _objective(trial, pairs, fit, len(frame), deadline),
        n_trials=trials,
        timeout=timeout_seconds,
    )
    history = [_trial_record(t) for t in study.trials]
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    seconds = round(time.monotonic() - started, 2)
    # A pruned trial's value is its last fold's: only a finished first trial scores the defaults.
    default_mape = complete[0].value if complete and complete[0].number == 0 else None
    if not complete:
        log.warning("hyperparameter search: no trial finished within %.0f s; defaults kept",
                    timeout_seconds)
        return SearchResult({}, None, history, seconds, len(frame), len(pairs),
                            default_mape=default_mape, settings=budget)
    best = min(complete, key=lambda t: t.value)
    result = SearchResult(
        params=_booster_params(best.params),
        best_rounds=int(best.user_attrs["final_rounds"]),
        trials=history,
        seconds=seconds,
        rows=len(frame),
        folds=len(pairs),
        best_mape=best.value,
        default_mape=default_mape,
        settings=budget,
    )
    log.info("hyperparameter search: %d trial(s) in %.1f s on %d rows, %d folds; fold MAPE "
             "%.4f (defaults %s), %d rounds", len(complete), seconds, len(frame), len(pairs),
             best.value, f"{default_mape:.4f}" if default_mape is not None else "n/a",
             result.best_rounds)
    return result


def _objective(trial, pairs, fit: Fit, rows: int, deadline: float) -> float:
    params = _booster_params({name: _suggest(trial, name) for name in SPACE})
    params |= {"num_boost_round": ROUND_CAP, "early_stopping_rounds": EARLY_STOPPING_ROUNDS}
    mapes, scaled = [], []
    for step, (fit_rows, valid_rows) in enumerate(pairs):
        if time.monotonic() > deadline:
            trial.set_user_attr("stopped", "time budget")
            raise optuna.TrialPruned()
        rounds, mape = fit(fit_rows, valid_rows, dict(params))
        mapes.append(mape)
        # Trees needed grow with the rows; the final fit sees all of them, each fold fewer:
        # the refit's rule (`scale_rounds`, the square root of the row ratio).
        scaled.append(scale_rounds(rounds, len(fit_rows), rows))
        trial.report(float(np.mean(mapes)), step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    trial.set_user_attr("final_rounds", max(1, round(float(np.mean(scaled)))))
    return float(np.mean(mapes))


def _suggest(trial, name: str) -> float | int:
    low, high, log_scale = SPACE[name]
    if isinstance(low, int) and isinstance(high, int):
        return trial.suggest_int(name, low, high, log=log_scale)
    return trial.suggest_float(name, low, high, log=log_scale)


def _default_point() -> dict[str, Any]:
    # Defaults outside the space (no L1 penalty) start at its nearest edge.
    return {name: min(max(DEFAULT_PARAMS.get(name, low), low), high)
            for name, (low, high, _) in SPACE.items()}


def _booster_params(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: (int(v) if isinstance(SPACE[name][0], int) else float(v))
            for name, v in values.items()}


def _trial_record(trial) -> dict[str, Any]:
    seconds = None
    if trial.datetime_start and trial.datetime_complete:
        seconds = round((trial.datetime_complete - trial.datetime_start).total_seconds(), 2)
    return {"number": trial.number, "state": trial.state.name, "cv_mape": trial.value,
            "num_boost_round": trial.user_attrs.get("final_rounds"), "seconds": seconds,
            "params": _booster_params(trial.params)}


def _fit_fold(train_frame: pd.DataFrame, valid_frame: pd.DataFrame,
              params: dict[str, Any]) -> tuple[int, float]:
    """Train with early stopping on `valid_frame`; return (rounds kept, validation MAPE)."""
    fold = fit_fold(train_frame, valid_frame, params)  # the fit training itself uses
    return fold.best_rounds, fold.valid_mape
