"""Smoke test of a running pricing API: health, a known quote, a batch, a 422, latency.

`flightprice smoke-test` prints the checks; deploy code runs the same function after a
deployment and rolls back when it fails.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from flightprice.clock import utc_now
from flightprice.serve.client import ApiError, PricingClient

LATENCY_SAMPLES = 20


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str
    seconds: float = 0.0


@dataclass
class SmokeReport:
    url: str
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "passed": self.passed, "checks": [asdict(c) for c in self.checks]}


# A flight of the demo market (`flightprice generate` defaults: seed 7, 40 routes), for an
# API that does not name one (GET /v1/model `known_flight`: models trained before it).
DEMO_FLIGHT: dict[str, Any] = {
    "carrier": "BA", "flight_number": "278", "origin": "CDG", "destination": "LAX",
    "cabin": "economy", "departure_time": "17:05", "stops": 0, "duration_minutes": 710,
    "capacity": 158,
}  # fmt: skip


def known_flight(now: datetime | None = None, trained: dict[str, Any] | None = None) -> dict:
    """Return a flight the model knows, observed at the start of this hour, departing ~30 days on.

    `trained` is the served model's `known_flight` (GET /v1/model), the most quoted flight of
    its training rows; without it, DEMO_FLIGHT.
    """
    observed = (now or utc_now()).replace(minute=0, second=0, microsecond=0)
    known = {**DEMO_FLIGHT, **(trained or {})}
    hour, minute = (int(part) for part in str(known.pop("departure_time")).split(":"))
    departure = (observed + timedelta(days=30)).replace(hour=hour, minute=minute)
    capacity = known.get("capacity")
    return {
        **{name: known[name] for name in ("carrier", "flight_number", "origin", "destination",
                                          "cabin", "stops", "duration_minutes")},
        "observed_at": observed.isoformat(), "departure_at": departure.isoformat(),
        "seats_remaining": int(capacity * 0.4) if capacity else None, "capacity": capacity,
    }  # fmt: skip


def run_smoke_test(
    url: str,
    *,
    latency_budget_ms: float = 250.0,
    samples: int = LATENCY_SAMPLES,
    wait_seconds: float = 0.0,
    timeout: float = 10.0,
    api_key: str | None = None,
) -> SmokeReport:
    """Run every check against the API at `url`; the report says which passed and why."""
    report = SmokeReport(url)
    with PricingClient(url, timeout=timeout, retries=0, pricing_key=api_key) as client:
        health = _timed(report, "health", lambda: _health(client, wait_seconds))
        if health is None:
            for name in ("ready", "quote", "batch", "rejects bad input", "latency"):
                report.checks.append(Check(name, False, "skipped: the API is not healthy"))
            return report
        flight = known_flight(trained=_trained_flight(client))
        _timed(report, "ready", lambda: _ready(client))
        single = _timed(report, "quote", lambda: _quote(client, flight, health["model_version"]))
        _timed(report, "batch", lambda: _batch(client, flight, single))
        _timed(report, "rejects bad input", lambda: _rejects(client, flight))
        _timed(report, "latency", lambda: _latency(client, flight, samples, latency_budget_ms))
    return report


class _Failed(Exception):
    """A check's condition did not hold; the message says what was seen."""


def _timed(report: SmokeReport, name: str, check: Any) -> Any:
    start = time.perf_counter()
    try:
        detail, value = check()
        passed = True
    except (_Failed, ApiError) as exc:
        detail, value, passed = str(exc), None, False
    except Exception as exc:  # noqa: BLE001 - a malformed answer is a failed check, not a crash
        detail, value, passed = f"{type(exc).__name__}: {exc}", None, False
    report.checks.append(Check(name, passed, detail, round(time.perf_counter() - start, 4)))
    return value


def _health(client: PricingClient, wait_seconds: float) -> tuple[str, dict]:
    # An API just started may refuse connections or have no model yet: poll for a while.
    polling = Retrying(retry=retry_if_exception_type(ApiError), stop=stop_after_delay(wait_seconds),
                       wait=wait_fixed(0.5), reraise=True)  # fmt: skip
    body = polling(client.health)
    return f"model {body['model_version']}, up {body['uptime_seconds']:.0f}s", body


def _trained_flight(client: PricingClient) -> dict[str, Any] | None:
    """Return the served model's known flight (GET /v1/model), None when it names none."""
    try:
        response = client.request("GET", "/v1/model")
    except ApiError:
        return None
    return response.json().get("known_flight") if response.status_code == 200 else None


def _ready(client: PricingClient) -> tuple[str, None]:
    response = client.request("GET", "/ready")
    if response.status_code != 200:
        raise _Failed(f"HTTP {response.status_code}: {response.text[:200]}")
    return "ready", None


def _quote(client: PricingClient, flight: dict, version: str) -> tuple[str, dict]:
    body = client.price(flight)
    price = body.get("price")
    if not (isinstance(price, int | float) and math.isfinite(price) and price > 0):
        raise _Failed(f"price is not a positive number: {price!r}")
    if body.get("currency") != "USD" or not body.get("reasons"):
        raise _Failed(f"currency or reasons missing: {body}")
    if body.get("model_version") != version:
        raise _Failed(f"priced by {body.get('model_version')}, /health says {version}")
    if body.get("unseen"):
        raise _Failed(f"the known flight has inputs the model never saw: {body['unseen']}")
    return f"{flight['origin']}-{flight['destination']} {flight['cabin']}: {price} USD", body


def _batch(client: PricingClient, flight: dict, single: dict | None) -> tuple[str, None]:
    flights = [flight, {**flight, "cabin": "business"}, {**flight, "seats_remaining": 5}]
    body = client.price_batch(flights)
    prices = [q["price"] for q in body.get("quotes", [])]
    if len(prices) != len(flights) or not all(p > 0 for p in prices):
        raise _Failed(f"expected {len(flights)} positive prices, got {prices}")
    if single is not None and prices[0] != single["price"]:
        raise _Failed(f"batch price {prices[0]} differs from the single quote {single['price']}")
    return f"{len(prices)} prices: {', '.join(map(str, prices))}", None


def _rejects(client: PricingClient, flight: dict) -> tuple[str, None]:
    response = client.request("POST", "/v1/price", json={**flight, "origin": "L1R"})
    if response.status_code != 422:
        raise _Failed(f"a bad origin answered HTTP {response.status_code}, not 422")
    fields = [err.get("loc", [])[-1] for err in response.json().get("detail", [])]
    if "origin" not in fields:
        raise _Failed(f"the 422 names {fields}, not origin")
    return "422 naming origin", None


def _latency(
    client: PricingClient, flight: dict, samples: int, budget_ms: float
) -> tuple[str, None]:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        response = client.request("POST", "/v1/price", json=flight)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise _Failed(f"HTTP {response.status_code} during the latency run")
    p50, p95 = np.percentile(times, [50, 95])
    detail = f"p50 {p50:.1f} ms, p95 {p95:.1f} ms over {samples} quotes (budget {budget_ms:g} ms)"
    if p95 > budget_ms:
        raise _Failed(detail)
    return detail, None
