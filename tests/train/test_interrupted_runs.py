"""Models a killed training run registered without logging get their TRAINING_LOG row."""

from __future__ import annotations

import pytest

from flightprice.store import open_store
from flightprice.train.run import run_training
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow

QUICK = {"num_boost_round": 20, "early_stopping_rounds": 5, "learning_rate": 0.3}


def test_the_next_run_logs_models_whose_runs_were_killed(
    champion_home, make_settings, train_and_register
):
    # What kills leave: a first champion (v-test-1) and a later challenger (v-test-2),
    # both registered, neither with a TRAINING_LOG row (killed before the run logged).
    settings = make_settings(champion_home)
    train_and_register(settings, "v-test-2", champion=False, rounds=10)
    with open_warehouse(settings) as wh:
        assert wh.query_df("SELECT * FROM ML_PREDICTIONS.TRAINING_LOG").empty
        outcome = run_training(settings, wh, open_store(settings), run_id="train-3",
                               compare=False, check_quality=False, params=QUICK)  # fmt: skip
        models = wh.query_df("SELECT version FROM ML_PREDICTIONS.MODEL_REGISTRY")
        log = wh.query_df("SELECT run_id, status, model_version, decision, reason "
                          "FROM ML_PREDICTIONS.TRAINING_LOG")  # fmt: skip

    assert sorted(log["model_version"]) == sorted(models["version"])  # one row per model
    by_version = log.set_index("model_version")
    assert by_version.loc["v-test-1", "decision"] == "first_champion"
    assert by_version.loc["v-test-2", "decision"] == "none"
    assert "interrupted" in by_version.loc["v-test-2", "reason"]
    assert by_version.loc[outcome.version, "run_id"] == "train-3"
    assert len(log) == 3
