"""Prometheus metrics of one app: requests and latency by route, the model served, reloads."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator.metrics import Info

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

    def record_request(self, info: Info) -> None:
        """Count and time one answered request (an instrumentator callback)."""
        # Unknown paths share one label: a scanner must not explode the series count.
        route = "unmatched" if info.modified_handler == "none" else info.modified_handler
        self.requests.labels(info.method, route, info.modified_status).inc()
        self.latency.labels(info.method, route).observe(info.modified_duration)

    def set_model(self, version: str | None) -> None:
        self.model_info.clear()
        if version:
            self.model_info.labels(version).set(1)
        self.model_loaded.set(1 if version else 0)


def instrument(app: Any, metrics: ApiMetrics) -> None:
    """Count and time every HTTP request by its route template (outermost middleware)."""
    # prometheus-fastapi-instrumentator finds the route template and times the request; our
    # callback keeps the metric names and labels dashboards already use. It replaced a
    # hand-written middleware: it also files a 413 answered before routing under its route
    # (tests/api/test_http_metrics.py), for ~0.05 ms more per request
    # (benchmarks/README.md, "HTTP metrics").
    Instrumentator(should_group_status_codes=False, registry=metrics.registry).add(
        metrics.record_request
    ).instrument(app)
