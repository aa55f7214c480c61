"""Local scheduling with a dashboard: a Prefect server, the three deployments, a worker.

`start` runs `prefect server start` in the background with PREFECT_HOME under
`<home>/prefect` (SQLite database, pid and log files), creates the `process` work pool and
the warehouse-writer concurrency limit, deploys `prefect.yaml` (`prefect --no-prompt deploy
--all` from the project root) and starts a worker. `stop` ends what `start` began, by the
process ids it recorded; `status` reports what runs and when the deployments run next.

An ephemeral Prefect server never fires schedules: crons need this long-running one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from flightprice.orchestrate import _background as _bg
from flightprice.orchestrate.writer_slot import WRITER_LIMIT

if TYPE_CHECKING:
    from collections.abc import Callable

    from flightprice.settings import Settings

WORK_POOL = "flightprice-process"  # the `process` pool named in prefect.yaml
PROCESSES = ("server", "worker")
NEXT_RUNS = 3


class ScheduleError(RuntimeError):
    """The scheduler could not be started (port taken, server unhealthy, deploy failed)."""


@dataclass
class ProcessInfo:
    name: str
    pid: int | None
    running: bool
    log: str


@dataclass
class DeploymentInfo:
    name: str  # flow/deployment
    schedules: list[str]
    next_runs: list[datetime]
    paused: bool
    work_pool: str | None


@dataclass
class ScheduleStatus:
    ui_url: str
    api_url: str
    prefect_home: str
    processes: list[ProcessInfo] = field(default_factory=list)
    server_healthy: bool = False
    deployments: list[DeploymentInfo] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ui_url(settings: Settings) -> str:
    return f"http://{settings.prefect_host}:{settings.prefect_port}"


def api_url(settings: Settings) -> str:
    return ui_url(settings) + "/api"


def prefect_env(settings: Settings) -> dict[str, str]:
    """Return the environment of the server, the worker and their flow runs."""
    return {
        **os.environ,
        "PREFECT_HOME": str(settings.prefect_home.resolve()),
        "PREFECT_API_URL": api_url(settings),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # Flow runs are subprocesses of the worker: they must find this home, from any cwd.
        "FLIGHTPRICE_HOME": str(settings.home.resolve()),
    }


def start(
    settings: Settings,
    *,
    timeout: float = 180.0,
    say: Callable[[str], None] = lambda _msg: None,
) -> ScheduleStatus:
    """Bring up server, work pool, writer limit, deployments and worker; reuse what runs."""
    home = settings.prefect_home
    home.mkdir(parents=True, exist_ok=True)
    env = prefect_env(settings)
    if _bg.running_pid(home, "server") is None:
        if _bg.port_open(settings.prefect_host, settings.prefect_port):
            raise ScheduleError(
                f"port {settings.prefect_port} is in use by a process this command did not "
                "start: stop it or set FLIGHTPRICE_PREFECT_PORT"
            )
        say(f"starting the Prefect server on {ui_url(settings)}")
        _bg.spawn(home, "server", ["server", "start", "--host", settings.prefect_host,
                                "--port", str(settings.prefect_port)], env)  # fmt: skip
    _wait_healthy(settings, home, timeout)
    say(f"creating work pool {WORK_POOL} and concurrency limit {WRITER_LIMIT}")
    _create_pool_and_limit(api_url(settings))
    say("deploying prefect.yaml")
    _deploy_all(settings, env, timeout)
    _schedule_next_runs(api_url(settings))
    if _bg.running_pid(home, "worker") is None:
        say(f"starting a worker on pool {WORK_POOL}")
        _bg.spawn(home, "worker", ["worker", "start", "--pool", WORK_POOL, "--type", "process"],
                  env)  # fmt: skip
    return status(settings)


def stop(settings: Settings, timeout: float = 30.0) -> list[ProcessInfo]:
    """End the worker, then the server, by recorded pid (their process groups); return them."""
    stopped = []
    for name in reversed(PROCESSES):
        pid = _bg.running_pid(settings.prefect_home, name)
        if pid is not None:
            _bg.terminate_group(pid, timeout)
            log = str(_bg.log_file(settings.prefect_home, name))
            stopped.append(ProcessInfo(name, pid, False, log))
        _bg.pid_file(settings.prefect_home, name).unlink(missing_ok=True)
    return stopped


def status(settings: Settings) -> ScheduleStatus:
    """Report the processes, the server's health and each deployment's schedule and next runs."""
    home = settings.prefect_home
    result = ScheduleStatus(ui_url(settings), api_url(settings), str(home))
    for name in PROCESSES:
        pid = _bg.running_pid(home, name)
        log = str(_bg.log_file(home, name))
        result.processes.append(ProcessInfo(name, pid, pid is not None, log))
    result.server_healthy = _healthy(settings)
    if result.server_healthy:
        result.deployments = _deployments(api_url(settings))
    return result


# --- the Prefect API ---------------------------------------------------------------------


def _healthy(settings: Settings) -> bool:
    try:
        return httpx.get(api_url(settings) + "/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_healthy(settings: Settings, home: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not _healthy(settings):
        if _bg.running_pid(home, "server") is None:
            raise ScheduleError(f"the Prefect server exited: {_tail(_bg.log_file(home, 'server'))}")
        if time.monotonic() > deadline:
            raise ScheduleError(f"the Prefect server is not healthy after {timeout:g} s: "
                                f"{_tail(_bg.log_file(home, 'server'))}")  # fmt: skip
        time.sleep(0.5)


def _client(url: str) -> Any:
    from prefect.client.orchestration import SyncPrefectClient

    return SyncPrefectClient(url)


def _create_pool_and_limit(url: str) -> None:
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with _client(url) as client:
        try:
            client.read_work_pool(WORK_POOL)
        except ObjectNotFound:
            pool = WorkPoolCreate(name=WORK_POOL, type="process",
                                  base_job_template=ProcessWorker.get_default_base_job_template())
            try:
                client.create_work_pool(pool)
            except ObjectAlreadyExists:
                pass
        client.upsert_global_concurrency_limit_by_name(WRITER_LIMIT, 1)


def _deploy_all(settings: Settings, env: dict[str, str], timeout: float) -> None:
    project = settings.flows_dir.parent
    if not (project / "prefect.yaml").is_file():
        raise ScheduleError(f"no prefect.yaml in {project}")
    log = _bg.log_file(settings.prefect_home, "deploy")
    with log.open("wb") as out:
        done = subprocess.run(
            [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all"], cwd=project,
            env={**env, "COLUMNS": "200"}, stdout=out, stderr=subprocess.STDOUT, timeout=timeout,
            check=False,
        )  # fmt: skip
    if done.returncode != 0:
        raise ScheduleError(f"`prefect deploy --all` failed (exit {done.returncode}): {_tail(log)}")


def _schedule_next_runs(url: str) -> None:
    """Have the server create the upcoming runs now, not at its scheduler's next loop."""
    with _client(url) as client:
        for d in client.read_deployments():
            if any(s.active for s in d.schedules):
                client.request("POST", "/deployments/{id}/schedule", path_params={"id": d.id},
                               json={})  # fmt: skip


def _deployments(url: str) -> list[DeploymentInfo]:
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    scheduled = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=["SCHEDULED"]))
    )
    found = []
    with _client(url) as client:
        flows = {f.id: f.name for f in client.read_flows()}
        for d in client.read_deployments():
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[d.id])),
                flow_run_filter=scheduled, sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                limit=NEXT_RUNS,
            )  # fmt: skip
            found.append(DeploymentInfo(
                name=f"{flows.get(d.flow_id, '?')}/{d.name}",
                schedules=[_describe(s.schedule) for s in d.schedules if s.active],
                next_runs=[r.expected_start_time for r in runs if r.expected_start_time],
                paused=bool(d.paused),
                work_pool=d.work_pool_name,
            ))  # fmt: skip
    return sorted(found, key=lambda d: d.name)


def _describe(schedule: Any) -> str:
    cron = getattr(schedule, "cron", None)
    return f"{cron} ({schedule.timezone or 'UTC'})" if cron else str(schedule)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
