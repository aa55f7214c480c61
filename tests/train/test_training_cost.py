"""What keeps training cheap without changing the model: one rounds rule, the overlapped fit."""

from __future__ import annotations

import math
import os

import pandas as pd
import pytest
from test_model import FAST_PARAMS, make_training_frame

from flightprice.train._evaluation import fit_baselines, score
from flightprice.train._reference import serving_reference
from flightprice.train._search import search_params, time_folds
from flightprice.train.model import (
    DEFAULT_OPTIONS,
    choose_holdout,
    early_stopping_threads,
    refit_rounds,
    scale_rounds,
    train_model,
)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_training_frame()  # 42 days, ~95 rows a day


def test_rounds_grow_with_the_square_root_of_the_rows() -> None:
    assert scale_rounds(222, 90_000, 813_762) == 668  # the 1M-row market's refit
    assert scale_rounds(100, 1_000, 4_000) == 200  # 4x the rows: 2x the rounds, not 4x
    assert scale_rounds(1, 1_000, 1_000) == 1 and scale_rounds(0, 10, 20) == 1
    options = {**DEFAULT_OPTIONS, "early_stopping_max_rows": 1_000, "early_stopping_min_share": 0}
    assert refit_rounds(100, 900, 3_600, options) == scale_rounds(100, 900, 3_600) == 200


def test_the_search_scales_fold_rounds_by_the_refits_rule(frame: pd.DataFrame) -> None:
    def fit(fit_rows, valid_rows, params):  # a stand-in booster: 64 rounds on every fold
        return 64, 0.1

    train = choose_holdout(frame, 7).train
    result = search_params(train, trials=1, timeout_seconds=60, seed=1, fit=fit)
    folds = [len(a) for a, _ in time_folds(train)]
    expected = [scale_rounds(64, rows, len(train)) for rows in folds]
    assert result.best_rounds == round(sum(expected) / len(expected))
    assert all(r < 64 * len(train) / rows for r, rows in zip(expected, folds, strict=True))


def test_early_stopping_leaves_one_core_to_the_refits_preparation() -> None:
    assert early_stopping_threads({"nthread": 4}) == 3
    assert early_stopping_threads({"nthread": 1}) == 1
    cores = len(os.sched_getaffinity(0))
    assert early_stopping_threads({}) == max(1, cores - 1)


def test_what_was_built_during_early_stopping_is_what_a_sequential_run_builds(
    frame: pd.DataFrame,
) -> None:
    trained = train_model(frame, FAST_PARAMS, holdout_days=7)
    split = choose_holdout(frame, 7)
    train = split.train.sort_values("observed_at", kind="stable")
    expected = {name: score(b.predict(split.holdout), split.holdout)
                for name, b in fit_baselines(train).items()}  # fmt: skip
    assert trained.baselines == expected
    assert trained.reference == serving_reference(train)
    assert trained.metrics["rows"] == len(split.holdout) and not math.isnan(trained.metrics["mape"])


def test_a_searched_round_count_caps_early_stopping_not_the_refits_scaling() -> None:
    # The search found 300 rounds for its ~100k rows: the ceiling of early stopping on 90k.
    options = {**DEFAULT_OPTIONS, "num_boost_round": 300}
    assert refit_rounds(300, 90_000, 813_762, options) == scale_rounds(300, 90_000, 813_762)
    assert refit_rounds(250, 90_000, 813_762, options) == scale_rounds(250, 90_000, 813_762)
