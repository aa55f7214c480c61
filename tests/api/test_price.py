"""The pricing API over a real uvicorn: health, quotes, batches (JSON and Arrow), 422s, metrics."""

from __future__ import annotations

import math
import random
import threading

import httpx
import pandas as pd
import pyarrow as pa
import pytest
from api.metrics import ApiMetrics
from api.routes.price import quote_flights
from api.schemas import PriceRequest

from flightprice.contract import CABINS, MAX_STOPS
from flightprice.pricing.params import PricingParams
from flightprice.pricing.reasons import explain
from flightprice.serve.client import ARROW_STREAM, ApiError, PricingClient, _ipc_bytes
from flightprice.serve.quoting import load_served_model, quote

FLIGHT = {
    "carrier": "BA", "flight_number": "117", "origin": "LHR", "destination": "JFK",
    "cabin": "economy", "observed_at": "2026-09-05T12:00:00",
    "departure_at": "2026-10-01T18:30:00", "stops": 0, "duration_minutes": 480,
    "seats_remaining": 42, "capacity": 150,
}  # fmt: skip


def test_health_ready_and_model_describe_the_champion(client):
    health = client.get("/health").json()
    assert health["model_loaded"] is True and health["model_version"] == "v-test-1"
    assert health["uptime_seconds"] >= 0 and health["model_error"] is None
    assert client.get("/ready").json() == {
        "ready": True,
        "model_version": "v-test-1",
        "reason": None,
    }
    model = client.get("/v1/model").json()
    assert model["version"] == "v-test-1" and len(model["sha256"]) == 64
    assert "mape" in model["metrics"] and model["pricing"]["rounding"] == "charm"


def test_quote_gives_a_price_its_reasons_and_the_model_version(client):
    response = client.post("/v1/price", json={**FLIGHT, "last_price": 400.0})
    assert response.status_code == 200, response.text
    quote = response.json()
    assert quote["currency"] == "USD" and quote["model_version"] == "v-test-1"
    assert math.isfinite(quote["price"]) and quote["price"] > 0
    assert round(quote["price"] % 1, 2) == 0.99  # charm rounding
    assert 340 <= quote["price"] <= 460.99  # within ±15% of the last published price
    assert quote["days_to_departure"] == pytest.approx(26.27, abs=0.01)
    assert quote["load_factor"] == pytest.approx(0.72)
    assert quote["reasons"][0].startswith("market fare")
    assert len(quote["reasons"]) == 5 and quote["guardrail"] in (
        "none",
        "max_increase",
        "max_decrease",
    )


def test_observed_at_defaults_to_now(client):
    flight = {k: v for k, v in FLIGHT.items() if k != "observed_at"}
    flight["departure_at"] = "2099-06-01T10:00:00"  # more than 400 days from now
    response = client.post("/v1/price", json=flight)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "departure_at"]


def test_batch_prices_each_flight_as_a_single_quote_would(client):
    flights = [{**FLIGHT, "cabin": cabin} for cabin in CABINS]
    batch = client.post("/v1/price/batch", json={"flights": flights}).json()
    assert batch["count"] == 4 and batch["model_version"] == "v-test-1"
    singles = [client.post("/v1/price", json=f).json()["price"] for f in flights]
    assert [q["price"] for q in batch["quotes"]] == singles
    assert singles == sorted(singles)  # economy < premium economy < business < first


def test_concurrent_quotes_match_the_batch_endpoint(api_url, client):
    flights = [
        {**FLIGHT, "cabin": cabin, "seats_remaining": seats, "stops": stops}
        for cabin in CABINS
        for seats in (None, 5, 80)
        for stops in (0, 1)
    ]
    expected = [
        q["price"]
        for q in client.post("/v1/price/batch", json={"flights": flights}).json()["quotes"]
    ]
    prices: dict[int, float] = {}

    def ask(i: int) -> None:
        with httpx.Client(base_url=api_url, timeout=30) as own:
            prices[i] = own.post("/v1/price", json=flights[i]).json()["price"]

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(flights))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [prices[i] for i in range(len(flights))] == expected


def test_batch_limits(client):
    assert client.post("/v1/price/batch", json={"flights": [FLIGHT] * 51}).status_code == 413
    empty = client.post("/v1/price/batch", json={"flights": []})
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body", "flights"]


