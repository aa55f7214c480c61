"""`flightprice ui mlflow`: the command it runs, and a tracking server it only names."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.orchestrate._background import port_open
from flightprice.track import mlflow_ui_command, tracking_uri


def test_the_ui_serves_the_home_store_on_localhost(settings):
    command = mlflow_ui_command(settings, 5123)
    assert command[command.index("--backend-store-uri") + 1] == tracking_uri(settings)
    assert tracking_uri(settings) == f"sqlite:///{(settings.home / 'mlflow').resolve()}/mlflow.db"
    assert command[command.index("--host") + 1 :][:3] == ["127.0.0.1", "--port", "5123"]


def test_with_a_tracking_server_it_names_the_server(settings, monkeypatch):
    monkeypatch.setenv("FLIGHTPRICE_MLFLOW_URI", "http://mlflow.internal:5000")
    result = CliRunner().invoke(app, ["--home", str(settings.home), "ui", "mlflow"])
    assert result.exit_code == 0
    assert "open http://mlflow.internal:5000" in result.output


@pytest.mark.slow
def test_sigterm_ends_the_ui_and_the_server_it_started(settings, tmp_path):
    """A real `flightprice ui mlflow` and its MLflow server; SIGTERM to the CLI frees the port."""
    with socket.socket() as sock:  # a free port
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "FLIGHTPRICE_HOME": str(settings.home)}
    cli = Path(sys.executable).with_name("flightprice")
    log = (tmp_path / "ui.log").open("wb")
    ui = subprocess.Popen([str(cli), "--home", str(settings.home), "ui", "mlflow", "--port",
                           str(port)], env=env, stdout=log, stderr=log)  # fmt: skip
    children: list[int] = []  # the UI's processes, once it has started them
    try:
        # MLflow's first start creates its store: slow on a busy machine.
        deadline = time.monotonic() + 180
        while not port_open("127.0.0.1", port):
            started = ui.poll() is None and time.monotonic() < deadline
            assert started, (tmp_path / "ui.log").read_text()
            time.sleep(0.5)
        children = _descendants(ui.pid)
        assert children, "mlflow ui started no process of its own"
        ui.send_signal(signal.SIGTERM)
        assert ui.wait(timeout=30) is not None
        deadline = time.monotonic() + 15
        while port_open("127.0.0.1", port) or any(_running(pid) for pid in children):
            assert time.monotonic() < deadline, f"left running: {children}"
            time.sleep(0.2)
    finally:
        # A failed assertion must not leave the UI's server (uvicorn, huey workers) behind.
        for pid in set(children) | set(_descendants(ui.pid) if ui.poll() is None else []):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if ui.poll() is None:
            ui.kill()
        log.close()


def _descendants(pid: int) -> list[int]:
    """Every live process below `pid` (from /proc: psutil would do, but this is enough)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[-1].split()
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")
