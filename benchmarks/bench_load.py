"""Load: N `POST /v1/price` at C connections on loopback, steady, during reloads, during deploys.

    uv run python benchmarks/bench_load.py [--requests 20000] [--connections 32]

No external tool: the load comes from a child process (asyncio + httpx, one keep-alive
connection per worker), so the reloads and deploys this process drives do not share its GIL.
In one run, against `flightprice serve` (1 uvicorn worker, own process) on bench_scoring's
market and champion, with the body docs/example-quote.json:

  bare     a bare FastAPI endpoint taking the same pydantic body (the baseline; bench_api.py)
  steady   the pricing API, nothing else happening
  reload   the same while `POST /admin/reload` is sent every 0.5 s
  deploy   the same while `deploy --target local` alternates two versions (promote, reload,
           the real smoke test) back to back

Prints one JSON line per scenario: requests, errors (non-200 or transport), p50/p99 ms,
requests/s, the model versions that answered; then the ratios to the bare baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from bench_api import BARE_APP, wait_ready
from bench_scoring import build_home

from flightprice import registry
from flightprice.deploy.rollout import deploy
from flightprice.warehouse import open_warehouse

REPO = Path(__file__).resolve().parents[1]
ADMIN_KEY = "bench"  # build_home's api_key


async def _load(url: str, body: bytes, requests: int, connections: int) -> dict:
    """Send `requests` quotes over `connections` keep-alive connections; summarise."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    versions: Counter[str] = Counter()
    left = requests
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                start = time.perf_counter()
                try:
                    response = await client.post("/v1/price", content=body, headers=headers)
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                latencies.append(time.perf_counter() - start)
                if response.status_code != 200:
                    errors[f"HTTP {response.status_code}"] += 1
                elif b"model_version" in response.content:
                    versions[response.json()["model_version"]] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": requests,
        "connections": connections,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
        "requests_per_second": round(requests / elapsed, 1),
        "versions": dict(versions),
    }


def run_load(url: str, requests: int, connections: int) -> dict:
    """Run the load generator in a child process; return its summary."""
    done = subprocess.run(
        [sys.executable, __file__, "--client", url, "--requests", str(requests),
         "--connections", str(connections)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def while_running(action, stop: threading.Event, pause: float) -> tuple[threading.Thread, list]:
    """Repeat `action` in a thread until `stop`; collect what each call returned."""
    outcomes: list = []

    def loop() -> None:
        while not stop.is_set():
            try:
                outcomes.append(action())
            except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not stop
                outcomes.append(f"{type(exc).__name__}: {exc}")
            stop.wait(pause)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--client", help=argparse.SUPPRESS)  # internal: be the load generator
    args = parser.parse_args()
    body = (REPO / "docs" / "example-quote.json").read_bytes()
    if args.client:
        print(json.dumps(asyncio.run(_load(args.client, body, args.requests, args.connections))))
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    url = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "FLIGHTPRICE_API_KEY": ADMIN_KEY, "FLIGHTPRICE_API_URL": url}
    try:
        settings = build_home(workdir / "home", 1000)
        settings = settings.model_copy(update={"api_url": url, "smoke_wait_seconds": 0})
        _register_copy(settings, "v-bench", "v-bench-2")
        (workdir / "bare_app.py").write_text(BARE_APP)
        bare = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(args.port),
             "--log-level", "warning"], cwd=workdir, env={**env, "PYTHONPATH": str(REPO)},
        )  # fmt: skip
        try:
            wait_ready(url, "/docs")
            base = report("bare", run_load(url, args.requests, args.connections), None)
        finally:
            bare.terminate()
            bare.wait(timeout=30)
        api = subprocess.Popen(
            [sys.executable, "-c", "from flightprice.cli import main; main()",
             "--home", str(settings.home), "serve", "--port", str(args.port)],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_ready(url, "/ready")
            run_load(url, 2000, args.connections)  # warm up
            report("steady", run_load(url, args.requests, args.connections), base)
            report("reload", _during(url, args, lambda: _reload(url), 0.5), base)
            versions = iter(["v-bench-2", "v-bench"] * 1000)
            deploys = _during(url, args, lambda: _deploy(settings, next(versions)), 0)
            report("deploy", deploys, base)
        finally:
            api.terminate()
            api.wait(timeout=30)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def report(name: str, result: dict, base: dict | None) -> dict:
    """Print one scenario's JSON line as soon as it is measured, with its ratios to bare."""
    base = base or result
    result["p50_to_bare"] = round(result["p50_ms"] / base["p50_ms"], 2)
    result["p99_to_bare"] = round(result["p99_ms"] / base["p99_ms"], 2)
    result["rps_to_bare"] = round(result["requests_per_second"] / base["requests_per_second"], 2)
    print(json.dumps({"bench": "v1_price_load", "scenario": name, **result}), flush=True)
    return result


def _during(url: str, args, action, pause: float) -> dict:
    stop = threading.Event()
    thread, outcomes = while_running(action, stop, pause)
    try:
        result = run_load(url, args.requests, args.connections)
    finally:
        stop.set()
        thread.join(timeout=120)
    result["actions"] = len(outcomes)
    result["action_outcomes"] = dict(Counter(map(str, outcomes)))
    return result


def _reload(url: str) -> str:
    response = httpx.post(f"{url}/admin/reload", headers={"x-api-key": ADMIN_KEY}, timeout=30)
    return f"reload HTTP {response.status_code}"


def _deploy(settings, version: str) -> str:
    result = deploy(settings, version, target="local")
    return f"deploy {'passed' if result.passed else 'FAILED: ' + result.detail[:80]}"


def _register_copy(settings, version: str, copy: str) -> None:
    """Register a second version: the same artifact under another name (deploys alternate)."""
    models = settings.lake / "models"
    shutil.copytree(models / version, models / copy)
    with open_warehouse(settings) as wh:
        entry = registry.get(wh, version)
        registry.register(wh, copy, entry.metrics, entry.artifact_uri.replace(version, copy),
                          entry.sha256)  # fmt: skip


if __name__ == "__main__":
    main()
