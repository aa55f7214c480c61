"""Honest time split, then refit: the adaptive holdout, the early-stopping fold, the refit."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from test_model import FAST_PARAMS, make_training_frame

from flightprice.features import build_spec, to_matrix
from flightprice.settings import Settings
from flightprice.store import LocalStore
from flightprice.train.model import (
    DEFAULT_OPTIONS,
    DEFAULT_PARAMS,
    InsufficientDataError,
    TrainedModel,
    choose_holdout,
    early_stopping_size,
    evaluate,
    fit_fold,
    load_model,
    refit_rounds,
    save_model,
    train_model,
)


def _days(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["observed_at"]).dt.normalize()


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_training_frame()  # 42 days, ~95 rows a day


@pytest.fixture(scope="module")
def trained(frame: pd.DataFrame) -> TrainedModel:
    return train_model(frame, FAST_PARAMS, holdout_days=7)


def test_a_long_feed_holds_out_the_most_days() -> None:
    split = choose_holdout(make_training_frame(days=42), max_days=7, max_share=0.2)
    assert split.days == 7 and _days(split.holdout).nunique() == 7


def test_a_short_feed_holds_out_only_the_whole_days_within_the_share() -> None:
    short = make_training_frame(n=3000, days=10)
    split = choose_holdout(short, max_days=7, max_share=0.25)
    assert split.days == 2  # three of ten days would exceed a quarter of the rows
    assert len(split.holdout) <= 0.25 * len(short) < len(choose_holdout(short, 3, 1.0).holdout)
    assert split.train["observed_at"].max() < split.cutoff <= split.holdout["observed_at"].min()


def test_a_dense_last_day_is_held_out_alone_at_the_floor(frame: pd.DataFrame) -> None:
    last = _days(frame).max()
    dense = pd.concat([frame] + [frame[_days(frame) == last]] * 30, ignore_index=True)
    split = choose_holdout(dense, max_days=7, max_share=0.2)
    assert split.days == 1 and len(split.holdout) > 0.2 * len(dense)
    assert (_days(split.holdout) == last).all()


def test_too_little_data_names_both_holdout_settings(frame: pd.DataFrame) -> None:
    one_day = frame[_days(frame) == _days(frame).max()]
    with pytest.raises(InsufficientDataError) as raised:
        train_model(one_day, FAST_PARAMS, holdout_days=7, holdout_max_share=0.2)
    message = str(raised.value)
    assert "FLIGHTPRICE_HOLDOUT_DAYS=7" in message
    assert "FLIGHTPRICE_HOLDOUT_MAX_SHARE=0.2" in message


def test_the_holdout_chosen_is_recorded(frame: pd.DataFrame) -> None:
    short = frame[_days(frame) >= _days(frame).max() - pd.Timedelta(days=9)]
    trained = train_model(short, FAST_PARAMS, holdout_days=7, holdout_max_share=0.2)
    split = choose_holdout(short, 7, 0.2)
    assert trained.window["holdout_days"] == split.days < 7
    assert trained.window["holdout_max_days"] == 7
    assert trained.window["holdout_max_share"] == 0.2
    assert trained.window["holdout_start"] == split.cutoff.isoformat()
    assert trained.rows["holdout"] == len(split.holdout)


def test_the_refit_uses_every_train_row_and_the_rounds_early_stopping_chose(
    frame: pd.DataFrame, trained: TrainedModel
) -> None:
    rounds = trained.early_stopping["best_rounds"]
    assert 1 <= rounds < FAST_PARAMS["num_boost_round"]
    assert trained.booster.num_boosted_rounds() == rounds
    assert trained.rows["train"] == trained.rows["fit"] + trained.rows["validation"]

    # The same params on every train row, validation slice included, give the same trees.
    train = choose_holdout(frame, 7).train.sort_values("observed_at", kind="stable")
    assert len(train) == trained.rows["train"]
    spec = build_spec(train, min_rows={"flight_key": trained.options["flight_min_rows"]})
    assert spec == trained.spec
    dtrain = xgb.QuantileDMatrix(to_matrix(train, spec), label=np.log(train["price_usd"]),
                                 feature_types=spec.feature_types, enable_categorical=True)
    params = {**DEFAULT_PARAMS, "learning_rate": FAST_PARAMS["learning_rate"]}
    again = xgb.train(params, dtrain, num_boost_round=rounds)
    matrix = to_matrix(frame, spec)
    np.testing.assert_allclose(again.inplace_predict(matrix),
                               trained.booster.inplace_predict(matrix), rtol=1e-6)


def test_promotion_metrics_score_the_refit_on_the_holdout(
    frame: pd.DataFrame, trained: TrainedModel, store: LocalStore
) -> None:
    info = save_model(trained, store, "v20260101T000000Z-refit1")
    registered = load_model(store, info.version, expected_sha256=info.sha256)
    holdout = choose_holdout(frame, 7).holdout
    assert registered.booster.num_boosted_rounds() == trained.early_stopping["best_rounds"]
    assert evaluate(registered, holdout) == trained.metrics
    assert registered.metadata["early_stopping"] == trained.early_stopping
    assert registered.metadata["row_counts"]["train"] == len(choose_holdout(frame, 7).train)


def test_a_fold_learns_its_vocabulary_from_its_train_rows_only(frame: pd.DataFrame) -> None:
    frame = frame.copy()
    frame["flight_key"] = "XX1"  # one busy flight throughout...
    late = frame.index[-300:]
    frame.loc[late, "flight_key"] = "YY2"  # ...and one first quoted in the validation rows
    fold = fit_fold(frame.iloc[:-300], frame.iloc[-300:], FAST_PARAMS)
    assert fold.spec.categories["flight_key"] == ("XX1",)
    assert np.isnan(fold.spec.codes("flight_key", np.array(["YY2"], dtype=object))).all()
    assert 1 <= fold.best_rounds < FAST_PARAMS["num_boost_round"]
    assert fold.booster.num_boosted_rounds() == fold.best_rounds
    model = TrainedModel(fold.booster, fold.spec, "log")
    assert fold.valid_mape == evaluate(model, frame.iloc[-300:])["mape"]
    assert (fold.fit_rows, fold.valid_rows) == (len(frame) - 300, 300)


def test_a_flight_seen_only_in_the_holdout_is_unseen_by_the_model(frame: pd.DataFrame) -> None:
    frame = frame.copy()
    holdout = choose_holdout(frame, 7).holdout.index
    frame["flight_key"] = np.where(frame.index.isin(holdout), "NEW1", "OLD1")
    trained = train_model(frame, FAST_PARAMS, holdout_days=7)
    assert trained.spec.categories["flight_key"] == ("OLD1",)


def test_early_stopping_runs_on_the_latest_rows_and_the_refit_on_all(frame: pd.DataFrame) -> None:
    params = {**FAST_PARAMS, "early_stopping_max_rows": 1000}
    trained = train_model(frame, params, holdout_days=7)
    train = choose_holdout(frame, 7).train.sort_values("observed_at", kind="stable")
    assert len(train) > 2000
    assert trained.rows["fit"] + trained.rows["validation"] == 1000
    assert trained.rows["validation"] == 100  # validation_fraction of the bounded rows
    assert trained.rows["train"] == len(train)
    # The latest 1,000 train rows: the fit starts there, the validation slice ends the window.
    assert trained.window["early_stopping_start"] == train["observed_at"].iloc[-1000].isoformat()
    assert trained.window["validation_start"] == train["observed_at"].iloc[-100].isoformat()
    assert trained.window["train_start"] == train["observed_at"].iloc[0].isoformat()

    # Early stopping on those rows alone picks the rounds the refit on every train row uses.
    fold = fit_fold(train.iloc[-1000:-100], train.iloc[-100:], params)
    assert trained.early_stopping["best_rounds"] == fold.best_rounds
    # More rows than early stopping saw: more rounds, by the square root of the row ratio.
    scaled = min(round(fold.best_rounds * math.sqrt(len(train) / 900)), params["num_boost_round"])
    assert trained.early_stopping["refit_rounds"] == max(scaled, fold.best_rounds)
    assert trained.booster.num_boosted_rounds() == trained.early_stopping["refit_rounds"]
    assert trained.spec == build_spec(train, min_rows={"flight_key": 20})  # all train rows


def test_without_a_bound_early_stopping_uses_the_whole_train_window(frame: pd.DataFrame) -> None:
    trained = train_model(frame, {**FAST_PARAMS, "early_stopping_max_rows": None}, holdout_days=7)
    assert trained.rows["fit"] + trained.rows["validation"] == trained.rows["train"]
    assert trained.window["early_stopping_start"] == trained.window["train_start"]


@pytest.mark.parametrize(
    ("train_rows", "max_rows", "min_share", "expected"),
    [
        (50_000, 100_000, 0.1, 50_000),  # a small window: early stopping sees every row
        (813_762, 100_000, 0.1, 100_000),  # the 1M-row market: the cap
        (3_000_000, 100_000, 0.1, 300_000),  # a larger one: the share, never a 30x row ratio
        (3_000_000, None, 0.1, 3_000_000),  # no cap: all rows
        (150_000, 100_000, 1.0, 150_000),  # a share of 1: all rows
    ],
)
def test_early_stopping_sees_the_latest_rows_within_the_cap_and_the_share(
    train_rows: int, max_rows: int | None, min_share: float, expected: int
) -> None:
    options = {"early_stopping_max_rows": max_rows, "early_stopping_min_share": min_share}
    assert early_stopping_size(train_rows, options) == expected


def test_the_share_floor_widens_the_early_stopping_rows(frame: pd.DataFrame) -> None:
    params = {**FAST_PARAMS, "early_stopping_max_rows": 1000, "early_stopping_min_share": 0.5}
    trained = train_model(frame, params, holdout_days=7)
    n = trained.rows["train"]
    assert n > 2000
    assert trained.rows["fit"] + trained.rows["validation"] == math.ceil(0.5 * n)
    assert trained.rows["validation"] == math.ceil(0.1 * math.ceil(0.5 * n))


def test_by_default_a_large_window_early_stops_on_a_bounded_slice() -> None:
    # The settings' defaults reach train_model (train/run.py) and agree with the library's.
    fields = Settings.model_fields  # the defaults, whatever this shell's environment sets
    options = {
        "early_stopping_max_rows": fields["early_stopping_max_rows"].default,
        "early_stopping_min_share": fields["early_stopping_min_share"].default,
    }
    assert options == {k: DEFAULT_OPTIONS[k] for k in options}
    assert early_stopping_size(813_762, DEFAULT_OPTIONS) == 100_000
    assert early_stopping_size(80_000, DEFAULT_OPTIONS) == 80_000
    # The refit of the 1M-row market: 222 rounds on 90,000 fit rows -> x sqrt(9.04) = 668.
    assert refit_rounds(222, 90_000, 813_762, DEFAULT_OPTIONS) == 668
    assert refit_rounds(222, 72_000, 80_000, DEFAULT_OPTIONS) == 222  # saw every row: as is
