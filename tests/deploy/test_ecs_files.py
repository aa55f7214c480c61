"""ecs/: the task definition, the service and the Dockerfile, checked without a Docker engine.

The JSON files are also used for real against moto's ECS in tests/test_deploy.py.
"""

from __future__ import annotations

import json
import re

import pytest

from flightprice.deploy._ecs import MODEL_VERSION_ENV, PLACEHOLDER, SECRET_NAME
from flightprice.settings import REPO_ROOT

ECS_DIR = REPO_ROOT / "ecs"
SECRETISH = re.compile(r"PASSWORD|KEY|TOKEN|SECRET", re.IGNORECASE)


@pytest.fixture(scope="module")
def task_definition() -> dict:
    return json.loads((ECS_DIR / "task-definition.json").read_text())


@pytest.fixture(scope="module")
def service() -> dict:
    return json.loads((ECS_DIR / "service.json").read_text())


def _api(task_definition: dict) -> dict:
    (api,) = [c for c in task_definition["containerDefinitions"] if c["name"] == "api"]
    return api


def test_task_definition_is_a_2gb_one_vcpu_fargate_task(task_definition):
    for key in ("family", "networkMode", "requiresCompatibilities", "cpu", "memory",
                "executionRoleArn", "taskRoleArn", "containerDefinitions"):
        assert key in task_definition, key
    assert task_definition["memory"] == "2048" and task_definition["cpu"] == "1024"
    assert task_definition["networkMode"] == "awsvpc"
    assert task_definition["requiresCompatibilities"] == ["FARGATE"]
    # Only RegisterTaskDefinition's parameters: the file is passed to it as it is.
    assert not {"revision", "status", "taskDefinitionArn"} & set(task_definition)


def test_api_container_logs_exposes_the_port_and_checks_health(task_definition):
    api = _api(task_definition)
    assert api["essential"] is True and api["image"]
    assert {"containerPort": 8000, "protocol": "tcp"}.items() <= api["portMappings"][0].items()
    logs = api["logConfiguration"]
    assert logs["logDriver"] == "awslogs"
    assert {"awslogs-group", "awslogs-region", "awslogs-stream-prefix"} <= set(logs["options"])
    assert any("/health" in part for part in api["healthCheck"]["command"])
    env = {e["name"]: e["value"] for e in api["environment"]}
    assert env["FLIGHTPRICE_WAREHOUSE"] == "snowflake" and env["FLIGHTPRICE_STORE"] == "s3"
    assert MODEL_VERSION_ENV not in env  # the deploy pins it per revision


def test_secrets_come_from_arns_never_inline(task_definition):
    api = _api(task_definition)
    inline = [e["name"] for c in task_definition["containerDefinitions"]
              for e in c.get("environment", []) if SECRETISH.search(e["name"])]
    assert inline == []
    assert SECRET_NAME.search("FLIGHTPRICE_SNOWFLAKE_PASSWORD")  # the deploy's own check agrees
    names = {s["name"] for s in api["secrets"]}
    assert {"FLIGHTPRICE_SNOWFLAKE_PASSWORD", "FLIGHTPRICE_API_KEY"} <= names
    for secret in api["secrets"]:
        assert set(secret) == {"name", "valueFrom"}
        assert re.match(r"arn:aws:(secretsmanager|ssm):", secret["valueFrom"]), secret


def test_placeholders_are_the_documented_ones(task_definition, service):
    found = set(PLACEHOLDER.findall(json.dumps(task_definition)))
    assert found == {"AWS_ACCOUNT_ID", "AWS_REGION", "FLIGHTPRICE_ECS_IMAGE_TAG",
                     "FLIGHTPRICE_S3_BUCKET", "FLIGHTPRICE_SNOWFLAKE_ACCOUNT",
                     "FLIGHTPRICE_SNOWFLAKE_USER", "FLIGHTPRICE_SNOWFLAKE_ROLE",
                     "FLIGHTPRICE_SNOWFLAKE_WAREHOUSE", "FLIGHTPRICE_SNOWFLAKE_DATABASE"}
    assert set(PLACEHOLDER.findall(json.dumps(service))) == {
        "PRIVATE_SUBNET_A", "PRIVATE_SUBNET_B", "API_SECURITY_GROUP", "API_TARGET_GROUP_ARN"}


def test_service_sits_behind_a_load_balancer_with_a_circuit_breaker(service, task_definition):
    for key in ("cluster", "serviceName", "taskDefinition", "desiredCount", "launchType",
                "networkConfiguration", "loadBalancers", "healthCheckGracePeriodSeconds",
                "deploymentConfiguration"):
        assert key in service, key
    (lb,) = service["loadBalancers"]
    assert lb["containerName"] == "api" and lb["containerPort"] == 8000 and lb["targetGroupArn"]
    assert service["healthCheckGracePeriodSeconds"] >= 60
    breaker = service["deploymentConfiguration"]["deploymentCircuitBreaker"]
    assert breaker == {"enable": True, "rollback": True}
    assert service["taskDefinition"] == task_definition["family"]
    assert service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"


def test_dockerfile_is_slim_locked_non_root_and_health_checked():
    text = (ECS_DIR / "Dockerfile").read_text()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    froms = [ln for ln in lines if ln.startswith("FROM ")]
    assert froms and all("python:3.11-slim" in ln for ln in froms)
    assert "xgboost-cpu" in text
    assert '"xgboost-cpu' in (REPO_ROOT / "pyproject.toml").read_text()  # what uv.lock installs
    # Dependencies from the lock file are installed before the source is copied in.
    lock = next(i for i, ln in enumerate(lines) if ln.startswith("COPY") and "uv.lock" in ln)
    frozen = next(i for i, ln in enumerate(lines) if "uv sync --frozen" in ln)
    source = next(i for i, ln in enumerate(lines) if ln.startswith("COPY src"))
    # No dev or test group (ruff, sqlfluff, moto, fakesnow): `test` is a default group.
    assert lock < frozen < source and "--no-dev" in lines[frozen]
    assert all("--no-default-groups" in ln for ln in lines if "uv sync" in ln)
    users = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    health = next(ln for ln in lines if ln.startswith("HEALTHCHECK"))
    assert "/health" in text[text.index(health):].split("\n\n")[0]
    cmd = [ln for ln in lines if ln.startswith("CMD ")][-1]  # not HEALTHCHECK's own CMD
    assert "uvicorn" in cmd and "--workers" in cmd and "$FLIGHTPRICE_API_WORKERS" in cmd
    assert "api.main:create_app --factory" in cmd
