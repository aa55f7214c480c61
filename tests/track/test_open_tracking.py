"""MLflow's store opens on a thread while training runs; its failure surfaces at the end."""

from __future__ import annotations

import pytest

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
