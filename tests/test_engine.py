"""The engine settings choose the scoring flow's task runner and the LocalCluster's shape."""

from __future__ import annotations

import pytest
from prefect_dask import DaskTaskRunner

from flightprice.engine import local_cluster_kwargs, scoring_task_runner
from flightprice.settings import Settings


def test_the_local_engine_keeps_prefects_default_task_runner(tmp_path):
    assert scoring_task_runner(settings=Settings(home=tmp_path, engine="local")) is None


def test_the_dask_engine_runs_the_flow_on_the_configured_scheduler(tmp_path):
    settings = Settings(home=tmp_path, engine="dask", dask_address="tcp://scheduler:8786")
    runner = scoring_task_runner(settings=settings)
    assert isinstance(runner, DaskTaskRunner) and runner.address == "tcp://scheduler:8786"


def test_without_an_address_the_flow_starts_a_local_cluster_of_single_threaded_workers(tmp_path):
    runner = scoring_task_runner(settings=Settings(home=tmp_path, engine="dask", dask_workers=3))
    assert isinstance(runner, DaskTaskRunner) and runner.address is None
    assert runner.cluster_kwargs == local_cluster_kwargs(Settings(home=tmp_path, dask_workers=3))
    assert runner.cluster_kwargs["n_workers"] == 3
    assert runner.cluster_kwargs["threads_per_worker"] == 1 and runner.cluster_kwargs["processes"]


def test_the_engine_is_read_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIGHTPRICE_ENGINE", "dask")
    monkeypatch.setenv("FLIGHTPRICE_DASK_ADDRESS", "tcp://env-scheduler:8786")
    assert scoring_task_runner().address == "tcp://env-scheduler:8786"
    monkeypatch.setenv("FLIGHTPRICE_ENGINE", "spark")
    with pytest.raises(ValueError, match="engine"):
        Settings(home=tmp_path)
