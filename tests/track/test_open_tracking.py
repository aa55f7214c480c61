"""MLflow's store opens on a thread while training runs; its failure surfaces at the end."""

from __future__ import annotations

import os
import threading

import pytest

from flightprice.track import mlflow_runs
from flightprice.track.mlflow_runs import open_tracking, track_training
from flightprice.train.run import TrainingOutcome


def test_tracking_off_opens_nothing(make_settings, tmp_path) -> None:
    assert open_tracking(make_settings(tmp_path, mlflow_tracking=False)) is None


def test_a_store_that_cannot_open_is_a_warning_at_the_end(make_settings, tmp_path, caplog):
    settings = make_settings(tmp_path, mlflow_tracking=True, mlflow_uri="nowhere-scheme://x")
    opened = open_tracking(settings)
    assert opened is not None
    with pytest.raises(Exception, match="nowhere-scheme"):  # kept until the run ends
        opened.result(timeout=120)
    outcome = TrainingOutcome(run_id="train-x", status="trained", version="v1")
    # The store is never reached: the opened future fails first (no warehouse, no store needed).
    assert track_training(settings, None, None, outcome, opened) is None
    assert "could not track training run train-x" in caplog.text
    strict = settings.model_copy(update={"mlflow_strict": True})
    with pytest.raises(Exception, match="nowhere-scheme"):
        track_training(strict, None, None, outcome, opened)


def test_the_store_opens_on_a_thread_at_a_lower_cpu_priority(
    make_settings, tmp_path, monkeypatch
) -> None:
    # The real store opens; the wrapper only records the priority of the thread it runs on.
    seen: dict[str, int] = {}
    real_open = mlflow_runs._open_store

    def recording(settings):
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        seen["thread"] = threading.get_native_id()
        return real_open(settings)

    monkeypatch.setattr(mlflow_runs, "_open_store", recording)
    caller = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    opened = open_tracking(make_settings(tmp_path, mlflow_tracking=True))
    client, experiment_id = opened.result(timeout=120)
    assert experiment_id and client.get_experiment(experiment_id) is not None
    assert seen["thread"] != threading.get_native_id()
    assert seen["nice"] == min(19, caller + mlflow_runs.BACKGROUND_NICE) > caller
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == caller  # ours unchanged
