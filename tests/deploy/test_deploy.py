"""Deploy: ECS against moto's HTTP server (ECS + EC2), and the local target with a real API.

Assertions are on the service's task definition and the registry, never on running counts:
moto never reports a rollout as settled (so the bounded poll ends at its timeout here).
"""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from flightprice import registry
from flightprice.cli import app
from flightprice.deploy import _ecs
from flightprice.deploy.rollout import deploy
from flightprice.serve.smoke import run_smoke_test
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.aws

ECS = {"deploy_target": "ecs", "ecs_cluster": "flightprice", "ecs_service": "flightprice-api",
       "ecs_poll_timeout_seconds": 0.5, "ecs_poll_interval_seconds": 0.1,
       "smoke_wait_seconds": 0.0, "smoke_latency_budget_ms": 5000.0,
       "s3_bucket": "flightprice-models", "snowflake_account": "acct", "snowflake_user": "svc"}


@pytest.fixture
def ecs_home(champion_home, make_settings, train_and_register, aws):
    """Champion v-test-1 served by an ECS service (revision 1 pins it); challenger v-test-2."""
    from moto_aws import create_ecs_service, nothing_listening

    settings = make_settings(champion_home, ecs_endpoint_url=aws, **ECS,
                             ecs_service_url=nothing_listening())
    train_and_register(settings, "v-test-2", champion=False, rounds=10)
    service = create_ecs_service(aws, settings, pinned_version="v-test-1")
    return settings, service


def _registry(settings) -> dict[str, tuple[str, str | None]]:
    with open_warehouse(settings, read_only=True) as wh:
        return {e.version: (e.status, e.reason) for e in registry.list_models(wh)}


def _training_log(settings) -> list[dict]:
    with open_warehouse(settings, read_only=True) as wh:
        frame = wh.query_df("SELECT status, model_version, decision, reason "
                            "FROM ML_PREDICTIONS.TRAINING_LOG")
    return frame.to_dict("records")


def _env(definition: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in definition["containerDefinitions"][0]["environment"]}


def test_ecs_deploy_rolls_out_a_revision_pinning_the_version(ecs_home, serve_api, aws):
    from moto_aws import service_task_definition

    settings, service = ecs_home
    with serve_api(settings) as url:
        def new_tasks_then_smoke(target: str):
            # ECS would start tasks of the new revision, which load the champion; the one API
            # standing in for the service does that with a reload, then the real smoke test.
            httpx.post(f"{target}/admin/reload", headers={"X-API-Key": "test-admin-key"},
                       timeout=30).raise_for_status()
            return run_smoke_test(target, latency_budget_ms=5000)

        settings = settings.model_copy(update={"ecs_service_url": url})
        result = deploy(settings, "v-test-2", smoke_test=new_tasks_then_smoke)

    assert result.passed and not result.rolled_back, result.detail
    assert result.smoke["passed"] and result.previous_version == "v-test-1"
    assert result.previous_task_definition == service["first_revision"]
    assert result.task_definition.endswith("task-definition/flightprice-api:2")
    now = service_task_definition(aws, service["cluster"], service["service"])
    assert now["taskDefinitionArn"] == result.task_definition
    assert _env(now)["FLIGHTPRICE_MODEL_VERSION"] == "v-test-2"
    assert now["memory"] == "2048" and now["cpu"] == "1024"
    secrets = now["containerDefinitions"][0]["secrets"]
    assert {s["name"] for s in secrets} >= {"FLIGHTPRICE_SNOWFLAKE_PASSWORD", "FLIGHTPRICE_API_KEY"}
    assert all(s["valueFrom"].startswith("arn:aws:secretsmanager:") for s in secrets)
    assert not _ecs.inline_secrets(now)
    assert _registry(settings)["v-test-2"][0] == "champion"
    assert _registry(settings)["v-test-1"][0] == "retired"


def test_failed_smoke_test_puts_the_service_and_the_registry_back(ecs_home, aws):
    from moto_aws import client, service_task_definition

    settings, service = ecs_home  # the service URL answers nothing: the real smoke test fails
    result = deploy(settings, "v-test-2", run_id="training-x")

    assert not result.passed and result.rolled_back
    assert "smoke test failed" in result.detail and "health" in result.detail
    assert result.smoke is not None and not result.smoke["passed"]
    now = service_task_definition(aws, service["cluster"], service["service"])
    assert now["taskDefinitionArn"] == service["first_revision"]
    assert _env(now)["FLIGHTPRICE_MODEL_VERSION"] == "v-test-1"
    revisions = client(aws, "ecs").list_task_definitions(familyPrefix="flightprice-api")
    assert len(revisions["taskDefinitionArns"]) == 2  # the failed one stays, for the record

    models = _registry(settings)
    assert models["v-test-1"][0] == "champion" and "reinstated by rollback" in models["v-test-1"][1]
    assert models["v-test-2"][0] == "challenger"
    assert "rolled back: ecs deploy failed: smoke test failed" in models["v-test-2"][1]
    (row,) = _training_log(settings)
    assert row["status"] == "failed" and row["decision"] == "rolled_back"
    assert row["model_version"] == "v-test-2" and "smoke test failed" in row["reason"]
    assert "champion v-test-1 reinstated" in row["reason"]


