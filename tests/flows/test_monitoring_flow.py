"""Monitoring after deployment, end to end: the scoring flow measures each run, and a drifted
market (prices shifted after a price was published, a new route, emptier planes) breaches,
notifies and starts the training deployment, whose run records the reason in TRAINING_LOG."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

from flightprice.cli.run import load_flow
from flightprice.settings import get_settings
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow

FACT = "ANALYTICS.FCT_FARE_OBSERVATION"
LATEST = "STAGING.INT_FLIGHT_LATEST_QUOTES"


@pytest.fixture
def flows(make_settings, tmp_path):
    flows_dir = make_settings(tmp_path).flows_dir
    training = load_flow(flows_dir, "training")
    training.to_deployment(name="weekly").apply()  # what `flightprice schedule` deploys
    return load_flow(flows_dir, "scoring"), training


@pytest.fixture
def env(monkeypatch, webhook, champion_home):
    for key, value in {"HOME": champion_home, "WAREHOUSE": "duckdb", "STORE": "local",
                       "NOTIFY_WEBHOOK_URL": webhook.url, "SCORING_MODE": "local",
                       "MONITORING_RETRAIN": "true", "API_URL": "http://127.0.0.1:9",
                       "MLFLOW_TRACKING": "false", "HOLDOUT_DAYS": "2"}.items():  # fmt: skip
        monkeypatch.setenv(f"FLIGHTPRICE_{key}", str(value))
    get_settings.cache_clear()
    yield champion_home
    get_settings.cache_clear()


def _monitoring(home: Path):
    with open_warehouse(get_settings(), read_only=True) as wh:
        return wh.query_df("SELECT * FROM ML_PREDICTIONS.MODEL_MONITORING")


def _training_runs():
    with get_client(sync_client=True) as client:
        deployment = client.read_deployments(deployment_filter=DeploymentFilter(
            name=DeploymentFilterName(any_=["weekly"])))[0]  # fmt: skip
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id={"any_": [deployment.id]}))  # fmt: skip


def test_a_drifted_market_breaches_notifies_and_starts_training(env, flows, webhook):
    scoring, training = flows
    first = scoring(mode="local", run_id="mon-1", as_of="2026-09-06 12:00:00")
    assert first["monitoring"]["breaches"] == [], first["monitoring"]["breaches"]
    assert len(webhook.received) == 1  # the scoring summary only
    assert _training_runs() == []

    with open_warehouse(get_settings()) as wh:  # the market moves after the first prices
        wh.execute(f"UPDATE {FACT} SET price_usd = price_usd * 1.8 "
                   "WHERE observed_at > TIMESTAMP '2026-09-06 12:00:00'")  # fmt: skip
        wh.execute(f"UPDATE {FACT} SET seats_remaining = 1")
        wh.execute(f"UPDATE {FACT} SET origin = 'ZZZ' WHERE carrier = (SELECT MIN(carrier) "
                   f"FROM {FACT})")  # fmt: skip
        # The scoring features read each flight's latest quote from its incremental table,
        # which a dbt run fills from new quotes: edited in place here, it moves the same way.
        wh.execute(f"UPDATE {LATEST} SET seats_remaining = 1")
        wh.execute(f"UPDATE {LATEST} SET origin = 'ZZZ' WHERE carrier = (SELECT MIN(carrier) "
                   f"FROM {FACT})")  # fmt: skip
    second = scoring(mode="local", run_id="mon-2", as_of="2026-09-07 12:00:00")

    rows = _monitoring(env)
    assert set(rows["run_id"]) == {"mon-1", "mon-2"}
    assert set(rows["kind"]) == {"input_drift", "unseen", "output_drift", "accuracy"}
    breached = rows[rows["breached"]]
    assert set(breached["run_id"]) == {"mon-2"}
    found = set(zip(breached["kind"], breached["name"], strict=True))
    assert {("input_drift", "load_factor"), ("unseen", "route"), ("accuracy", "overall")} <= found
    before = rows[(rows["run_id"] == "mon-1") & (rows["name"] == "overall")]["value"].iloc[0]
    after = rows[(rows["run_id"] == "mon-2") & (rows["name"] == "overall")]["value"].iloc[0]
    assert after > 0.25 > before  # realised MAPE against the shifted fares

    report = Path(second["monitoring"]["report"])
    assert report.is_file() and "mon-2" in report.read_text()
    assert report.read_text().count('class="breach"') >= len(breached)
    alerts = [m["text"] for m in webhook.received if "model monitoring" in m["text"]]
    assert len(alerts) == 1 and "unseen route" in alerts[0]

    (run,) = _training_runs()  # started, not waited for: a worker would run it
    reason = run.parameters["reason"]
    assert reason.startswith("monitoring breach in scoring run mon-2")
    assert second["monitoring"]["training"].startswith(f"flow run {run.id}")

    # Run it here, as the worker would, and find the reason in TRAINING_LOG.
    training(refresh=False, reason=reason)
    with open_warehouse(get_settings(), read_only=True) as wh:
        logged = wh.query_df("SELECT reason FROM ML_PREDICTIONS.TRAINING_LOG")
    assert logged["reason"].str.startswith(f"triggered by {reason}; ").any()
