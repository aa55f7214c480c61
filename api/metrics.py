"""Prometheus metrics of one app: requests and latency by route, the model served, reloads."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Latency buckets in seconds: a one-flight quote takes about a millisecond.
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ApiMetrics:
    """The app's own registry, so that several apps (tests) never share or clash."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "flightprice_http_requests", "HTTP requests by method, route and status.",
            ["method", "route", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "flightprice_http_request_duration_seconds", "HTTP request latency by route.",
            ["method", "route"], buckets=_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.model_info = Gauge(
            "flightprice_model_info", "The model version being served (value 1).",
            ["version"], registry=self.registry,
        )  # fmt: skip
        self.model_loaded = Gauge(
            "flightprice_model_loaded", "1 when a model is loaded, else 0.", registry=self.registry
        )
        self.reloads = Counter(
            "flightprice_model_reloads", "Model reloads by outcome.", ["outcome"],
            registry=self.registry,
        )  # fmt: skip
        self.flights_priced = Counter(
            "flightprice_flights_priced", "Flights priced, by guardrail that set the price.",
            ["guardrail"], registry=self.registry,
        )  # fmt: skip

    def set_model(self, version: str | None) -> None:
        self.model_info.clear()
        if version:
            self.model_info.labels(version).set(1)
        self.model_loaded.set(1 if version else 0)


class MetricsMiddleware:
    """Count and time every HTTP request by its route template (pure ASGI: no extra task)."""

    def __init__(self, app: Any, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_record(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            route = scope.get("route")
            # Unknown paths share one label: a scanner must not explode the series count.
            path = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.requests.labels(method, path, str(status)).inc()
            self.metrics.latency.labels(method, path).observe(time.perf_counter() - start)
