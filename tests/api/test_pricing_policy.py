"""FLIGHTPRICE_PRICING_POLICY: the API prices with the configured policy and each quote says which.

Two real APIs on one copy of the champion home: the default (rule) and oracle.
"""

from __future__ import annotations

import contextlib
import shutil
from datetime import datetime

import httpx
import pyarrow as pa
import pytest

from flightprice.serve.client import ApiError, PricingClient
from flightprice.serve.smoke import known_flight


@pytest.fixture(scope="module")
def clients(champion_template, tmp_path_factory, make_settings, serve_api):
    home = tmp_path_factory.mktemp("policy") / "home"
    shutil.copytree(champion_template, home)
    settings = {"rule": make_settings(home), "oracle": make_settings(home, pricing_policy="oracle")}
    with contextlib.ExitStack() as stack:
        yield {
            name: stack.enter_context(
                httpx.Client(base_url=stack.enter_context(serve_api(s)), timeout=60)
            )
            for name, s in settings.items()
        }


@pytest.fixture(scope="module")
def flight(clients):
    trained = clients["rule"].get("/v1/model").json()["known_flight"]
    return {**known_flight(trained=trained), "capacity": 180, "seats_remaining": 20}


def test_each_quote_names_its_policy(clients, flight):
    rule = clients["rule"].post("/v1/price", json=flight).json()
    oracle = clients["oracle"].post("/v1/price", json=flight).json()
    assert rule["policy"] == "rule" and oracle["policy"] == "oracle"
    assert rule["market_fare"] == pytest.approx(oracle["market_fare"])
    # Twenty seats left a month out: the oracle's bid price is high, the rule's fare is not.
    assert oracle["price"] != rule["price"]
    assert oracle["guardrail"] in {"none", "floor", "ceiling", "max_increase", "max_decrease"}


def test_a_flight_without_seats_is_priced_by_rule_and_says_so(clients, flight):
    unknown = {**flight, "seats_remaining": None, "capacity": None}
    batch = clients["oracle"].post("/v1/price/batch", json={"flights": [flight, unknown]}).json()
    assert [q["policy"] for q in batch["quotes"]] == ["oracle", "rule"]
    rule = clients["rule"].post("/v1/price", json=unknown).json()
    assert batch["quotes"][1]["price"] == rule["price"]


def test_the_competitor_fare_moves_the_oracle_and_its_absence_changes_nothing(clients, flight):
    roomy = {**flight, "seats_remaining": 170}  # few sold: the price is where buyers are
    plain = clients["oracle"].post("/v1/price", json=roomy).json()
    fare = plain["market_fare"]
    prices = {
        factor: clients["oracle"]
        .post("/v1/price", json={**roomy, "competitor_fare": round(factor * fare, 2)})
        .json()["price"]
        for factor in (0.9, 1.1)
    }
    assert prices[0.9] != prices[1.1]
    null = clients["oracle"].post("/v1/price", json={**roomy, "competitor_fare": None}).json()
    assert null["price"] == plain["price"] and null["policy"] == "oracle"
    # `rule` ignores it.
    rule = clients["rule"].post("/v1/price", json=roomy).json()
    told = clients["rule"].post("/v1/price", json={**roomy, "competitor_fare": fare}).json()
    assert told["price"] == rule["price"]
    bad = clients["oracle"].post("/v1/price", json={**roomy, "competitor_fare": -1.0})
    assert bad.status_code == 422


def test_an_arrow_batch_carries_the_competitor_fare_like_json(clients, flight):
    roomy = {**flight, "seats_remaining": 170}
    fare = clients["oracle"].post("/v1/price", json=roomy).json()["market_fare"]
    flights = [{**roomy, "competitor_fare": f} for f in (0.9 * fare, 1.1 * fare, None)]
    quotes = clients["oracle"].post("/v1/price/batch", json={"flights": flights}).json()["quotes"]
    with PricingClient(str(clients["oracle"].base_url), retries=0) as api:
        priced = api.price_arrow(_arrow(flights))
        assert priced.column("price_usd").to_pylist() == [q["price"] for q in quotes]
        with pytest.raises(ApiError) as err:
            api.price_arrow(_arrow([{**roomy, "competitor_fare": -5.0}]))
    assert err.value.status == 422 and "competitor_fare" in str(err.value)


def _arrow(flights: list[dict]) -> pa.Table:
    """Return the JSON flights as an Arrow table (timestamps as timestamps, not strings)."""
    stamps = ("observed_at", "departure_at")
    return pa.Table.from_pylist([
        {k: datetime.fromisoformat(v) if k in stamps and isinstance(v, str) else v
         for k, v in f.items()}
        for f in flights
    ])  # fmt: skip
