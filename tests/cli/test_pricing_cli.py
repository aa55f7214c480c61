"""The pricing commands through the CLI: score, a real `flightprice serve`, smoke-test."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from typer.testing import CliRunner

from flightprice.cli import app

pytestmark = pytest.mark.slow

runner = CliRunner()


def invoke(home, *args):
    return runner.invoke(app, ["--home", str(home), *args], catch_exceptions=False)


@pytest.fixture
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("FLIGHTPRICE_"):
            monkeypatch.delenv(key)


@pytest.fixture
def served(champion_home, clean_env, tmp_path):
    """`flightprice serve` in its own process, as an operator starts it."""
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", "from flightprice.cli import main; main()",
         "--home", str(champion_home), "serve", "--port", str(port), "--reload-key", "k"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        assert process.poll() is None, (tmp_path / "serve.log").read_text()
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "flightprice serve did not come up"
        time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=20)
    log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_score_local_prices_every_flight_and_reports_json(champion_home, clean_env):
    result = invoke(champion_home, "score", "--mode", "local", "--run-id", "cli-1", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "success" and report["run_id"] == "cli-1"
    assert report["rows"] > 1000 and report["model_version"] == "v-test-1"
    table = invoke(champion_home, "score", "--mode", "local", "--run-id", "cli-1")
    assert table.exit_code == 0 and "guardrail none" in table.output
    status = json.loads(invoke(champion_home, "status", "--json").stdout)
    assert [r["run_id"] for r in status["scoring_log"]] == ["cli-1", "cli-1"]


def test_score_fails_with_exit_1_when_the_api_is_down(champion_home, clean_env, monkeypatch):
    monkeypatch.setenv("FLIGHTPRICE_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("FLIGHTPRICE_SCORING_RETRIES", "0")
    result = invoke(champion_home, "score", "--mode", "api")
    assert result.exit_code == 1
    assert "failed" in result.output and "ConnectError" in result.output


def test_serve_then_smoke_test_passes(served, champion_home):
    result = invoke(champion_home, "smoke-test", served, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["passed"] is True
    assert [c["name"] for c in report["checks"]] == [
        "health",
        "ready",
        "quote",
        "batch",
        "rejects bad input",
        "latency",
    ]
    reloaded = httpx.post(f"{served}/admin/reload", headers={"x-api-key": "k"})
    assert reloaded.status_code == 200
    table = invoke(champion_home, "smoke-test", served, "--budget-ms", "0.001")
    assert table.exit_code == 1
    assert "latency" in table.output and "FAIL" in table.output


def test_smoke_test_fails_when_nothing_listens(tmp_path, clean_env):
    result = invoke(tmp_path, "smoke-test", f"http://127.0.0.1:{free_port()}")
    assert result.exit_code == 1
    assert "FAIL" in result.output and "skipped: the API is not healthy" in result.output
    assert "smoke test failed" in result.output


def test_pricing_commands_have_help():
    for command in ("serve", "score", "smoke-test"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, command
