"""The refit started before its rounds are known builds exactly the plain R-round model."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from test_model import FAST_PARAMS, make_training_frame

from flightprice.features import build_spec, to_matrix
from flightprice.train import model as model_module
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


def test_a_failed_early_stopping_aborts_the_refit_and_is_raised(
    frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in fold fit that raises (nothing real fails on demand); the refit is real.
    def broken_fold(*args, **kwargs):
        raise RuntimeError("early stopping failed")

    monkeypatch.setattr(model_module, "fit_fold", broken_fold)
    refits: list[OverlappedRefit] = []
    original = OverlappedRefit.train

    def watched(self: OverlappedRefit, dtrain: xgb.DMatrix) -> xgb.Booster:
        refits.append(self)
        booster = original(self, dtrain)
        refits.append(booster)
        return booster

    monkeypatch.setattr(OverlappedRefit, "train", watched)
    with pytest.raises(RuntimeError, match="early stopping failed"):
        train_model(frame, FAST_PARAMS)
    refit, booster = refits
    assert refit._aborted.is_set()  # ended after its current round, not at its ceiling
    assert booster.num_boosted_rounds() < refit._ceiling


def test_the_refit_runs_on_the_calling_thread_and_the_helper_is_gone_by_its_release(
    frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GNU OpenMP spins less when more threads than cores exist: the refit's full-thread
    # rounds must run with the early-stopping thread ended (model.train_model's comment).
    seen: dict[str, object] = {}
    original = OverlappedRefit.after_iteration

    def watched(self: OverlappedRefit, model_: xgb.Booster, epoch: int, evals_log) -> bool:
        seen.setdefault("refit_thread", threading.get_ident())
        if not self._released.is_set():
            time.sleep(0.01)  # pace the refit so that early stopping's helper releases it
        elif "alive_after_release" not in seen:
            time.sleep(0.05)  # the helper returns right after releasing: give it time to end
            seen["alive_after_release"] = [
                t.name for t in threading.enumerate() if t.name.startswith("early-stopping")
            ]
        return original(self, model_, epoch, evals_log)

    monkeypatch.setattr(OverlappedRefit, "after_iteration", watched)
    trained = train_model(frame, FAST_PARAMS)
    assert seen["refit_thread"] == threading.get_ident()
    assert seen.get("alive_after_release") == [], seen
    assert trained.booster.num_boosted_rounds() == trained.early_stopping["refit_rounds"]
