"""Start the refit before its rounds are known: one thread beside early stopping, then all.

The refit's round count only says where it stops, and boosting is sequential: the first R
trees of a longer fit ARE the R-round model. So `train_model` starts the refit on a helper
thread as soon as its matrix is built, on one thread (early stopping holds the other cores),
with a round ceiling; `OverlappedRefit` (an XGBoost callback) raises it to the full thread
count once early stopping and the refit's other inputs are done (`release`), and stops it at
the rounds early stopping chose (`stop_at`). A refit that ran past them while early stopping
was still going (small data) is cut with `booster[:rounds]` (`trimmed`). XGBoost `hist` builds
byte-identical trees whatever the thread count, also when it changes mid-training, so the
model is the one a plain `xgboost.train(..., num_boost_round=R)` builds (tests/train/
test_overlapped_refit.py; benchmarks/README.md, Session 8).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Any

import xgboost as xgb

from flightprice.train._phases import PhaseTimer

log = logging.getLogger(__name__)


class OverlappedRefit(xgb.callback.TrainingCallback):
    """Steer one refit started early: one thread until `release`, stopped at `stop_at`'s rounds.

    `stop_at` and `release` are called from another thread than the one training; the
    callback reads them after every round. `progress` sees (done, rounds) once the rounds
    are known and the refit runs on every thread.
    """

    def __init__(
        self,
        params: Mapping[str, Any],
        ceiling: int,
        phases: PhaseTimer,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        super().__init__()
        self._params = dict(params)
        self._ceiling = ceiling
        self._phases = phases
        self._progress = progress
        self._rounds: int | None = None
        self._released = threading.Event()
        self._aborted = threading.Event()
        self._one_thread = ExitStack()  # the overlapped phase: from the start to the release
        self.rounds_on_one_thread = 0

    def train(self, dtrain: xgb.DMatrix) -> xgb.Booster:
        """Fit on `dtrain` up to the ceiling; the callback stops it earlier. Return the booster."""
        return xgb.train(
            {**self._params, "nthread": 1},
            dtrain,
            num_boost_round=self._ceiling,
            callbacks=[self],
            verbose_eval=False,
        )

    def stop_at(self, rounds: int) -> None:
        """Stop the refit after `rounds` rounds (its end, or its next round if already past)."""
        self._rounds = rounds

    def release(self) -> None:
        """Let the refit use the full thread count from its next round on."""
        self._released.set()

    def abort(self) -> None:
        """Stop the refit after its current round (early stopping or a helper failed)."""
        self._aborted.set()

    def trimmed(self, booster: xgb.Booster) -> xgb.Booster:
        """Return the `stop_at` rounds' model: the first trees of a refit that ran past them."""
        if self._rounds is None or booster.num_boosted_rounds() <= self._rounds:
            return booster
        log.debug("refit ran %d rounds past %d: cut", booster.num_boosted_rounds(), self._rounds)
        return booster[: self._rounds]

    def before_training(self, model: xgb.Booster) -> xgb.Booster:
        self._one_thread.enter_context(self._phases.phase("refit_on_one_thread", overlapped=True))
        return model

    def after_iteration(self, model: xgb.Booster, epoch: int, evals_log: Any) -> bool:
        if self._aborted.is_set():
            return True
        done, rounds = epoch + 1, self._rounds
        if self._released.is_set() and not self.rounds_on_one_thread:
            self.rounds_on_one_thread = done
            self._one_thread.close()
            # 0 is XGBoost's default: every core, as a plain `xgboost.train` without nthread.
            model.set_param("nthread", int(self._params.get("nthread") or 0))
        if rounds is not None and self._progress is not None and self.rounds_on_one_thread:
            self._progress(min(done, rounds), rounds)
        return rounds is not None and done >= rounds

    def after_training(self, model: xgb.Booster) -> xgb.Booster:
        if not self.rounds_on_one_thread:  # it ended before the release: all on one thread
            self.rounds_on_one_thread = model.num_boosted_rounds()
        self._one_thread.close()
        return model
