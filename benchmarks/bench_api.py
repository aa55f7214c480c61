"""Benchmark `POST /v1/price` against a bare FastAPI endpoint taking the same pydantic body.

    uv run python benchmarks/bench_api.py [--seconds 15] [--connections 16]

Needs `wrk` (Debian: `apt-get install wrk`). Both servers run under uvicorn with 1 worker in
their own process, one after the other, in the same run, loaded by wrk (1 thread, 16
connections) with the same JSON body (docs/example-quote.json):

  pricing  `flightprice serve` with a champion of 300 rounds, depth 5 (bench_scoring's market)
  bare     `async def price(flight: PriceRequest) -> dict: return {"price": 1.0}`

Prints one JSON line: requests/s, p50 and p99 latency of each, and the ratio.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from bench_scoring import build_home

REPO = Path(__file__).resolve().parents[1]
BARE_APP = textwrap.dedent("""
    from fastapi import FastAPI
    from api.schemas import PriceRequest

    app = FastAPI()

    @app.post("/v1/price")
    async def price(flight: PriceRequest) -> dict:
        return {"price": 1.0}
""")


def wait_ready(url: str, path: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + path, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


def run_wrk(url: str, body: str, seconds: int, connections: int, workdir: Path) -> dict:
    script = workdir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         url + "/v1/price"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return round(float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 3)


def serve(command: list[str], port: int, path: str, cwd: Path) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    wait_ready(f"http://127.0.0.1:{port}", path)
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    body = (REPO / "docs" / "example-quote.json").read_text()
    url = f"http://127.0.0.1:{args.port}"
    try:
        settings = build_home(workdir / "home", 1000)
        (workdir / "bare_app.py").write_text(BARE_APP)
        results = {}
        commands = {
            "pricing": ([sys.executable, "-c", "from flightprice.cli import main; main()",
                         "--home", str(settings.home), "serve", "--port", str(args.port)],
                        "/ready", REPO),
            "bare": ([sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(args.port),
                      "--log-level", "warning", "--workers", "1"], "/docs", workdir),
        }  # fmt: skip
        for name, (command, ready, cwd) in commands.items():
            process = serve(command, args.port, ready, cwd)
            try:
                run_wrk(url, body, 2, args.connections, workdir)  # warm up
                results[name] = run_wrk(url, body, args.seconds, args.connections, workdir)
            finally:
                process.terminate()
                process.wait(timeout=30)
        ratio = results["pricing"]["requests_per_second"] / results["bare"]["requests_per_second"]
        print(json.dumps({"bench": "v1_price_vs_bare", "connections": args.connections,
                          "seconds": args.seconds, **{f"{k}": v for k, v in results.items()},
                          "ratio": round(ratio, 2)}), flush=True)  # fmt: skip
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
