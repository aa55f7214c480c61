"""prefect.yaml and the flows it deploys, read statically (the real deploy: test_schedule.py)."""

from __future__ import annotations

import ast

import pytest
import yaml

from flightprice.orchestrate.schedule import WORK_POOL
from flightprice.settings import REPO_ROOT

CRONS = {
    "flows/daily_pipeline.py:daily_pipeline": "0 6 * * *",
    "flows/batch_scoring.py:batch_scoring": "0 */6 * * *",
    "flows/training_pipeline.py:training_pipeline": "0 2 * * 0",
}


@pytest.fixture(scope="module")
def project() -> dict:
    return yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())


def _flow_function(entrypoint: str) -> ast.FunctionDef:
    path, name = entrypoint.split(":")
    tree = ast.parse((REPO_ROOT / path).read_text())
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)


def test_three_deployments_on_their_crons_one_run_at_a_time(project):
    deployments = {d["entrypoint"]: d for d in project["deployments"]}
    assert set(deployments) == set(CRONS)
    for entrypoint, d in deployments.items():
        assert d["schedules"] == [{"cron": CRONS[entrypoint], "timezone": "UTC"}]
        assert d["concurrency_limit"] == 1 and "flightprice" in d["tags"]
        assert d["work_pool"]["name"] == WORK_POOL
        params = {a.arg for a in _flow_function(entrypoint).args.args}
        assert set(d["parameters"]) <= params, f"{entrypoint} has no such parameter"


def test_schedules_and_pools_are_shared_definitions(project):
    definitions = project["definitions"]
    assert {s["cron"] for s in definitions["schedules"].values()} == set(CRONS.values())
    pools = definitions["work_pools"]
    assert pools["process"]["name"] == WORK_POOL
    ecs = pools["ecs"]["job_variables"]
    assert {"image", "cluster", "cpu", "memory", "execution_role_arn", "task_role_arn"} <= set(ecs)
    assert not any(k in str(ecs).upper() for k in ("PASSWORD=", "SECRET_ACCESS_KEY"))


@pytest.mark.parametrize("entrypoint", list(CRONS))
def test_flows_notify_on_failure_and_retry_warehouse_and_network_tasks(entrypoint):
    path = entrypoint.split(":")[0]
    tree = ast.parse((REPO_ROOT / path).read_text())
    flow = _flow_function(entrypoint)
    (decorator,) = [d for d in flow.decorator_list if "flow" in ast.unparse(d)]
    assert "on_failure" in ast.unparse(decorator)
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        tasks = [ast.unparse(d) for d in node.decorator_list if ast.unparse(d).startswith("task")]
        # notify() retries on its own; a monitoring pass is not retried on purpose (a second
        # pass would measure the same rows and could start a training run twice).
        if tasks and node.name not in {"send_notification", "monitor_run"}:
            assert "RETRY" in tasks[0] or "retries=" in tasks[0], f"{node.name} has no retries"
