"""The batch scoring flow as a real Prefect flow: API health -> dbt ml -> score -> notify."""

from __future__ import annotations

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

from flightprice.cli.run import load_flow
from flightprice.settings import get_settings
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture
def scoring_flow(make_settings, tmp_path):
    return load_flow(make_settings(tmp_path).flows_dir, "scoring")


@pytest.fixture
def flow_env(monkeypatch, webhook):
    """Point the flow's own settings (read at its entry) at a home and the test webhook."""

    def configure(home, **env):
        for key, value in {
            "HOME": home,
            "WAREHOUSE": "duckdb",
            "STORE": "local",
            "NOTIFY_WEBHOOK_URL": webhook.url,
            **env,
        }.items():
            monkeypatch.setenv(f"FLIGHTPRICE_{key}", str(value))
        get_settings.cache_clear()

    yield configure
    get_settings.cache_clear()


def test_flow_checks_the_api_refreshes_features_scores_and_notifies(
    champion_home, make_settings, serve_api, scoring_flow, flow_env, webhook
):
    with serve_api(make_settings(champion_home)) as url:
        flow_env(champion_home, API_URL=url)
        state = scoring_flow(
            mode="api", run_id="flow-1", as_of="2026-09-07 12:00:00", return_state=True
        )
    assert state.is_completed(), state
    report = state.result()
    assert report["status"] == "success" and report["mode"] == "api"
    assert str(report["as_of"]) == "2026-09-07 12:00:00"  # dbt rebuilt the features as of then
    with open_warehouse(make_settings(champion_home), read_only=True) as wh:
        prices = wh.query_df(
            "SELECT COUNT(*) AS n, MIN(as_of) AS as_of, MAX(run_id) AS run "
            "FROM ML_PREDICTIONS.FLIGHT_PRICES"
        )
        logged = wh.query_df("SELECT status FROM ML_PREDICTIONS.SCORING_LOG")
    assert prices["n"][0] == report["rows"] > 1000 and prices["run"][0] == "flow-1"
    assert logged["status"].tolist() == ["success"]
    assert len(webhook.received) == 1
    text = webhook.received[0]["text"]
    assert text.startswith(":white_check_mark: *batch scoring flow-1 succeeded*")
    assert f"**{report['rows']:,}** flight-cabins priced with model `v-test-1`" in text


def test_failed_flow_notifies_without_retrying_what_cannot_succeed(
    market_home, scoring_flow, flow_env, webhook
):
    flow_env(market_home)  # no champion yet
    state = scoring_flow(mode="local", run_id="flow-2", refresh_features=False, return_state=True)
    assert state.is_failed()
    assert len(webhook.received) == 1
    text = webhook.received[0]["text"]
    assert text.startswith(":x: *batch-scoring failed") and "no champion" in text
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[state.state_details.flow_run_id])
            )
        )
    [score] = [run for run in runs if run.name.startswith("score_flights")]
    assert score.run_count == 1  # a missing champion is not retried
