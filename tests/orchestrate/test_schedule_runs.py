"""`flightprice run` with `flightprice schedule` up: the hand-started run is in the server's API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flightprice.orchestrate import schedule
from flightprice.settings import Settings, get_settings

pytestmark = pytest.mark.slow


def test_run_scoring_reports_to_the_scheduler_server(champion_home, monkeypatch):
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterName,
        LogFilter,
        LogFilterFlowRunId,
    )

    from moto_aws import free_port

    for key in ("PREFECT_API_URL", "PREFECT_UI_URL"):
        monkeypatch.delenv(key, raising=False)
    port = free_port()
    monkeypatch.setenv("FLIGHTPRICE_HOME", str(champion_home))
    monkeypatch.setenv("FLIGHTPRICE_PREFECT_PORT", str(port))
    monkeypatch.setenv("FLIGHTPRICE_SCORING_MODE", "local")  # no API to price through
    monkeypatch.setenv("FLIGHTPRICE_SEARCH_TRIALS", "0")
    monkeypatch.setenv("PREFECT_UI_ENABLED", "false")  # see test_schedule.py
    get_settings.cache_clear()
    settings = Settings(home=champion_home, prefect_port=port)
    try:
        schedule.start(settings, timeout=240)
        # A process of its own, as a user starts it: the test session's Prefect settings
        # (its harness server) must not stand in for what the command finds by itself.
        cli = str(Path(sys.executable).with_name("flightprice"))
        ran = subprocess.run([cli, "--home", str(champion_home), "run", "scoring",
                              "--as-of", "2026-09-07T12:00:00", "--json"],
                             check=False, capture_output=True, text=True, timeout=600)  # fmt: skip
        assert ran.returncode == 0, ran.stderr[-3000:]
        assert json.loads(ran.stdout)["state"] == "COMPLETED"
        # dbt's node threads reach the scheduler's server too, with no temporary one.
        assert "temporary server" not in ran.stderr.lower(), ran.stderr[-3000:]

        with schedule._client(schedule.api_url(settings)) as client:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                name=FlowRunFilterName(like_="scoring-2026-09-07T12-00")))  # fmt: skip
            assert [r.state.type.value for r in runs] == ["COMPLETED"]
            # dbt's nodes run in threads of their own: their task runs are here too.
            tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[runs[0].id])))  # fmt: skip
            dbt_tasks = {t.id for t in tasks if t.name.startswith("model.")}
            assert dbt_tasks, [t.name for t in tasks]
            # ...and so are their logs (a thread without the run's settings sent them to a
            # temporary server).
            logs = client.read_logs(log_filter=LogFilter(
                flow_run_id=LogFilterFlowRunId(any_=[runs[0].id])))  # fmt: skip
            assert {log.task_run_id for log in logs} & dbt_tasks, len(logs)
            keys = {a.key for a in client.read_artifacts() if a.flow_run_id == runs[0].id}
            assert {"batch-scoring-summary", "batch-scoring-figures"} <= keys
            deployment = client.read_deployment_by_name("batch-scoring/every-6-hours")
            assert "as_of" in deployment.parameter_openapi_schema["properties"]
    finally:
        schedule.stop(settings)
        get_settings.cache_clear()
