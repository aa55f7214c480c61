"""Training runs in MLflow: two real runs into the SQLite store under home, and the aliases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow import MlflowClient

from flightprice import registry
from flightprice.store import open_store
from flightprice.track import sync_model_aliases, tracking_uri
from flightprice.train.run import build_model_report, run_training
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow

FAST = {"num_boost_round": 30, "early_stopping_rounds": 5, "learning_rate": 0.3,
        "flight_min_rows": 10**9}  # fmt: skip


def _train(settings, run_id):
    with open_warehouse(settings) as wh:
        return run_training(settings, wh, open_store(settings), run_id=run_id, promote=True,
                            check_quality=False, params=FAST)  # fmt: skip


def _alias(client, settings, alias):
    mv = client.get_model_version_by_alias(settings.mlflow_model_name, alias)
    return mv.tags["flightprice.version"]


def test_two_training_runs_their_metrics_report_and_the_champion_alias(market_home, tracked):
    settings = tracked(market_home)
    first, second = _train(settings, "train-1"), _train(settings, "train-2")
    with open_warehouse(settings) as wh:
        files = build_model_report(settings, wh, open_store(settings), first.version)

    assert tracking_uri(settings).startswith("sqlite:///")
    assert (market_home / "mlflow" / "mlflow.db").is_file()
    client = MlflowClient(tracking_uri(settings), tracking_uri(settings))
    experiment = client.get_experiment_by_name(settings.mlflow_experiment)
    runs = {r.data.tags["flightprice.version"]: r
            for r in client.search_runs([experiment.experiment_id])}  # fmt: skip
    assert set(runs) == {first.version, second.version}
    for outcome in (first, second):
        run = runs[outcome.version]
        assert run.info.status == "FINISHED"
        assert run.data.metrics["mape"] == pytest.approx(outcome.metrics["mape"])
        assert run.data.metrics["route_cabin_median.mape"] == pytest.approx(
            outcome.baselines["route_cabin_median"]["mape"]
        )
        assert run.data.params["window.holdout_start"] == str(outcome.window["holdout_start"])
        assert run.data.params["learning_rate"] == "0.3"
        paths = {a.path for a in client.list_artifacts(run.info.run_id, "model")}
        assert paths == {"model/model.ubj", "model/metadata.json"}
    assert "champion.mape" in runs[second.version].data.metrics  # compared on the same rows
    report = client.download_artifacts(runs[first.version].info.run_id, "report/report.html")
    assert Path(report).read_text() == files.html.read_text()
    training = client.download_artifacts(runs[second.version].info.run_id, "training.json")
    assert json.loads(Path(training).read_text())["decision"] == second.decision

    with open_warehouse(settings, read_only=True) as wh:
        champion = registry.champion(wh).version
    assert _alias(client, settings, "champion") == champion


def test_aliases_follow_a_promotion_and_a_rollback(market_home, tracked):
    settings = tracked(market_home)
    first = _train(settings, "train-1")
    with open_warehouse(settings) as wh:  # a second version, registered as challenger
        second = run_training(settings, wh, open_store(settings), run_id="train-2",
                              compare=False, check_quality=False, params=FAST)  # fmt: skip
    client = MlflowClient(tracking_uri(settings), tracking_uri(settings))
    assert _alias(client, settings, "champion") == first.version
    assert _alias(client, settings, "challenger") == second.version
    with open_warehouse(settings) as wh:
        registry.promote(wh, second.version, "test: by hand")
        sync_model_aliases(settings, wh)
        assert _alias(client, settings, "champion") == second.version
        registry.rollback(wh, "test: back")
        sync_model_aliases(settings, wh)
    assert _alias(client, settings, "champion") == first.version
    assert _alias(client, settings, "challenger") == second.version


def test_a_tracking_failure_warns_and_training_goes_on(market_home, make_settings, caplog):
    # A tracking URI MLflow has no store for: the run is trained and registered all the same.
    broken = {"mlflow_tracking": True, "mlflow_uri": "nowhere://mlflow"}
    outcome = _train(make_settings(market_home, **broken), "train-1")
    assert outcome.status == "trained" and outcome.decision == "first_champion"
    assert "MLflow: could not track training run train-1" in caplog.text
    with pytest.raises(Exception, match="nowhere"):  # strict: training fails with it
        _train(make_settings(market_home, mlflow_strict=True, **broken), "train-2")
