"""Benchmark the HTTP metrics middleware's cost per request (prometheus-fastapi-instrumentator).

    uv run python benchmarks/bench_http_metrics.py [--requests 2000] [--rounds 5]

In one process, a FastAPI app with one templated POST route (`/v1/price/{x}`, an empty
handler: what is left is the framework and the middleware) is called through httpx's ASGI
transport, alternately

  bare          no middleware
  instrumented  `api.metrics.instrument` (the API's metrics: requests and latency by route)

Prints one JSON line: the median microseconds per request of each over the rounds, the
difference and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import httpx
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from api.metrics import ApiMetrics, instrument


def make_app(instrumented: bool) -> FastAPI:
    """Return the one-route app, with or without the metrics middleware."""
    app = FastAPI()

    @app.post("/v1/price/{x}")
    async def price(x: str) -> dict:
        return {"x": x}

    if instrumented:
        instrument(app, ApiMetrics())
    return app


async def microseconds_per_request(app: FastAPI, requests: int) -> float:
    """Return the mean microseconds per request over `requests` after a warm-up."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(200):
            await client.post("/v1/price/a")
        started = time.perf_counter()
        for _ in range(requests):
            await client.post("/v1/price/a")
        return (time.perf_counter() - started) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {"bare": [], "instrumented": []}
    for _ in range(args.rounds):  # alternate, so that load from other processes hits both
        for name, runs in timings.items():
            app = make_app(instrumented=name == "instrumented")
            runs.append(asyncio.run(microseconds_per_request(app, args.requests)))
    bare, instrumented = (statistics.median(timings[n]) for n in ("bare", "instrumented"))
    print(json.dumps({"requests": args.requests, "rounds": args.rounds,
                      "bare_us": round(bare, 1), "instrumented_us": round(instrumented, 1),
                      "difference_us": round(instrumented - bare, 1),
                      "ratio": round(instrumented / bare, 3)}))  # fmt: skip


if __name__ == "__main__":
    main()