def test_arrow_batch_matches_json_row_for_row(api_url, client):
    flights = [
        {**FLIGHT, "cabin": cabin, "seats_remaining": seats}
        for cabin in CABINS
        for seats in (None, 3, 90)
    ]
    json_prices = [
        q["price"]
        for q in client.post("/v1/price/batch", json={"flights": flights}).json()["quotes"]
    ]
    with PricingClient(api_url, retries=0) as api:
        priced = api.price_arrow(pa.Table.from_pylist(flights))
    assert priced.column("price_usd").to_pylist() == json_prices
    assert priced.schema.metadata[b"model_version"] == b"v-test-1"
    assert set(priced.column("guardrail").to_pylist()) <= {"none", "floor", "ceiling"}


def test_arrow_batch_checks_columns_and_limits(api_url):
    with PricingClient(api_url, retries=0) as api:
        bad = pa.Table.from_pylist([FLIGHT, {**FLIGHT, "origin": "lhr", "stops": 7}])
        with pytest.raises(ApiError) as err:
            api.price_arrow(bad)
        assert err.value.status == 422
        assert "origin" in str(err.value) and "stops" in str(err.value)
        with pytest.raises(ApiError) as err:
            api.price_arrow(pa.Table.from_pylist([FLIGHT]).drop_columns(["cabin"]))
        assert err.value.status == 422 and "cabin" in str(err.value)
        with pytest.raises(ApiError) as err:
            api.price_arrow(pa.Table.from_pylist([FLIGHT] * 2001))
        assert err.value.status == 413


BAD_FIELDS = [
    ("carrier", "B"),
    ("carrier", "ba"),
    ("carrier", 12),
    ("origin", "LHRX"),
    ("origin", "l1r"),
    ("destination", "LHR"),
    ("cabin", "coach"),
    ("observed_at", "yesterday"),
    ("observed_at", "1999-12-31T00:00:00"),
    ("departure_at", "2026-09-05T11:00:00"),
    ("departure_at", "2028-01-01T00:00:00"),
    ("departure_at", None),
    ("stops", -1),
    ("stops", MAX_STOPS + 1),
    ("stops", 1.5),
    ("duration_minutes", 0),
    ("seats_remaining", -1),
    ("capacity", 0),
    ("last_price", 0),
    ("last_price", -5),
    ("last_price", 1e9),
    ("flight_number", ""),
    ("fare_class", "Y"),
]


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_each_bad_field_answers_422_naming_it(client, field, value):
    response = client.post("/v1/price", json={**FLIGHT, field: value})
    assert response.status_code == 422, response.text
    assert [err["loc"] for err in response.json()["detail"]] == [["body", field]]


@pytest.mark.parametrize(
    "field",
    ["carrier", "origin", "destination", "cabin", "departure_at", "stops", "duration_minutes"],
)
def test_missing_required_field_answers_422_naming_it(client, field):
    response = client.post("/v1/price", json={k: v for k, v in FLIGHT.items() if k != field})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


def test_no_input_yields_a_500(client):
    rng = random.Random(7)
    junk = [
        None,
        "",
        "x" * 10_000,
        -1,
        0,
        10**30,
        1e308,
        -1e308,
        True,
        [],
        {},
        [1, 2],
        {"a": 1},
        "NaN",
        "2026-02-30T00:00:00",
        "9999-12-31T23:59:59",
        "\u0000",
        "😀",
    ]
    bodies: list[tuple[str, bytes | None, object]] = [
        ("/v1/price", b"", None),
        ("/v1/price", b"{", None),
        ("/v1/price", b"[]", None),
        ("/v1/price", b"null", None),
        ("/v1/price", b"\xff\xfe", None),
        ("/v1/price", b'{"stops": NaN}', None),
        ("/v1/price", b'{"stops": Infinity}', None),
        ("/v1/price", b"[" * 5000 + b"]" * 5000, None),
        ("/v1/price/batch", b'{"flights": 5}', None),
        ("/v1/price/batch", b'{"flights": [1]}', None),
    ]
    for _ in range(150):
        flight = dict(FLIGHT)
        for field in rng.sample(sorted(FLIGHT), rng.randint(1, 3)):
            flight[field] = rng.choice(junk)
        bodies.append((rng.choice(["/v1/price", "/v1/price/batch"]), None, flight))
    arrow = {"content-type": ARROW_STREAM}
    for path, raw, payload in bodies:
        if raw is not None:
            response = client.post(path, content=raw, headers={"content-type": "application/json"})
        elif path.endswith("batch"):
            response = client.post(path, json={"flights": [payload]})
        else:
            response = client.post(path, json=payload)
        assert response.status_code < 500, (path, raw, payload, response.text)
    arrow_bodies = [
        b"",
        b"garbage",
        _ipc_bytes(pa.table({"carrier": [1, 2]})),
        _ipc_bytes(pa.table({"x": pa.array([], pa.int64())})),
        _ipc_bytes(pa.Table.from_pylist([{**FLIGHT, "departure_at": "soon"}])),
        _ipc_bytes(pa.Table.from_pylist([{**FLIGHT, "stops": 1e300}])),
        _ipc_bytes(pa.Table.from_pylist([{**FLIGHT, "observed_at": None}])),
    ]
    for raw in arrow_bodies:
        response = client.post("/v1/price/batch", content=raw, headers=arrow)
        assert 400 <= response.status_code < 500, (raw[:50], response.text)
    for path in ("/v1/price", "/admin/reload", "/nowhere", "/v1/price/batch"):
        assert client.get(path).status_code < 500
    assert client.post("/admin/reload").status_code == 401


