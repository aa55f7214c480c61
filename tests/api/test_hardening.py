"""Hostile input over a real uvicorn: 4xx naming the field, body caps, 500s keep the connection."""

from __future__ import annotations

import json
import time
from datetime import datetime

import httpx
import pyarrow as pa
import pytest
from api.main import create_app
from fastapi import Request

from flightprice.serve.client import ARROW_STREAM, _ipc_bytes

FLIGHT = {
    "carrier": "BA", "flight_number": "117", "origin": "LHR", "destination": "JFK",
    "cabin": "economy", "observed_at": "2026-09-05T12:00:00",
    "departure_at": "2026-10-01T18:30:00", "stops": 0, "duration_minutes": 480,
    "seats_remaining": 42, "capacity": 150,
}  # fmt: skip
HOSTILE = [
    ("departure_at", "0001-01-01T00:10:22+01:00"),  # year 0 in UTC: OverflowError before
    ("departure_at", "9999-12-31T23:59:00-01:00"),  # year 10000 in UTC
    ("observed_at", "0001-01-01T00:00:00+00:30"),
    ("observed_at", "9999-12-31T23:30:00-12:00"),
    ("stops", "1"),
    ("stops", True),
    ("stops", 1.5),
    ("duration_minutes", "480"),
    ("seats_remaining", False),
    ("capacity", "150"),
    ("last_price", True),
    ("last_price", "400"),
]


@pytest.mark.parametrize(("field", "value"), HOSTILE)
def test_hostile_values_answer_422_naming_the_field(client, field, value):
    single = client.post("/v1/price", json={**FLIGHT, field: value})
    assert single.status_code == 422, single.text
    assert [e["loc"] for e in single.json()["detail"]] == [["body", field]]
    batch = client.post("/v1/price/batch", json={"flights": [FLIGHT, {**FLIGHT, field: value}]})
    assert batch.status_code == 422, batch.text
    assert [e["loc"] for e in batch.json()["detail"]] == [["body", "flights", 1, field]]


def test_an_arrow_body_with_a_column_twice_answers_422_naming_it(client):
    row = pa.Table.from_pylist([FLIGHT])
    twice = row.append_column("stops", pa.array([1]))
    response = client.post(
        "/v1/price/batch", content=_ipc_bytes(twice), headers={"content-type": ARROW_STREAM}
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert [e["loc"] for e in detail] == [["body", "stops"]] and "2 times" in detail[0]["msg"]


def test_answers_carry_timestamps_with_an_offset(client):
    # OpenAPI says date-time (RFC 3339): an offset is required.
    for stamp in (
        client.get("/health").json()["loaded_at"],
        client.get("/v1/model").json()["loaded_at"],
        client.post("/v1/price", json=FLIGHT).json()["observed_at"],
    ):
        assert datetime.fromisoformat(stamp).tzinfo is not None, stamp
    quote = client.post("/v1/price", json={**FLIGHT, "observed_at": "2026-09-05T14:00:00+02:00"})
    assert datetime.fromisoformat(quote.json()["observed_at"]) == datetime.fromisoformat(
        "2026-09-05T12:00:00+00:00"
    )


def test_openapi_states_the_date_range_and_strict_numbers(client):
    spec = client.get("/openapi.json").json()
    request = spec["components"]["schemas"]["PriceRequest"]["properties"]
    for name in ("observed_at", "departure_at"):
        assert "between 2000-01-01 and 2100-01-01" in request[name]["description"]
    assert "after observed_at" in request["departure_at"]["description"]
    assert request["stops"]["type"] == "integer"


def test_a_500_keeps_the_keep_alive_connection(api_settings, serve_app):
    app = create_app(api_settings)

    @app.get("/test-boom")
    async def boom() -> None:
        raise RuntimeError("a defect")

    @app.get("/test-peer")
    async def peer(request: Request) -> dict:
        return {"port": request.client.port}

    with serve_app(app) as url, httpx.Client(base_url=url) as http:
        before = http.get("/test-peer").json()["port"]
        failed = http.get("/test-boom")
        assert failed.status_code == 500 and failed.json() == {"detail": "internal error"}
        assert http.get("/test-peer").json()["port"] == before  # the same connection
        assert 'status="500"' in http.get("/metrics").text


def test_bodies_over_their_endpoint_cap_answer_413_before_parsing(client, api_settings):
    quote_cap = api_settings.api_max_body_bytes
    big = json.dumps({**FLIGHT, "flight_number": "1" * (quote_cap + 10)}).encode()
    started = time.perf_counter()
    response = client.post("/v1/price", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413, response.text
    assert f"over {quote_cap} bytes" in response.json()["detail"]
    # The same bytes are within the JSON batch's own cap: parsed, then refused as invalid.
    batch = json.dumps({"flights": [{**FLIGHT, "flight_number": "1" * (quote_cap + 10)}]})
    assert client.post("/v1/price/batch", content=batch.encode(),
                       headers={"content-type": "application/json"}).status_code == 422  # fmt: skip
    over_batch = b'{"flights": [' + b" " * api_settings.api_max_batch_body_bytes + b"]}"
    assert client.post("/v1/price/batch", content=over_batch,
                       headers={"content-type": "application/json"}).status_code == 413  # fmt: skip
    # An Arrow body that size is within the Arrow cap: read, then refused as not Arrow.
    arrow = client.post(
        "/v1/price/batch", content=over_batch, headers={"content-type": ARROW_STREAM}
    )
    assert arrow.status_code == 422
    assert time.perf_counter() - started < 20


def test_a_chunked_body_is_cut_off_at_the_cap(client, api_settings):
    chunk = b" " * 16_384
    chunks = api_settings.api_max_body_bytes // len(chunk) + 50  # ~0.9 MB, never all read

    def stream():
        yield b'{"carrier": "BA", "x": "'
        for _ in range(chunks):
            yield chunk

    response = client.post("/v1/price", content=stream(),
                           headers={"content-type": "application/json"})  # fmt: skip
    assert response.status_code == 413, response.text
    assert client.get("/health").status_code == 200


def test_docs_work_offline_and_offer_authorize(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "cdn." not in page.text and "unpkg" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/static-offline-docs/{asset}" in page.text
        assert client.get(f"/static-offline-docs/{asset}").status_code == 200
    spec = client.get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["AdminKey"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert spec["paths"]["/admin/reload"]["post"]["security"] == [{"AdminKey": []}]
    assert "security" not in spec["paths"]["/v1/price"]["post"]  # open unless a key is set


def test_an_optional_pricing_key_guards_the_pricing_endpoints(champion_home, make_settings,
                                                               serve_api):  # fmt: skip
    settings = make_settings(champion_home, api_pricing_key="pricing-secret")
    with serve_api(settings) as url, httpx.Client(base_url=url) as http:
        assert http.post("/v1/price", json=FLIGHT).status_code == 401
        assert http.get("/v1/model").status_code == 401
        wrong = {"x-api-key": "nope"}
        assert http.post("/v1/price/batch", json={"flights": [FLIGHT]},
                         headers=wrong).status_code == 403  # fmt: skip
        for key in ("pricing-secret", "test-admin-key"):
            assert http.post("/v1/price", json=FLIGHT, headers={"x-api-key": key}).is_success
        # The admin endpoint takes the admin key only; liveness stays open.
        assert (
            http.post("/admin/reload", headers={"x-api-key": "pricing-secret"}).status_code == 403
        )
        assert http.get("/health").status_code == 200 and http.get("/ready").status_code == 200
        spec = http.get("/openapi.json").json()
        assert spec["paths"]["/v1/price"]["post"]["security"] == [{"PricingKey": []}]
