"""Proof 2: SIGKILL each stage's CLI at seeded random moments, then run it again: the warehouse
ends with exactly the expected rows, no unpublished history, a registry that TRAINING_LOG
explains, and the API serving the registry's champion."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import pytest

from flightprice.project import init_project
from flightprice.settings import Settings
from flightprice.store import open_store
from flightprice.synth.generate import generate_market
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow

CLI = [str(Path(sys.executable).parent / "flightprice")]  # the installed console script
KILLS = 2  # per stage; delays drawn from a seeded generator, so a failure replays


def flightprice(home: Path, *args: str, env: dict, kill_after: float | None = None) -> int:
    """Run the CLI; with `kill_after`, SIGKILL it then (if still running). Return its code."""
    proc = subprocess.Popen([*CLI, "--home", str(home), *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    if kill_after is None:
        return proc.wait(timeout=300)
    try:
        return proc.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        return proc.wait(timeout=30)


def scalar(home: Path, sql: str):
    with open_warehouse(Settings(home=home), read_only=True) as wh:
        return wh.query_arrow(sql).column(0)[0].as_py()


def test_sigkilled_stages_rerun_to_exactly_the_expected_state(settings, tmp_path):
    home, rng = settings.home, random.Random(20261130)
    env = {**os.environ, "FLIGHTPRICE_HOLDOUT_DAYS": "1", "FLIGHTPRICE_SEARCH_TRIALS": "0",
           "FLIGHTPRICE_SCORING_CHUNK_ROWS": "200", "FLIGHTPRICE_SMOKE_LATENCY_BUDGET_MS": "5000"}  # fmt: skip
    init_project(settings)
    store = open_store(settings)
    generate_market(store, start=date(2026, 9, 1), days=4, routes=3, seed=9)
    files = [k for k in store.list("raw-data/") if k.endswith(".csv")]
    expected_fares = sum(store.read_bytes(k).count(b"\n") - 1 for k in files if "/fares/" in k)

    for _ in range(KILLS):
        flightprice(home, "ingest", env=env, kill_after=rng.uniform(0.5, 4.0))
    assert flightprice(home, "ingest", env=env) == 0
    assert scalar(home, "SELECT count(*) FROM RAW.FARES") == expected_fares
    assert scalar(home, "SELECT count(*) FROM RAW.LOAD_MANIFEST") == len(files)

    for _ in range(KILLS):
        flightprice(home, "transform", env=env, kill_after=rng.uniform(2.0, 10.0))
    assert flightprice(home, "transform", env=env) == 0

    for _ in range(KILLS):
        flightprice(home, "train", "--promote", "--no-quality-gate", env=env,
                    kill_after=rng.uniform(1.0, 8.0))  # fmt: skip
    assert flightprice(home, "train", "--compare", "--promote", "--no-quality-gate", env=env) == 0
    unlogged = scalar(home, "SELECT count(*) FROM ML_PREDICTIONS.MODEL_REGISTRY m WHERE NOT "
                      "EXISTS (SELECT 1 FROM ML_PREDICTIONS.TRAINING_LOG t "
                      "WHERE t.model_version = m.version)")  # fmt: skip
    assert unlogged == 0
    assert scalar(home, "SELECT count(*) FROM ML_PREDICTIONS.MODEL_REGISTRY "
                  "WHERE status = 'champion'") == 1  # fmt: skip

    for _ in range(KILLS):
        flightprice(home, "score", "--mode", "local", env=env, kill_after=rng.uniform(1.0, 6.0))
    assert flightprice(home, "score", "--mode", "local", env=env) == 0
    orphans = scalar(home, "SELECT count(*) FROM ML_PREDICTIONS.PRICE_HISTORY WHERE run_id NOT "
                     "IN (SELECT run_id FROM ML_PREDICTIONS.SCORING_LOG WHERE status = 'success')")  # fmt: skip
    assert orphans == 0
    on_sale = scalar(home, "SELECT count(*) FROM ANALYTICS.ML_SCORING_FEATURES")
    assert scalar(home, "SELECT count(*) FROM ML_PREDICTIONS.FLIGHT_PRICES") == on_sale

    port = str(_free_port())
    api_env = {**env, "FLIGHTPRICE_API_URL": f"http://127.0.0.1:{port}"}
    api = subprocess.Popen([*CLI, "--home", str(home), "serve", "--port", port], env=api_env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        _wait_healthy(api_env["FLIGHTPRICE_API_URL"])
        for _ in range(KILLS):
            flightprice(home, "deploy", env=api_env, kill_after=rng.uniform(0.5, 3.0))
        assert flightprice(home, "deploy", env=api_env) == 0
        champion = scalar(home, "SELECT version FROM ML_PREDICTIONS.MODEL_REGISTRY "
                          "WHERE status = 'champion'")  # fmt: skip
        served = httpx.get(f"{api_env['FLIGHTPRICE_API_URL']}/health").json()["model_version"]
        assert served == champion
    finally:
        api.send_signal(signal.SIGTERM)
        api.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).json().get("model_version"):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"the API at {url} did not load a model within {timeout} s")