def test_deploy_cli_reports_the_rollback_and_exits_1(ecs_home, monkeypatch):
    settings, _ = ecs_home
    for key, value in {"HOME": settings.home, **ECS, "ECS_ENDPOINT_URL": settings.ecs_endpoint_url,
                       "ECS_SERVICE_URL": settings.ecs_service_url}.items():
        monkeypatch.setenv(f"FLIGHTPRICE_{key.upper()}", str(value))
    result = CliRunner().invoke(app, ["deploy", "--target", "ecs", "--version", "v-test-2",
                                      "--json"])
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    assert payload["rolled_back"] and payload["version"] == "v-test-2"
    assert payload["previous_version"] == "v-test-1"


def test_inline_secret_is_refused_before_anything_changes(ecs_home, tmp_path, aws):
    from moto_aws import service_task_definition

    settings, service = ecs_home
    template = json.loads(settings.ecs_task_definition_path.read_text())
    template["containerDefinitions"][0]["environment"].append(
        {"name": "FLIGHTPRICE_SNOWFLAKE_PASSWORD", "value": "hunter2"})
    leaky = tmp_path / "task-definition.json"
    leaky.write_text(json.dumps(template))

    with pytest.raises(_ecs.TaskDefinitionError, match="FLIGHTPRICE_SNOWFLAKE_PASSWORD"):
        deploy(settings.model_copy(update={"ecs_task_definition_path": leaky}), "v-test-2")
    now = service_task_definition(aws, service["cluster"], service["service"])
    assert now["taskDefinitionArn"] == service["first_revision"]
    assert _registry(settings)["v-test-2"][0] == "challenger"


def test_template_placeholders_come_from_non_secret_settings_only(make_settings, tmp_path):
    settings = make_settings(tmp_path, s3_bucket=None, api_key="k")
    template = tmp_path / "t.json"
    template.write_text(json.dumps({"containerDefinitions": [{"name": "api", "environment": [
        {"name": "B", "value": "${FLIGHTPRICE_S3_BUCKET}"},
        {"name": "K", "value": "${FLIGHTPRICE_API_KEY}"},
        {"name": "R", "value": "${AWS_REGION}"}]}]}))
    with pytest.raises(_ecs.TaskDefinitionError) as err:
        _ecs.render_template(template, settings, lambda: "1")
    # A secret setting is never a template value, even when it is set.
    assert "FLIGHTPRICE_API_KEY, FLIGHTPRICE_S3_BUCKET" in str(err.value)
    template.write_text(template.read_text().replace("${FLIGHTPRICE_API_KEY}", "x"))
    done = _ecs.render_template(template, settings.model_copy(update={"s3_bucket": "b"}),
                                lambda: "1")
    assert [e["value"] for e in done["containerDefinitions"][0]["environment"]] == [
        "b", "x", "us-east-1"]


class _Ecs:
    """describe_services answers in sequence: the rollout states the poll must read."""

    def __init__(self, *answers: dict) -> None:
        self.answers = list(answers)

    def describe_services(self, **_kw) -> dict:
        return {"services": [self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]]}


def _svc(td: str, *deployments: tuple[str, str, str]) -> dict:
    return {"status": "ACTIVE", "taskDefinition": td, "runningCount": 2, "deployments": [
        {"taskDefinition": t, "status": s, "rolloutState": r, "rolloutStateReason": "why"}
        for t, s, r in deployments]}


@pytest.mark.parametrize(("answers", "state"), [
    ([_svc("td:2", ("td:2", "PRIMARY", "IN_PROGRESS"), ("td:1", "ACTIVE", "COMPLETED")),
      _svc("td:2", ("td:2", "PRIMARY", "COMPLETED"))], "completed"),
    ([_svc("td:2", ("td:2", "PRIMARY", "FAILED"), ("td:1", "ACTIVE", "COMPLETED"))], "failed"),
    ([_svc("td:1", ("td:1", "PRIMARY", "COMPLETED"))], "failed"),  # circuit breaker went back
    ([_svc("td:2", ("td:2", "PRIMARY", "IN_PROGRESS"), ("td:1", "ACTIVE", "COMPLETED"))],
     "timeout"),
])  # fmt: skip
def test_rollout_poll_is_bounded_and_reads_the_rollout_state(answers, state):
    rollout = _ecs.wait_for_rollout(_Ecs(*answers), "c", "s", "td:2", timeout=0.3, interval=0.05)
    assert rollout.state == state


def test_local_deploy_reloads_the_api_and_takes_a_failed_model_back(
    champion_home, make_settings, train_and_register, serve_api
):
    settings = make_settings(champion_home, smoke_latency_budget_ms=5000.0, smoke_wait_seconds=0)
    train_and_register(settings, "v-test-2", champion=False, rounds=10)
    train_and_register(settings, "v-test-3", champion=False, rounds=12)
    with serve_api(settings) as url:
        settings = settings.model_copy(update={"api_url": url})
        good = deploy(settings, "v-test-2", target="local")
        assert good.passed and good.api_reloaded and good.previous_version == "v-test-1"
        assert httpx.get(f"{url}/health").json()["model_version"] == "v-test-2"

        class Failing:
            passed, checks = False, []

        bad = deploy(settings, "v-test-3", target="local", smoke_test=lambda _url: Failing())
        assert bad.rolled_back and "champion v-test-2 reinstated" in bad.detail
        assert httpx.get(f"{url}/health").json()["model_version"] == "v-test-2"
    models = _registry(settings)
    assert models["v-test-2"][0] == "champion" and models["v-test-3"][0] == "challenger"
    assert [r["decision"] for r in _training_log(settings)] == ["rolled_back"]
