"""Deploy a model version to a target, verify it with the smoke test, take it back on failure.

- `local`: the registry's champion pointer is the deployment; the running API reloads it.
- `ecs`: a new task-definition revision pinning the version (`FLIGHTPRICE_MODEL_VERSION`),
  rolled out to the service, waited for with a bounded poll.

Then the smoke test runs against the target's URL, and the target must answer with the
deployed version. When either fails, the target goes back to what it served before, the
registry reinstates that model as champion (the failed one retires, see `registry`), and a
TRAINING_LOG row (decision `rolled_back`) and the registry's `reason` say why.

The warehouse is opened only around registry reads and writes: the API opens the embedded
DuckDB file itself while it reloads, which it cannot while another process holds it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import httpx

from flightprice import registry
from flightprice._aws import aws_client
from flightprice.clock import new_run_id, utc_now
from flightprice.deploy import _ecs
from flightprice.serve.client import pricing_key
from flightprice.serve.smoke import run_smoke_test
from flightprice.settings import Settings
from flightprice.track.mlflow_runs import sync_model_aliases
from flightprice.warehouse import open_warehouse

log = logging.getLogger(__name__)

TARGETS = ("local", "ecs")
SmokeTest = Callable[[str], Any]  # base URL -> a report with `.passed` (and `.to_dict()`)


@dataclass
class DeployResult:
    """What a deploy did; `passed` is False when it was rolled back."""

    target: str
    version: str
    api_reloaded: bool
    detail: str
    url: str | None = None
    passed: bool = True
    smoke: dict | None = None  # the smoke report; None when nothing could be tested
    rolled_back: bool = False
    previous_version: str | None = None  # what the target served before
    task_definition: str | None = None
    previous_task_definition: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def deploy(
    settings: Settings,
    version: str | None = None,
    *,
    target: str | None = None,
    smoke_test: SmokeTest | None = None,
    run_id: str | None = None,
) -> DeployResult:
    """Deploy `version` (default: the champion) to `target` (default: settings.deploy_target)."""
    target = target or settings.deploy_target
    if target not in TARGETS:
        raise ValueError(f"deploy target must be one of {TARGETS}, not {target!r}")
    run = deploy_ecs if target == "ecs" else deploy_local
    return run(settings, version, smoke_test=smoke_test, run_id=run_id)


def default_smoke_test(settings: Settings) -> SmokeTest:
    """Return the real smoke test (`flightprice.serve.smoke`) with the configured budget and wait."""
    def smoke(url: str) -> Any:
        return run_smoke_test(url, latency_budget_ms=settings.smoke_latency_budget_ms,
                              wait_seconds=settings.smoke_wait_seconds,
                              api_key=pricing_key(settings))  # fmt: skip

    return smoke


def reload_api(settings: Settings, timeout: float = 30.0) -> tuple[bool, str]:
    """Ask the running API to load the current champion; (reloaded?, what happened)."""
    outcome, detail = _reload(settings, timeout)
    return outcome == "reloaded", detail


def _reload(settings: Settings, timeout: float = 30.0) -> tuple[str, str]:
    """POST /admin/reload: ("reloaded" | "unreachable" | "refused", what happened)."""
    url = settings.api_url.rstrip("/") + "/admin/reload"
    headers = {"X-API-Key": settings.api_key.get_secret_value()} if settings.api_key else {}
    try:
        # One try, no tenacity: an API that is not up is an expected answer here (it loads
        # the champion when it starts), and the smoke test that follows retries /health.
        response = httpx.post(url, headers=headers, timeout=timeout)
    except httpx.TransportError as exc:
        return "unreachable", (f"API not reachable at {settings.api_url} "
                               f"({type(exc).__name__}): it loads the champion when it starts")
    if response.status_code >= 400:
        return "refused", (f"API refused the reload: HTTP {response.status_code} "
                           f"{response.text[:200]}")
    return "reloaded", f"API at {settings.api_url} reloaded: {response.text[:200]}"


def deploy_local(
    settings: Settings,
    version: str | None = None,
    *,
    smoke_test: SmokeTest | None = None,
    run_id: str | None = None,
) -> DeployResult:
    """Make `version` the champion, have the running API reload it, smoke-test the API.

    With no API running there is nothing to test: it loads the champion when it starts. An
    API that refuses the reload still serves the old model: that is a failed deploy.
    """
    started = utc_now()
    served_before = serving_version(settings.api_url)
    version = _make_champion(settings, version, "local")
    outcome, detail = _reload(settings)
    result = DeployResult("local", version, outcome == "reloaded", detail, url=settings.api_url,
                          previous_version=served_before)  # fmt: skip
    if outcome == "unreachable":
        log.info("deployed %s locally: %s", version, detail)
        return result
    failure = detail if outcome == "refused" else _verify(settings, result, smoke_test)
    if failure:
        _roll_back_registry(settings, result, failure, run_id, started)
        if outcome == "reloaded":
            reloaded, again = reload_api(settings)
            result.detail += f"; after the rollback: {again}"
            if not reloaded:  # the reinstated model cannot be loaded: name what is served
                result.detail += "; " + _match_registry_to_api(settings)
    log.info("deployed %s locally: %s", version, result.detail)
    return result


def _match_registry_to_api(settings: Settings) -> str:
    """Make the registry's champion the model the API still serves; say what was done.

    After a failed deploy whose rollback the API could not load (the reinstated model's
    artifact is corrupt, say), the API keeps serving the failed version: the registry must
    not name another model.
    """
    serving = serving_version(settings.api_url)
    with open_warehouse(settings) as warehouse:
        current = registry.champion(warehouse)
        if serving is None or current is None or current.version == serving:
            return "registry and API agree"
        if registry.get(warehouse, serving) is None:
            return f"the API serves {serving}, which the registry does not know"
        registry.rollback(
            warehouse,
            f"the API could not load it after a failed deploy; it still serves {serving}",
            to=serving,
        )
    log.error("the API could not load champion %s: champion is %s again", current.version, serving)
    return f"champion {current.version} could not be loaded by the API: {serving} is champion again"


def deploy_ecs(
    settings: Settings,
    version: str | None = None,
    *,
    smoke_test: SmokeTest | None = None,
    run_id: str | None = None,
) -> DeployResult:
    """Roll a new task-definition revision pinning `version` out to the ECS service."""
    settings.require("ecs_cluster", "ecs_service", "ecs_service_url")
    started = utc_now()
    cluster, service = settings.ecs_cluster, settings.ecs_service
    container = settings.ecs_container_name
    ecs = aws_client(settings, "ecs", settings.ecs_endpoint_url)
    template = _ecs.render_template(settings.ecs_task_definition_path, settings,
                                    lambda: _account_id(settings))  # fmt: skip
    # Everything that can be refused is checked, and read, before anything changes.
    _ecs.revision_for(template, container, "check")
    previous = _ecs.describe_service(ecs, cluster, service)["taskDefinition"]
    served_before = _ecs.model_version_of(ecs, previous, container)
    version = _make_champion(settings, version, "ecs")
    result = DeployResult("ecs", version, False, "", url=settings.ecs_service_url,
                          previous_version=served_before, previous_task_definition=previous)
    try:
        result.task_definition = _ecs.register(ecs, _ecs.revision_for(template, container, version))
        _ecs.point_service(ecs, cluster, service, result.task_definition)
        rollout = _ecs.wait_for_rollout(
            ecs, cluster, service, result.task_definition,
            timeout=settings.ecs_poll_timeout_seconds, interval=settings.ecs_poll_interval_seconds,
        )  # fmt: skip
        result.detail = (f"{service} -> {result.task_definition}: rollout {rollout.state} "
                         f"({rollout.detail})")
        failure = rollout.failure or _verify(settings, result, smoke_test)
    except Exception as exc:
        try:
            _take_back_ecs(ecs, settings, result, f"{type(exc).__name__}: {exc}", run_id, started)
        except Exception:  # the original error is the one to raise
            log.exception("could not take back the failed deploy of %s", version)
        raise
    if failure:
        _take_back_ecs(ecs, settings, result, failure, run_id, started)
    log.info("deployed %s to ECS: %s", version, result.detail)
    return result


def serving_version(url: str, timeout: float = 5.0) -> str | None:
    """Return the model version the API at `url` reports, or None when it answers with none."""
    try:
        response = httpx.get(url.rstrip("/") + "/health", timeout=timeout)
        return response.json().get("model_version") if response.is_success else None
    except (httpx.HTTPError, ValueError):
        return None


def _verify(settings: Settings, result: DeployResult, smoke_test: SmokeTest | None) -> str | None:
    """Run the smoke test against the target; return why the deployment failed, or None."""
    report = (smoke_test or default_smoke_test(settings))(result.url)
    result.smoke = report.to_dict() if hasattr(report, "to_dict") else {"passed": report.passed}
    if not report.passed:
        failed = [c.name for c in getattr(report, "checks", []) if not c.passed]
        return f"smoke test failed at {result.url}: {', '.join(failed) or 'see the report'}"
    serving = serving_version(result.url)
    if serving != result.version:
        return f"{result.url} serves model {serving}, not the deployed {result.version}"
    return None


def _make_champion(settings: Settings, version: str | None, target: str) -> str:
    with open_warehouse(settings) as warehouse:
        current = registry.champion(warehouse)
        if version is None:
            if current is None:
                raise registry.RegistryError("nothing to deploy: there is no champion yet")
            return current.version
        if current is None or current.version != version:
            registry.promote(warehouse, version,
                             f"deployed with `flightprice deploy --target {target}`")
            sync_model_aliases(settings, warehouse)  # MLflow's aliases follow the registry
    return version


def _take_back_ecs(ecs: Any, settings: Settings, result: DeployResult, failure: str,
                   run_id: str | None, started: datetime) -> None:  # fmt: skip
    """Re-point the service to the revision it ran before, then roll the registry back."""
    if result.task_definition and result.previous_task_definition:
        try:
            _ecs.point_service(ecs, settings.ecs_cluster, settings.ecs_service,
                               result.previous_task_definition)  # fmt: skip
            failure += f"; service back on {result.previous_task_definition}"
        except Exception as exc:  # still roll the registry back and log; the caller raises
            log.exception("could not re-point %s", settings.ecs_service)
            failure += f"; re-pointing the service FAILED ({type(exc).__name__}: {exc})"
    _roll_back_registry(settings, result, failure, run_id, started)


def _roll_back_registry(settings: Settings, result: DeployResult, failure: str,
                        run_id: str | None, started: datetime) -> None:  # fmt: skip
    """Reinstate what the target served before (when it served another model) and log why."""
    result.passed, result.rolled_back = False, True
    with open_warehouse(settings) as warehouse:
        current = registry.champion(warehouse)
        before = result.previous_version
        if current is None or current.version != result.version or before == result.version:
            note = "registry unchanged (the deployed version is not the new champion)"
        elif before is not None and registry.get(warehouse, before) is not None:
            registry.rollback(warehouse, f"{result.target} deploy failed: {failure}", to=before)
            note = f"champion {before} reinstated"
        elif current.promoted_from is not None:
            registry.rollback(warehouse, f"{result.target} deploy failed: {failure}")
            note = f"champion {current.promoted_from} reinstated"
        else:
            note = "registry unchanged (no previous champion to reinstate)"
        result.detail = f"rolled back: {failure}; {note}"
        sync_model_aliases(settings, warehouse)  # MLflow's aliases follow the registry
        registry.log_training(
            warehouse, run_id or new_run_id("deploy"), "failed", started_at=started,
            model_version=result.version, decision="rolled_back", reason=result.detail,
        )  # fmt: skip
    log.warning("%s deploy of %s %s", result.target, result.version, result.detail)


def _account_id(settings: Settings) -> str:
    return aws_client(settings, "sts", settings.ecs_endpoint_url).get_caller_identity()["Account"]

