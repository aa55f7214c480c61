"""A whole CLI run with every secret configured never prints, logs or stores a secret value.

init -> generate -> ingest -> transform -> train -> serve (own process) ->
smoke-test -> score (through the API, with the pricing key) -> deploy (admin key) -> status,
each with -v (and --json where it has it); then every byte printed, logged or written under
the home is searched for the configured secret values.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

SECRETS = {
    "FLIGHTPRICE_API_KEY": "adm1n-S3CRET-4f9a20",
    "FLIGHTPRICE_API_PRICING_KEY": "pr1c1ng-S3CRET-77c1e5",
    "FLIGHTPRICE_SNOWFLAKE_PASSWORD": "sn0w-S3CRET-0b2e61",
    "FLIGHTPRICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "pa55-S3CRET-9d1e03",
}
CLI = [sys.executable, "-c", "from flightprice.cli import main; main()", "-v"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow  # a whole pipeline, dbt and training included: ~2 min (10 min at load 20)
def test_a_full_cli_run_never_prints_logs_or_stores_a_secret(tmp_path):
    home, port = tmp_path / "home", _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIGHTPRICE_")}
    env |= SECRETS | {
        "FLIGHTPRICE_HOME": str(home), "FLIGHTPRICE_API_PORT": str(port),
        "FLIGHTPRICE_API_URL": f"http://127.0.0.1:{port}", "FLIGHTPRICE_SEARCH_TRIALS": "0",
        "FLIGHTPRICE_HOLDOUT_DAYS": "2", "FLIGHTPRICE_SMOKE_LATENCY_BUDGET_MS": "5000",
        "FLIGHTPRICE_API_MODEL_RETRY_SECONDS": "0",
    }  # fmt: skip
    outputs: list[str] = []

    def cli(*args: str, ok: tuple[int, ...] = (0,)) -> None:
        done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True,
                              timeout=600, check=False)  # fmt: skip
        outputs.extend([done.stdout, done.stderr])
        assert done.returncode in ok, (args, done.stdout[-1500:], done.stderr[-3000:])

    cli("init")
    cli("generate", "--days", "8", "--routes", "4", "--seed", "5")
    cli("ingest", "--json")
    cli("transform", "--json")
    cli("train", "--promote", "--no-quality-gate", "--json")
    api_log = tmp_path / "api.log"
    with api_log.open("w") as log:
        api = subprocess.Popen([*CLI, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not _ready(port):
            assert api.poll() is None and time.monotonic() < deadline, api_log.read_text()[-3000:]
            time.sleep(0.5)
        cli("smoke-test", "--json")
        cli("score", "--mode", "api", "--json")
        cli("deploy", "--json")
        cli("status")
        cli("models", "list", "--json")
        cli("smoke-test", "--json", "http://127.0.0.1:1", ok=(1,))  # a failure's output too
    finally:
        os.killpg(api.pid, signal.SIGTERM)  # its own session: the server we started, only
        api.wait(timeout=30)
    assert "deployed" in "".join(outputs) or '"passed": true' in "".join(outputs)

    found = [(where, name) for where, text in _everything(outputs, tmp_path)
             for name, secret in SECRETS.items() if secret in text]  # fmt: skip
    assert found == []


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _everything(outputs: list[str], root: Path):
    """Yield (where, text) for every captured output and every file under `root`."""
    for i, text in enumerate(outputs):
        yield f"output {i}", text
    for path in root.rglob("*"):
        if path.is_file():
            yield str(path), path.read_bytes().decode("latin-1")
