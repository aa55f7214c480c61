"""The hyperparameter search: time-ordered folds, training rows only, a budget, recorded."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from test_model import make_training_frame

from flightprice.features import TIME_COLUMN
from flightprice.settings import Settings
from flightprice.train import _search
from flightprice.train._search import SPACE, search_params, time_folds
from flightprice.train.model import DEFAULT_OPTIONS, choose_holdout, load_model, train_model
from flightprice.train.run import _search_params


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_training_frame(n=1500, days=21)


class RecordingFit:
    """A stand-in booster whose fold MAPE depends on the parameters: fast and deterministic."""

    def __init__(self, rounds: int = 50, sleep: float = 0.0) -> None:
        self.calls: list[tuple[pd.DataFrame, pd.DataFrame, dict]] = []
        self.rounds, self.sleep = rounds, sleep

    def __call__(self, fit_rows, valid_rows, params):
        self.calls.append((fit_rows, valid_rows, params))
        time.sleep(self.sleep)
        mape = abs(np.log(params["learning_rate"] / 0.05)) + abs(params["max_depth"] - 6) / 10
        return self.rounds, mape + len(valid_rows) * 1e-6


def test_folds_expand_in_time_and_validate_on_later_rows(frame: pd.DataFrame) -> None:
    shuffled = frame.sample(frac=1.0, random_state=3)
    folds = time_folds(shuffled)
    assert len(folds) == 3
    previous_end = None
    for fit_rows, valid_rows in folds:
        assert fit_rows[TIME_COLUMN].max() <= valid_rows[TIME_COLUMN].min()
        if previous_end is not None:
            assert fit_rows[TIME_COLUMN].max() >= previous_end  # expanding window
        previous_end = valid_rows[TIME_COLUMN].max()
    assert previous_end == frame[TIME_COLUMN].max()  # the last fold validates on the latest rows


def test_search_never_sees_holdout_rows(frame: pd.DataFrame, monkeypatch) -> None:
    fit = RecordingFit()
    monkeypatch.setattr(_search, "_fit_fold", fit)
    settings = Settings(search_trials=2, holdout_days=5)
    result = _search_params(settings, frame)
    cutoff = choose_holdout(frame, 5, settings.holdout_max_share).cutoff  # as training splits
    assert result is not None and fit.calls
    seen = pd.concat([pd.concat([a, b]) for a, b, _ in fit.calls])
    assert seen[TIME_COLUMN].max() < cutoff
    assert seen["quote_id"].nunique() == int((frame[TIME_COLUMN] < cutoff).sum())


def test_no_trials_keeps_the_defaults(frame: pd.DataFrame) -> None:
    assert _search_params(Settings(search_trials=0), frame) is None
    fit = RecordingFit()
    result = search_params(frame, trials=0, timeout_seconds=5, seed=1, fit=fit)
    assert result.train_params() == {} and fit.calls == []


def test_trial_count_is_respected_and_rounds_scale_to_all_rows(frame: pd.DataFrame) -> None:
    fit = RecordingFit(rounds=50)
    result = search_params(frame, trials=5, timeout_seconds=60, seed=1, fit=fit)
    assert len(result.trials) == 5
    assert len(fit.calls) <= 5 * 3
    assert all(p["num_boost_round"] >= 1000 for _, _, p in fit.calls)  # the cap is not the limit
    # Each fold's rounds scaled to all searched rows by the refit's rule: the square root.
    scaled = [50 * np.sqrt(len(frame) / len(a)) for a, _ in time_folds(frame)]
    assert result.best_rounds == round(float(np.mean([round(r) for r in scaled])))
    linear = round(50 * np.mean([len(frame) / len(a) for a, _ in time_folds(frame)]))
    assert result.best_rounds < linear


def test_timeout_bounds_the_search(frame: pd.DataFrame) -> None:
    fit = RecordingFit(sleep=0.1)
    result = search_params(frame, trials=1000, timeout_seconds=1.0, seed=1, fit=fit)
    assert result.seconds < 1.0 + 0.5
    assert len(result.trials) < 20


def test_rows_above_the_limit_keep_the_latest(frame: pd.DataFrame) -> None:
    fit = RecordingFit()
    search_params(frame, trials=1, timeout_seconds=30, seed=1, max_rows=1000, fit=fit)
    seen = pd.concat([pd.concat([a, b]) for a, b, _ in fit.calls])
    latest = frame.sort_values(TIME_COLUMN).iloc[-1000:]
    assert seen[TIME_COLUMN].min() >= latest[TIME_COLUMN].min()


def test_seeded_searches_choose_the_same_params(frame: pd.DataFrame) -> None:
    runs = [search_params(frame, trials=6, timeout_seconds=60, seed=s, fit=RecordingFit())
            for s in (7, 7, 8)]
    assert runs[0].params == runs[1].params
    assert [t["params"] for t in runs[0].trials] != [t["params"] for t in runs[2].trials]


def test_chosen_params_are_in_the_space_and_recorded_with_the_model(frame) -> None:
    result = search_params(frame, trials=6, timeout_seconds=60, seed=1, fit=RecordingFit(20))
    assert result.best_mape <= result.default_mape  # the defaults are the first trial
    for name, value in result.params.items():
        low, high, _ = SPACE[name]
        assert low <= value <= high, name
    # One thread: on 1,500 rows threads only wait for each other (and CI shares its cores).
    trained = train_model(frame, {**result.train_params(), "nthread": 1}, holdout_days=5)
    trained.search = result.summary()
    meta = trained.metadata
    assert meta["search"]["params"] == result.params
    assert meta["search"]["trials_complete"] + meta["search"]["trials_pruned"] == 6
    assert {k: meta["params"][k] for k in result.params} == result.params
    assert meta["training_options"]["num_boost_round"] == result.best_rounds


def test_default_fit_early_stops_on_the_fold(frame: pd.DataFrame) -> None:
    fit_rows, valid_rows = time_folds(frame)[-1]
    params = {"learning_rate": 0.3, "max_depth": 4, "nthread": 1,
              "num_boost_round": 3000, "early_stopping_rounds": 10}
    rounds, mape = _search._fit_fold(fit_rows, valid_rows, params)
    assert 1 <= rounds < 3000
    assert 0 < mape < 0.5
    assert DEFAULT_OPTIONS["target_transform"] == "log"


@pytest.mark.slow
def test_training_run_records_the_search_in_json_and_metadata(market_home, make_settings) -> None:
    from flightprice.store import open_store
    from flightprice.train.run import run_training
    from flightprice.warehouse import open_warehouse

    settings = make_settings(market_home, search_trials=2, search_timeout_seconds=60,
                               holdout_days=2)
    store = open_store(settings)
    with open_warehouse(settings) as wh:
        outcome = run_training(settings, wh, store, run_id="t-search", check_quality=False)
    search = outcome.to_dict()["search"]
    # The timeout may end the search after one trial on a busy machine: at most the two asked.
    assert 1 <= search["trials_complete"] + search["trials_pruned"] == len(search["trials"]) <= 2
    meta = load_model(store, outcome.version).metadata
    assert meta["search"] == search
    if search["num_boost_round"] is not None:
        assert meta["training_options"]["num_boost_round"] == search["num_boost_round"]
        assert {k: meta["params"][k] for k in search["params"]} == search["params"]
