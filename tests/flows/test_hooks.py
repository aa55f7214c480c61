"""Every flow's shared hooks: notify on failure and on crash (with the run's link), run names."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from prefect import flow

from flightprice.orchestrate.hooks import notify_flow_state, run_name, state_message
from flightprice.settings import get_settings
from flightprice.transform._prefect_dbt import NamedNodeRunner


@pytest.fixture
def hooked(settings, webhook, monkeypatch):
    monkeypatch.setenv("FLIGHTPRICE_NOTIFY_WEBHOOK_URL", webhook.url)
    get_settings.cache_clear()
    yield webhook
    get_settings.cache_clear()


def test_a_failed_flow_notifies_with_its_run_name(hooked):
    @flow(name="boom", flow_run_name=run_name("boom"), on_failure=[notify_flow_state])
    def boom(as_of: str = "2026-09-03") -> None:
        raise ValueError("the warehouse is on fire")

    state = boom(return_state=True)
    assert state.is_failed()
    [sent] = hooked.received
    assert sent["text"].startswith(":x: *boom failed: boom-2026-09-03*")
    assert "the warehouse is on fire" in sent["text"]


def test_a_crashed_flow_notifies_too(hooked):
    # A BaseException that is not an Exception (as a SIGTERM's) is how Prefect sees a crash.
    @flow(name="crash", on_crashed=[notify_flow_state])
    def crash() -> None:
        raise SystemExit(1)

    with pytest.raises(BaseException):  # noqa: B017 - Prefect re-raises the crash
        crash()
    [sent] = hooked.received
    assert ":x: *crash crashed: " in sent["text"]


def test_failure_message_links_to_the_run_when_a_ui_is_known():
    from prefect.settings import PREFECT_UI_URL, temporary_settings

    run = SimpleNamespace(id="0b9c8a1e-0000-4000-8000-000000000001", name="daily-2026-09-03")
    failed = SimpleNamespace(is_crashed=lambda: False, message="dbt facts failed", name="Failed")
    with temporary_settings(updates={PREFECT_UI_URL: "http://127.0.0.1:4200"}):
        subject, body = state_message("daily-data-pipeline", run, failed)
    assert subject == "daily-data-pipeline failed: daily-2026-09-03"
    assert "http://127.0.0.1:4200/runs/flow-run/0b9c8a1e-0000-4000-8000-000000000001" in body


def test_dbt_task_runs_are_named_after_their_node():
    from dbt.artifacts.resources.types import NodeType

    # A stand-in manifest node: only its resource type, name and id are read.
    node = SimpleNamespace(resource_type=NodeType.Model, name="fct_fare_observation",
                           unique_id="model.flightprice.fct_fare_observation")  # fmt: skip
    runner = NamedNodeRunner.__new__(NamedNodeRunner)
    assert runner._create_task_options(node)["task_run_name"] == "model.fct_fare_observation"
