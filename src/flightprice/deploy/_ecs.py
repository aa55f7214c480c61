"""ECS plumbing for `deploy.deploy_ecs`: render a revision, register it, point the service, poll.

The task-definition template (`ecs/task-definition.json`) may hold placeholders:
`${FLIGHTPRICE_<FIELD>}` (a non-secret setting), `${AWS_REGION}` and `${AWS_ACCOUNT_ID}` (from
STS, asked only when used). Secrets never pass through here: they reach the container only
as the task definition's `secrets` (ARNs the ECS agent resolves), never as `environment`.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

if TYPE_CHECKING:
    from flightprice.settings import Settings

MODEL_VERSION_ENV = "FLIGHTPRICE_MODEL_VERSION"
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
# An environment variable with one of these in its name holds a secret: it belongs in `secrets`.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|KEY|CREDENTIAL", re.IGNORECASE)


class TaskDefinitionError(ValueError):
    """The task-definition template cannot become a valid, secret-free revision."""


@dataclass(frozen=True)
class Rollout:
    """How the service's rollout of one revision ended within the poll's bound."""

    state: str  # completed | failed | timeout
    detail: str

    @property
    def failure(self) -> str | None:
        return self.detail if self.state == "failed" else None


def inline_secrets(definition: Mapping[str, Any]) -> list[str]:
    """Return the `environment` names in `definition` that look like secrets."""
    return [
        f"{container.get('name', '?')}:{env['name']}"
        for container in definition.get("containerDefinitions", [])
        for env in container.get("environment", [])
        if SECRET_NAME.search(env.get("name", ""))
    ]


def render_template(path: Path, settings: Settings, account_id: Callable[[], str]) -> dict:
    """Read the template at `path` and fill its placeholders; raise on any left unresolved."""
    text = Path(path).read_text()
    values = _placeholder_values(settings)
    if "${AWS_ACCOUNT_ID}" in text:
        values["AWS_ACCOUNT_ID"] = account_id()
    missing = sorted({m for m in PLACEHOLDER.findall(text) if m not in values})
    if missing:
        raise TaskDefinitionError(
            f"{path}: no value for {', '.join(missing)} (non-secret settings only; secrets go "
            "in `secrets` as valueFrom ARNs)"
        )
    # Substitute inside the parsed JSON, so a value can never break the document's syntax.
    return _substitute(json.loads(text), values)


def revision_for(template: Mapping[str, Any], container: str, version: str) -> dict:
    """Return `template` with `version` pinned in `container`'s environment; validate it."""
    definition = copy.deepcopy(dict(template))
    names = [c.get("name") for c in definition.get("containerDefinitions", [])]
    if container not in names:
        raise TaskDefinitionError(f"no container {container!r} in the template (has {names})")
    for c in definition["containerDefinitions"]:
        if c["name"] == container:
            env = [e for e in c.get("environment", []) if e["name"] != MODEL_VERSION_ENV]
            c["environment"] = [*env, {"name": MODEL_VERSION_ENV, "value": version}]
    if leaked := inline_secrets(definition):
        raise TaskDefinitionError(
            f"secret-looking variables in `environment`: {', '.join(leaked)}; use `secrets`"
        )
    return definition


def register(ecs: Any, definition: Mapping[str, Any]) -> str:
    """Register `definition` as a new revision of its family; return the revision's ARN."""
    return ecs.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"]


def describe_service(ecs: Any, cluster: str, service: str) -> dict:
    """Return the service's description; raise when it does not exist."""
    answer = ecs.describe_services(cluster=cluster, services=[service])
    services = [s for s in answer.get("services", []) if s.get("status") != "INACTIVE"]
    if not services:
        reasons = [f.get("reason") for f in answer.get("failures", [])]
        raise LookupError(f"ECS service {service} not found in cluster {cluster}: {reasons}")
    return services[0]


def model_version_of(ecs: Any, task_definition: str, container: str) -> str | None:
    """Return the model version a revision pins in `container` (None when it pins none)."""
    definition = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
    for c in definition.get("containerDefinitions", []):
        if c.get("name") == container:
            env = {e["name"]: e.get("value") for e in c.get("environment", [])}
            return env.get(MODEL_VERSION_ENV)
    return None


def point_service(ecs: Any, cluster: str, service: str, task_definition: str) -> None:
    """Start a rolling deployment of `service` to the revision `task_definition`."""
    ecs.update_service(cluster=cluster, service=service, taskDefinition=task_definition)


def wait_for_rollout(
    ecs: Any,
    cluster: str,
    service: str,
    task_definition: str,
    *,
    timeout: float,
    interval: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Rollout:
    """Poll until the rollout of `task_definition` completes or fails, at most `timeout` s.

    A bounded poll, not boto3's `services_stable` waiter: a rollout that never settles (or a
    stand-in that never reports it) must not hang the deploy; the smoke test decides then.
    Kept by hand (issue 14 item 6): the waiter checks running counts, which moto never
    settles after `update_service` (it waits out its whole budget), and it cannot tell a
    circuit-breaker rollback or a FAILED rollout from a slow one, which this poll reports.
    """
    deadline = time.monotonic() + timeout
    while True:
        svc = describe_service(ecs, cluster, service)
        if svc.get("taskDefinition") != task_definition:
            return Rollout("failed", f"service now runs {svc.get('taskDefinition')} "
                                     f"(circuit breaker or another deploy)")  # fmt: skip
        ours = [d for d in svc.get("deployments", []) if d.get("taskDefinition") == task_definition]
        if any(d.get("rolloutState") == "FAILED" for d in ours):
            reason = next(d.get("rolloutStateReason", "") for d in ours)
            return Rollout("failed", f"ECS rollout failed: {reason}")
        done = [d for d in ours if d.get("status") == "PRIMARY"
                and d.get("rolloutState") == "COMPLETED"]  # fmt: skip
        if done and len(svc.get("deployments", [])) == 1:
            return Rollout("completed", f"{svc.get('runningCount')} task(s) running")
        if time.monotonic() >= deadline:
            return Rollout("timeout", f"rollout not settled after {timeout:g} s")
        sleep(min(interval, max(0.0, deadline - time.monotonic())))


def _placeholder_values(settings: Settings) -> dict[str, str]:
    values = {"AWS_REGION": settings.aws_region}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None or isinstance(value, SecretStr | Mapping) or hasattr(value, "model_dump"):
            continue  # secrets and nested models never become template values
        values[f"FLIGHTPRICE_{name.upper()}"] = str(value)
    return values


def _substitute(node: Any, values: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return PLACEHOLDER.sub(lambda m: values[m.group(1)], node)
    if isinstance(node, list):
        return [_substitute(item, values) for item in node]
    if isinstance(node, dict):
        return {key: _substitute(item, values) for key, item in node.items()}
    return node