def test_admin_reload_needs_the_key(client):
    assert client.post("/admin/reload").status_code == 401
    assert client.post("/admin/reload", headers={"x-api-key": "wrong"}).status_code == 403
    response = client.post("/admin/reload", headers={"x-api-key": "test-admin-key"})
    assert response.status_code == 200
    assert response.json()["model_version"] == response.json()["previous_version"] == "v-test-1"


def test_metrics_count_requests_by_route_and_show_the_model(client):
    client.post("/v1/price", json=FLIGHT)
    client.post("/v1/price", json={**FLIGHT, "origin": "bad"})
    client.get("/no/such/path")
    text = client.get("/metrics").text
    assert 'flightprice_http_requests_total{method="POST",route="/v1/price",status="200"}' in text
    assert 'flightprice_http_requests_total{method="POST",route="/v1/price",status="422"}' in text
    assert 'route="unmatched"' in text and "/no/such/path" not in text
    assert (
        'flightprice_http_request_duration_seconds_bucket{le="0.005",method="POST",'
        'route="/v1/price"}' in text
    )
    assert 'flightprice_model_info{version="v-test-1"} 1.0' in text
    assert "flightprice_model_loaded 1.0" in text
    assert 'flightprice_flights_priced_total{guardrail="none"}' in text


def test_openapi_documents_examples_and_the_arrow_body(client):
    spec = client.get("/openapi.json").json()
    batch = spec["paths"]["/v1/price/batch"]["post"]
    assert {"application/json", ARROW_STREAM} <= set(batch["requestBody"]["content"])
    assert spec["components"]["schemas"]["PriceRequest"]["examples"][0]["origin"] == "CDG"


# What the schema admits, at the edges where column arrays and frames could price apart.
VARIED_FLIGHTS = [
    *({**FLIGHT, "cabin": cabin, "last_price": last} for cabin in CABINS for last in (None, 60.0)),
    {**FLIGHT, "observed_at": "2026-09-05T14:00:00+02:00", "departure_at": "2026-10-01T13:30-05:00"},
    {**FLIGHT, "departure_at": "2026-10-25T01:30:00+01:00", "seats_remaining": None},  # DST ends
    {**FLIGHT, "departure_at": "2026-10-25T01:30:00+00:00", "capacity": None},
    {**FLIGHT, "departure_at": "2027-03-28T00:59:59Z", "seats_remaining": None, "capacity": None},
    {**FLIGHT, "departure_at": "2026-11-29T23:59:59", "seats_remaining": 200},  # Sunday
    {**FLIGHT, "departure_at": "2026-11-30T00:00:00", "seats_remaining": 0, "capacity": 1},
    {**FLIGHT, "observed_at": "2026-09-05T12:00:00.900", "departure_at": "2026-09-06T12:00:00.1"},
    {**FLIGHT, "carrier": "ZZ", "origin": "QQQ", "destination": "XXX", "last_price": 9000.0},
    {**FLIGHT, "stops": 3, "duration_minutes": 4999, "last_price": 700.0},
]  # fmt: skip


def test_json_quotes_match_the_frame_path_exactly(champion_template, make_settings):
    model, params = load_served_model(make_settings(champion_template)), PricingParams()
    flights = [PriceRequest.model_validate(f) for f in VARIED_FLIGHTS]

    quotes = quote_flights(model, flights, params=params, metrics=ApiMetrics())

    for raw, got in zip(VARIED_FLIGHTS, quotes, strict=True):
        r = quote(model, pd.DataFrame([raw]), params).result  # pandas parses the raw JSON
        assert (got["price"], got["market_fare"]) == (r.price[0], r.market_fare[0]), raw
        assert got["days_to_departure"] == r.days_to_departure[0]
        assert got["reasons"] == explain(r, 0)
    assert len({q["market_fare"] for q in quotes}) > 10
