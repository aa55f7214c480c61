"""`flightprice schedule`: a real Prefect server + worker in the background, then stopped.

One module, one server start (~15-40 s): the three deployments with their crons and next
runs, the work pool, the writer limit; `stop` leaves no process behind.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.orchestrate import schedule
from flightprice.orchestrate.writer_slot import WRITER_LIMIT

pytestmark = pytest.mark.slow

EXPECTED = {
    "daily-data-pipeline/daily": "0 6 * * * (UTC)",
    "batch-scoring/every-6-hours": "0 */6 * * * (UTC)",
    "model-training/weekly": "0 2 * * 0 (UTC)",
}


def _processes_with_env(name: str, value: str) -> list[int]:
    """Pids whose environment has name=value: anything the scheduler started, children too."""
    needle = f"{name}={value}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if needle in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def _exists(pid: int) -> bool:
    """Whether the kernel still has `pid`: alive, or a zombie that `stop` failed to reap."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _describe(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}/stat").read_text() + " "
                + Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
    except OSError as exc:
        return str(exc)


def test_schedule_starts_server_deployments_and_worker_then_stops_them(settings, monkeypatch):
    from moto_aws import free_port

    port = free_port()
    monkeypatch.setenv("FLIGHTPRICE_PREFECT_PORT", str(port))
    # The UI's static files are copied into each new PREFECT_HOME (seconds); the API is the
    # same without them, and that is what this test reads.
    monkeypatch.setenv("PREFECT_UI_ENABLED", "false")
    settings = settings.model_copy(update={"prefect_port": port})
    prefect_home = str(settings.prefect_home.resolve())
    try:
        started = schedule.start(settings, timeout=240)

        assert started.server_healthy and started.ui_url == f"http://127.0.0.1:{port}"
        assert {p.name: p.running for p in started.processes} == {"server": True, "worker": True}
        deployments = {d.name: d for d in started.deployments}
        assert {name: d.schedules for name, d in deployments.items()} == {
            name: [cron] for name, cron in EXPECTED.items()}
        now = datetime.now(UTC)
        for d in deployments.values():
            assert d.work_pool == schedule.WORK_POOL and not d.paused
            assert d.next_runs and all(run > now for run in d.next_runs), d
        assert deployments["model-training/weekly"].next_runs[0].weekday() == 6  # a Sunday

        with schedule._client(schedule.api_url(settings)) as client:
            assert client.read_work_pool(schedule.WORK_POOL).type == "process"
            assert client.read_global_concurrency_limit_by_name(WRITER_LIMIT).limit == 1
            daily = client.read_deployment_by_name("daily-data-pipeline/daily")
            assert daily.global_concurrency_limit.limit == 1  # concurrency_limit: 1
            assert daily.parameters == {"force": False, "full_refresh": False} and "data" in daily.tags

        shown = CliRunner().invoke(app, ["schedule", "status", "--json"])
        assert shown.exit_code == 0, shown.output
        assert len(json.loads(shown.stdout)["deployments"]) == 3
        assert _processes_with_env("PREFECT_HOME", prefect_home)
    finally:
        stopped = schedule.stop(settings)

    assert sorted(p.name for p in stopped) == ["server", "worker"]
    assert _processes_with_env("PREFECT_HOME", prefect_home) == []
    for p in stopped:
        assert not _exists(p.pid), _describe(p.pid)
    after = schedule.status(settings)
    assert not after.server_healthy and not any(p.running for p in after.processes)
    assert schedule.stop(settings) == []  # nothing left to stop
    assert (settings.prefect_home / "server.log").stat().st_size > 0
