"""The scoring flow chooses its task runner from FLIGHTPRICE_ENGINE when a run starts."""

from __future__ import annotations

from prefect import task
from prefect.context import get_run_context
from prefect.task_runners import ThreadPoolTaskRunner
from prefect_dask import DaskTaskRunner

from flightprice.orchestrate.engine_flow import engine_flow
from flightprice.orchestrate.runs import load_flow
from flightprice.settings import Settings

DASK = {"FLIGHTPRICE_ENGINE": "dask", "FLIGHTPRICE_DASK_ADDRESS": "tcp://scheduler:8786"}


def test_the_loaded_scoring_flow_follows_a_changed_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIGHTPRICE_ENGINE", "local")
    # Imported once, as a long-lived server does.
    flow = load_flow(Settings(home=tmp_path).flows_dir, "scoring")
    assert isinstance(flow.task_runner, ThreadPoolTaskRunner)
    for key, value in DASK.items():
        monkeypatch.setenv(key, value)
    assert isinstance(flow.task_runner, DaskTaskRunner)
    assert flow.task_runner.address == "tcp://scheduler:8786"
    monkeypatch.setenv("FLIGHTPRICE_ENGINE", "local")
    assert isinstance(flow.task_runner, ThreadPoolTaskRunner)


def test_a_runner_given_explicitly_wins_over_the_engine(tmp_path, monkeypatch):
    flow = load_flow(Settings(home=tmp_path).flows_dir, "scoring")
    for key, value in DASK.items():
        monkeypatch.setenv(key, value)
    chosen = ThreadPoolTaskRunner(max_workers=3)
    assert flow.with_options(task_runner=chosen).task_runner is chosen


@task
def probe_task() -> str:
    return "task ran"


def runner_in_use() -> str:
    """Return the class name of the task runner of the flow run calling it."""
    probe_task()
    return type(get_run_context().task_runner).__name__


def test_a_run_uses_the_engine_in_force_when_it_starts(monkeypatch):
    # Defined while the engine is dask (at an unreachable scheduler): a flow fixing its runner
    # here would fail to connect when run below; this one runs on the engine set since.
    for key, value in DASK.items():
        monkeypatch.setenv(key, value)
    probe = engine_flow(name="engine-probe")(runner_in_use)
    assert isinstance(probe.task_runner, DaskTaskRunner)
    monkeypatch.setenv("FLIGHTPRICE_ENGINE", "local")
    assert probe() == "ThreadPoolTaskRunner"
