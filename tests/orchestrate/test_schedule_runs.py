"""`flightprice run` with `flightprice schedule` up: the hand-started run is in the server's API."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.orchestrate import schedule
from flightprice.settings import Settings, get_settings

pytestmark = pytest.mark.slow


def test_run_scoring_reports_to_the_scheduler_server(champion_home, monkeypatch):
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

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
        ran = CliRunner().invoke(app, ["--home", str(champion_home), "run", "scoring",
                                       "--as-of", "2026-09-07T12:00:00", "--json"])  # fmt: skip
        assert ran.exit_code == 0, ran.output
        assert json.loads(ran.stdout)["state"] == "COMPLETED"

        with schedule._client(schedule.api_url(settings)) as client:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                name=FlowRunFilterName(like_="scoring-2026-09-07T12-00")))  # fmt: skip
            assert [r.state.type.value for r in runs] == ["COMPLETED"]
            keys = {a.key for a in client.read_artifacts() if a.flow_run_id == runs[0].id}
            assert {"batch-scoring-summary", "batch-scoring-figures"} <= keys
            deployment = client.read_deployment_by_name("batch-scoring/every-6-hours")
            assert "as_of" in deployment.parameter_openapi_schema["properties"]
    finally:
        schedule.stop(settings)
        get_settings.cache_clear()
