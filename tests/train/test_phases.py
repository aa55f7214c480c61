"""Where a training run's time goes: every phase timed, the sequential ones adding up to the run."""

from __future__ import annotations

import json
import threading
import time

import pytest
from test_model import FAST_PARAMS, make_training_frame

from flightprice.store import open_store
from flightprice.train._phases import PhaseTimer, describe
from flightprice.train.model import choose_holdout, evaluate, train_model
from flightprice.train.run import run_training
from flightprice.warehouse import open_warehouse

RUN_PHASES = {"load_champion", "read_frame", "search", "split", "early_stopping",
              "wait_for_refit_inputs", "refit", "holdout_scoring", "champion_scoring", "save",
              "register", "training_log", "mlflow"}  # fmt: skip
OVERLAPPED = {"refit_matrix", "baselines", "reference"}


def test_phases_add_up_and_overlapped_work_is_kept_apart() -> None:
    timer = PhaseTimer()
    with timer.phase("first"):
        time.sleep(0.05)
    helper = threading.Thread(target=lambda: _sleep_in(timer, "helper", 0.1))
    with timer.phase("second"):
        helper.start()
        helper.join()
    with timer.phase("first"):  # a phase run twice adds up
        time.sleep(0.05)
    summary = timer.summary()

    phases = summary["phases"]
    assert list(phases) == ["first", "helper", "second"]  # in the order they ended
    assert phases["first"]["wall_s"] >= 0.1 and phases["first"]["cpu_s"] < 0.05  # asleep
    assert phases["helper"]["overlapped"] and "overlapped" not in phases["second"]
    assert phases["second"]["wall_s"] >= phases["helper"]["wall_s"] >= 0.1
    covered = phases["first"]["wall_s"] + phases["second"]["wall_s"]
    assert summary["other_s"] == pytest.approx(summary["wall_s"] - covered, abs=0.002)
    assert 0 <= summary["other_s"] < 0.05
    assert "helper 0.1" in describe(summary) and "overlapped" in describe(summary)


def _sleep_in(timer: PhaseTimer, name: str, seconds: float) -> None:
    with timer.phase(name, overlapped=True):
        time.sleep(seconds)


def test_train_model_times_its_steps_and_scores_the_champion_on_its_holdout() -> None:
    frame = make_training_frame()
    champion = train_model(frame, {**FAST_PARAMS, "num_boost_round": 20})
    timer = PhaseTimer()
    trained = train_model(frame, FAST_PARAMS, champion=champion, phases=timer)
    summary = timer.summary()

    assert {"split", "early_stopping", "refit", "holdout_scoring"} <= set(summary["phases"])
    assert OVERLAPPED | {"champion_scoring"} <= {
        name for name, p in summary["phases"].items() if p.get("overlapped")
    }
    assert summary["phases"]["early_stopping"]["wall_s"] > 0
    # The refit runs on one thread beside early stopping, then on all (on data this small it
    # may end before early stopping does, leaving nothing to wait for): together it took time.
    refit = [summary["phases"][name]["wall_s"] for name in ("refit_on_one_thread", "refit")]
    assert sum(refit) > 0 and summary["phases"]["refit_on_one_thread"]["overlapped"]
    # Scored while early stopping ran, on the rows that scored the challenger.
    holdout = choose_holdout(frame, 7).holdout
    assert trained.champion_metrics == evaluate(champion, holdout)
    assert trained.champion_metrics["rows"] == trained.metrics["rows"]
    assert train_model(frame, FAST_PARAMS).champion_metrics is None


@pytest.mark.slow
def test_a_training_run_reports_its_phases_in_json_log_and_metadata(
    champion_home, make_settings, caplog
) -> None:
    settings = make_settings(champion_home)
    caplog.set_level("INFO", logger="flightprice.train.run")
    with open_warehouse(settings) as wh:
        outcome = run_training(settings, wh, open_store(settings), run_id="train-phases",
                               compare=True, check_quality=False,
                               params={"num_boost_round": 40, "learning_rate": 0.3})  # fmt: skip

    timing = outcome.to_dict()["timing"]
    phases = timing["phases"]
    assert RUN_PHASES | OVERLAPPED | {"champion_scoring"} <= set(phases)
    sequential = sum(p["wall_s"] for p in phases.values() if not p.get("overlapped"))
    assert sequential == pytest.approx(timing["wall_s"], rel=0.05, abs=0.25)
    assert timing["wall_s"] <= outcome.seconds + 0.05
    assert timing["cpu_s"] > 0 and all(p["cpu_s"] >= 0 for p in phases.values())
    assert "training time by phase: load_champion" in caplog.text
    metadata = json.loads(
        open_store(settings).read_bytes(f"models/{outcome.version}/metadata.json")
    )
    assert set(metadata["timing"]["phases"]) >= {"read_frame", "refit", "holdout_scoring"}
    assert "save" not in metadata["timing"]["phases"]  # recorded before it was saved
