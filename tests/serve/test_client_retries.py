"""PricingClient retries against a real HTTP server on 127.0.0.1 that fails, then recovers."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flightprice.serve.client import ApiError, PricingClient
from flightprice.serve.smoke import _health

HEALTHY = {"status": "ok", "model_loaded": True, "model_version": "v-test-1", "uptime_seconds": 1.0}


class FlakyApi:
    """An API answering each GET with its next queued failure, then as healthy; counted."""

    # A failure is "drop" (close the connection without answering: a transport error for the
    # client) or an HTTP status.

    def __init__(self, failures: list[str | int]) -> None:
        self.failures = list(failures)
        self.requests = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                api.requests += 1
                failure = api.failures.pop(0) if api.failures else None
                if failure == "drop":  # the client sees a transport error
                    self.close_connection = True
                    return
                status = failure or 200
                body = json.dumps(HEALTHY if status == 200 else {"detail": "down"}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def flaky_api() -> Iterator[Callable[[list[str | int]], FlakyApi]]:
    """Start FlakyApi servers on demand; stop them after the test."""
    started: list[FlakyApi] = []

    def start(failures: list[str | int]) -> FlakyApi:
        api = FlakyApi(failures)
        threading.Thread(target=api.server.serve_forever, args=(0.05,), daemon=True).start()
        started.append(api)
        return api

    yield start
    for api in started:
        api.server.shutdown()
        api.server.server_close()


def test_connection_errors_and_503s_are_retried_until_the_api_recovers(flaky_api):
    api = flaky_api(["drop", 503, "drop", 502])
    with PricingClient(api.url, retries=4, backoff_seconds=0.01) as client:
        assert client.health()["model_version"] == "v-test-1"
    assert api.requests == 5


def test_retries_are_bounded_and_the_last_error_is_raised(flaky_api):
    dropping = flaky_api(["drop"] * 10)
    client = PricingClient(dropping.url, retries=2, backoff_seconds=0.01)
    with client, pytest.raises(ApiError, match="after 3 attempts") as err:
        client.health()
    assert err.value.retryable and dropping.requests == 3

    unavailable = flaky_api([503] * 10)
    client = PricingClient(unavailable.url, retries=2, backoff_seconds=0.01)
    with client, pytest.raises(ApiError, match="HTTP 503") as err:
        client.health()
    assert err.value.status == 503 and err.value.retryable and unavailable.requests == 3


def test_other_error_answers_are_not_retried(flaky_api):
    api = flaky_api([500, 404])
    with PricingClient(api.url, retries=4, backoff_seconds=0.01) as client:
        with pytest.raises(ApiError) as err:
            client.health()
        assert err.value.status == 500 and not err.value.retryable
    assert api.requests == 1


def test_the_smoke_test_waits_for_an_api_that_comes_up(flaky_api):
    starting = flaky_api(["drop", 503, "drop"])
    with PricingClient(starting.url, retries=0) as client:
        detail, body = _health(client, wait_seconds=30)
    assert detail.startswith("model v-test-1")
    assert body["model_version"] == "v-test-1" and starting.requests == 4

    down = flaky_api(["drop"] * 100)
    with PricingClient(down.url, retries=0) as client, pytest.raises(ApiError):
        _health(client, wait_seconds=0.8)
    assert 2 <= down.requests <= 4  # polled every 0.5 s, then gave up
