"""The refit started before its rounds are known builds exactly the plain R-round model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from test_model import FAST_PARAMS, make_training_frame

from flightprice.features import build_spec, to_matrix
from flightprice.train._overlap import OverlappedRefit
from flightprice.train._phases import PhaseTimer
from flightprice.train.model import DEFAULT_PARAMS, choose_holdout, train_model

ROUNDS = 40


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_training_frame(n=6000)


@pytest.fixture(scope="module")
def dtrain(frame: pd.DataFrame) -> xgb.QuantileDMatrix:
    spec = build_spec(frame, min_rows={"flight_key": 20})
    return xgb.QuantileDMatrix(to_matrix(frame, spec), label=np.log(frame["price_usd"]),
                               feature_names=list(spec.columns),
                               feature_types=spec.feature_types, enable_categorical=True)  # fmt: skip


def _plain(dtrain: xgb.QuantileDMatrix, rounds: int) -> bytes:
    """Return the model a plain `xgboost.train` builds: default threads, `rounds` rounds."""
    return bytes(xgb.train(DEFAULT_PARAMS, dtrain, num_boost_round=rounds).save_raw("ubj"))


class _Scripted(OverlappedRefit):
    """An OverlappedRefit told the rounds and released at set rounds, as train_model would
    from its own thread: here from the training thread, so the round is exact."""

    def __init__(self, release_after: int, rounds_known_after: int) -> None:
        super().__init__(DEFAULT_PARAMS, ceiling=10 * ROUNDS, phases=PhaseTimer())
        self._release_after, self._known_after = release_after, rounds_known_after

    def after_iteration(self, model: xgb.Booster, epoch: int, evals_log) -> bool:
        if epoch + 1 == self._release_after:
            self.release()
        if epoch + 1 == self._known_after:
            self.stop_at(ROUNDS)
        return super().after_iteration(model, epoch, evals_log)


@pytest.mark.parametrize(
    ("release_after", "known_after"),
    [
        (5, 5),  # one thread for 5 rounds, then every thread: stops at the rounds
        (ROUNDS + 12, 10),  # all on one thread (early stopping outlasted the refit)
        (3, ROUNDS + 12),  # the rounds known late: 12 rounds too many, cut to the first 40
    ],
)
def test_the_overlapped_refit_is_byte_identical_to_a_plain_fit(
    dtrain: xgb.QuantileDMatrix, release_after: int, known_after: int
) -> None:
    refit = _Scripted(release_after, known_after)
    booster = refit.train(dtrain)
    ran = booster.num_boosted_rounds()
    assert ran == max(ROUNDS, known_after)  # it ran past the rounds when told late
    assert refit.rounds_on_one_thread == min(release_after, ran)
    assert bytes(refit.trimmed(booster).save_raw("ubj")) == _plain(dtrain, ROUNDS)


def test_an_aborted_refit_stops_after_its_current_round(dtrain: xgb.QuantileDMatrix) -> None:
    refit = OverlappedRefit(DEFAULT_PARAMS, ceiling=10 * ROUNDS, phases=PhaseTimer())
    refit.abort()
    assert refit.train(dtrain).num_boosted_rounds() == 1


def test_train_model_registers_the_plain_refit_and_reports_its_progress(
    frame: pd.DataFrame,
) -> None:
    seen: list[tuple[int, int]] = []
    params = {**FAST_PARAMS, "learning_rate": 0.1}
    trained = train_model(frame, params, progress=lambda done, total: seen.append((done, total)))

    rounds = trained.early_stopping["refit_rounds"]
    assert trained.booster.num_boosted_rounds() == rounds
    train = choose_holdout(frame, 7).train.sort_values("observed_at", kind="stable")
    spec = build_spec(train, min_rows={"flight_key": 20})
    assert spec == trained.spec
    matrix = xgb.QuantileDMatrix(to_matrix(train, spec), label=np.log(train["price_usd"]),
                                 feature_names=list(spec.columns),
                                 feature_types=spec.feature_types, enable_categorical=True)  # fmt: skip
    plain = xgb.train({**DEFAULT_PARAMS, "learning_rate": 0.1}, matrix, num_boost_round=rounds)
    assert bytes(trained.booster.save_raw("ubj")) == bytes(plain.save_raw("ubj"))
    assert seen[-1] == (rounds, rounds)  # the bar ends complete, at the refit's rounds
    assert all(done <= total for done, total in seen)


def test_on_refit_is_called_once_when_the_refit_gets_every_thread(frame: pd.DataFrame) -> None:
    timer = PhaseTimer()
    seen: list[set[str]] = []
    train_model(frame, FAST_PARAMS, phases=timer,
                on_refit=lambda: seen.append(set(timer.summary()["phases"])))  # fmt: skip
    assert len(seen) == 1
    # Early stopping and the refit's other inputs are done; the refit's last rounds are not.
    assert {"early_stopping", "wait_for_refit_inputs"} <= seen[0]
    assert not {"refit", "holdout_scoring"} & seen[0]
