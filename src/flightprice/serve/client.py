"""A small client of the pricing API: health, quotes, Arrow IPC batches, reload; with retries.

Batch scoring (api mode), the smoke test, the scoring flow's health check and deploy code
talk to the API through this one class. Transport errors and 429/502/503/504 answers are
retried (tenacity) a bounded number of times with exponential back-off and full jitter; any
other error answer is raised at once as ApiError (the request itself is at fault, so sending
it again cannot help; a 500 from this API is a defect that repeats).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

import httpx
import pyarrow as pa
from tenacity import (
    RetryCallState,
    Retrying,
    before_sleep_log,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    wait_random_exponential,
)

if TYPE_CHECKING:
    from flightprice.settings import Settings

log = logging.getLogger(__name__)

MARK_REFUSED_HEADER = "x-unseen-refused"  # "mark": refused rows marked, not a 422
ARROW_STREAM = "application/vnd.apache.arrow.stream"
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class ApiError(RuntimeError):
    """The API answered with an error, or could not be reached after every retry."""

    def __init__(self, message: str, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class PricingClient:
    """Talk to one pricing API at `base_url`; safe to share between threads."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff_seconds: float = 0.5,
        max_connections: int = 8,
        api_key: str | None = None,
        pricing_key: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.api_key = api_key
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_connections),
            # FLIGHTPRICE_API_PRICING_KEY, when the API requires one; reload sends the admin key.
            headers={"x-api-key": pricing_key} if pricing_key else None,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request with retries; return any answer that is not retryable."""
        return self._with_retries(lambda: self._http.request(method, path, **kwargs), path)

    def health(self) -> dict[str, Any]:
        """Return /health; raise ApiError unless the API is up with a model loaded."""
        body = self._json(self.request("GET", "/health"), "/health")
        if not body.get("model_loaded"):
            raise ApiError(f"{self.base_url} is up but has no model loaded", retryable=True)
        return body

    def price(self, flight: dict[str, Any]) -> dict[str, Any]:
        """Quote one flight (the /v1/price JSON body)."""
        return self._json(self.request("POST", "/v1/price", json=flight), "/v1/price")

    def price_batch(self, flights: list[dict[str, Any]]) -> dict[str, Any]:
        """Quote many flights as JSON."""
        body = {"flights": flights}
        return self._json(self.request("POST", "/v1/price/batch", json=body), "/v1/price/batch")

    def price_arrow(self, requests: pa.Table, mark_refused: bool = False) -> pa.Table:
        """Quote a table of requests as Arrow IPC; return the priced table, row for row.

        `mark_refused`: rows the API's unseen policy refuses come back marked (a `refused`
        column, their prices null) instead of refusing the whole batch with a 422.
        """
        payload = _ipc_bytes(requests)
        headers = {"content-type": ARROW_STREAM, "accept": ARROW_STREAM}
        if mark_refused:
            headers[MARK_REFUSED_HEADER] = "mark"
        response = self.request("POST", "/v1/price/batch", content=payload, headers=headers)
        _raise_for_status(response, "/v1/price/batch")
        with pa.ipc.open_stream(response.content) as reader:
            priced = reader.read_all()
        if priced.num_rows != requests.num_rows:
            raise ApiError(f"sent {requests.num_rows} rows, got {priced.num_rows} prices back")
        return priced

    def reload(self) -> dict[str, Any]:
        """Ask the API to load the current champion (needs the API key)."""
        if not self.api_key:
            raise ApiError("no API key: set FLIGHTPRICE_API_KEY to reload the API")
        response = self.request("POST", "/admin/reload", headers={"x-api-key": self.api_key})
        return self._json(response, "/admin/reload")

    def _json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        _raise_for_status(response, what)
        return response.json()

    def _with_retries(self, send: Callable[[], httpx.Response], what: str) -> httpx.Response:
        def give_up(state: RetryCallState) -> httpx.Response:
            assert state.outcome is not None  # tenacity calls this after an attempt
            exc = state.outcome.exception()
            if exc is None:  # the last answer was retryable too: the caller raises for it
                return state.outcome.result()
            raise ApiError(
                f"{self.base_url}{what}: {type(exc).__name__}: {exc} "
                f"(after {state.attempt_number} attempts)",
                retryable=True,
            ) from exc

        retrying = Retrying(
            retry=retry_if_exception_type(httpx.TransportError)
            | retry_if_result(lambda response: response.status_code in RETRY_STATUSES),
            stop=stop_after_attempt(self.retries + 1),
            # Full jitter: uniform(0, backoff x 2^(attempt - 1)).
            wait=wait_random_exponential(multiplier=self.backoff_seconds),
            before_sleep=before_sleep_log(log, logging.INFO),
            retry_error_callback=give_up,
        )
        return retrying(send)


def _raise_for_status(response: httpx.Response, what: str) -> None:
    if response.is_success:
        return
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    raise ApiError(
        f"{what}: HTTP {response.status_code}: {detail}",
        status=response.status_code,
        retryable=response.status_code in RETRY_STATUSES,
    )


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def pricing_key(settings: Settings) -> str | None:
    """Return the key pricing requests send (FLIGHTPRICE_API_PRICING_KEY), or None."""
    key = settings.api_pricing_key
    return key.get_secret_value() if key is not None else None
