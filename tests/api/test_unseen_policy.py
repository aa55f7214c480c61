"""Inputs the model never saw: flagged on every answer; FLIGHTPRICE_UNSEEN_POLICY decides the rest.

Three real APIs on one copy of the champion home, one per policy.
"""

from __future__ import annotations

import contextlib
import shutil
from datetime import datetime

import httpx
import pyarrow as pa
import pytest

from flightprice.serve.client import ARROW_STREAM, PricingClient, _ipc_bytes
from flightprice.serve.quoting import load_served_model
from flightprice.serve.smoke import known_flight

POLICIES = ("price", "baseline", "refuse")
NEW_ROUTE_AND_CARRIER = {"carrier": "Z9", "origin": "ZZZ", "destination": "QQQ"}


@pytest.fixture(scope="module")
def policy_settings(champion_template, tmp_path_factory, make_settings):
    home = tmp_path_factory.mktemp("unseen") / "home"
    shutil.copytree(champion_template, home)
    return {policy: make_settings(home, unseen_policy=policy) for policy in POLICIES}


@pytest.fixture(scope="module")
def clients(policy_settings, serve_api):
    with contextlib.ExitStack() as stack:
        yield {
            policy: stack.enter_context(
                httpx.Client(base_url=stack.enter_context(serve_api(settings)), timeout=30)
            )
            for policy, settings in policy_settings.items()
        }


@pytest.fixture(scope="module")
def model(policy_settings):
    return load_served_model(policy_settings["price"])


@pytest.fixture(scope="module")
def flight(clients):
    """The served model's most quoted training flight (GET /v1/model), as the smoke test asks."""
    trained = clients["price"].get("/v1/model").json()["known_flight"]
    assert trained is not None
    return known_flight(trained=trained)


def test_a_known_flight_is_priced_with_high_confidence_by_every_policy(clients, flight):
    for policy, client in clients.items():
        body = client.post("/v1/price", json=flight).json()
        assert (body["unseen"], body["confidence"], body["fare_source"]) == ([], "high", "model")
        assert body["price"] > 0, policy


def test_an_unseen_route_and_carrier_are_flagged_with_low_confidence(clients, flight, model):
    body = clients["price"].post("/v1/price", json={**flight, **NEW_ROUTE_AND_CARRIER}).json()
    assert set(body["unseen"]) == {"route", "origin", "destination", "carrier"}
    assert body["confidence"] == "low" and body["fare_source"] == "model" and body["price"] > 0
    # The baseline needs a known route: a new one is priced by the model, flagged.
    fallback = clients["baseline"].post("/v1/price", json={**flight, **NEW_ROUTE_AND_CARRIER})
    assert fallback.json()["fare_source"] == "model"
    assert fallback.json()["market_fare"] == body["market_fare"]


def test_baseline_policy_prices_a_known_route_with_a_new_carrier_at_the_route_cabin_median(
    clients, flight, model
):
    request = {**flight, "carrier": "Z9"}
    priced = clients["price"].post("/v1/price", json=request).json()
    fallback = clients["baseline"].post("/v1/price", json=request).json()
    median = model.route_cabin_medians[(f"{flight['origin']}-{flight['destination']}", "economy")]
    assert priced["unseen"] == fallback["unseen"] == ["carrier"]
    assert (priced["fare_source"], fallback["fare_source"]) == ("model", "baseline")
    assert fallback["market_fare"] == pytest.approx(median)
    assert priced["market_fare"] != pytest.approx(median)


def test_refuse_policy_answers_422_naming_the_unseen_inputs(clients, flight):
    response = clients["refuse"].post("/v1/price", json={**flight, **NEW_ROUTE_AND_CARRIER})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert {err["type"] for err in detail} == {"unseen_input"}
    assert {tuple(err["loc"]) for err in detail} == {
        ("body", name) for name in ("route", "origin", "destination", "carrier")
    }
    assert any("Z9" in err["msg"] for err in detail)


def test_refuse_policy_refuses_a_json_batch_naming_rows_and_inputs(clients, flight):
    flights = [flight, {**flight, "carrier": "Z9"}, flight]
    response = clients["refuse"].post("/v1/price/batch", json={"flights": flights})
    assert response.status_code == 422
    assert [err["loc"] for err in response.json()["detail"]] == [
        ["body", "flights", 1, "carrier"]
    ]
    assert clients["refuse"].post("/v1/price/batch", json={"flights": [flight]}).status_code == 200


def test_refuse_policy_refuses_an_arrow_batch_naming_rows_and_inputs(clients, flight):
    table = _table([flight, flight, {**flight, "carrier": "Z9"}])
    response = clients["refuse"].post(
        "/v1/price/batch", content=_ipc_bytes(table), headers={"content-type": ARROW_STREAM}
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert len(detail) == 1, detail
    (error,) = detail
    assert error["loc"] == ["body", "carrier"] and error["type"] == "unseen_input"
    assert error["msg"].endswith("in 1 rows: 2")


def test_refuse_policy_marks_refused_arrow_rows_when_asked(clients, flight):
    table = _table([flight, {**flight, "carrier": "Z9"}])
    with PricingClient(str(clients["refuse"].base_url), retries=0) as api:
        priced = api.price_arrow(table, mark_refused=True).to_pydict()
    assert priced["refused"] == [False, True]
    assert priced["price_usd"][0] > 0 and priced["price_usd"][1] is None
    assert priced["market_fare_usd"][1] is None and priced["unseen"] == ["", "carrier"]


def test_batches_carry_the_flags_in_json_and_arrow(clients, flight):
    flights = [flight, {**flight, "carrier": "Z9"}, {**flight, **NEW_ROUTE_AND_CARRIER}]
    quotes = clients["price"].post("/v1/price/batch", json={"flights": flights}).json()["quotes"]
    assert [q["confidence"] for q in quotes] == ["high", "low", "low"]
    assert [q["unseen"] for q in quotes][:2] == [[], ["carrier"]]
    response = clients["baseline"].post(
        "/v1/price/batch",
        content=_ipc_bytes(_table(flights)),
        headers={"content-type": ARROW_STREAM, "accept": ARROW_STREAM},
    )
    with pa.ipc.open_stream(response.content) as reader:
        priced = reader.read_all().to_pydict()
    assert priced["unseen"][:2] == ["", "carrier"]
    assert set(priced["unseen"][2].split(",")) == {"route", "origin", "destination", "carrier"}
    assert priced["confidence"] == ["high", "low", "low"]
    assert priced["fare_source"] == ["model", "baseline", "model"]


def test_openapi_documents_the_flags(clients):
    spec = clients["price"].get("/openapi.json").json()
    quote = spec["components"]["schemas"]["Quote"]
    assert {"unseen", "confidence", "fare_source"} <= set(quote["required"])
    assert "low" in quote["properties"]["confidence"]["description"]
    assert "422" in spec["paths"]["/v1/price"]["post"]["responses"]



def _table(flights: list[dict]) -> pa.Table:
    """Return the flights as an Arrow request table (timestamps as timestamps)."""
    stamps = ("observed_at", "departure_at")
    rows = [{k: datetime.fromisoformat(v) if k in stamps else v for k, v in f.items()}
            for f in flights]  # fmt: skip
    return pa.Table.from_pylist(rows)
