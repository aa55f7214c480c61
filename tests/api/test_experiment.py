"""Champion/challenger over a real uvicorn: arms by flight, the `arm` field, the assignment log."""

from __future__ import annotations

import functools
import shutil
from datetime import datetime

import httpx
import pyarrow as pa
import pytest
from api.experiment import arm_router
from api.metrics import ApiMetrics
from api.routes.price import quote_flights
from api.schemas import PriceRequest

from flightprice.experiment.arms import Experiment, flight_id
from flightprice.experiment.assignments import read_assignments
from flightprice.score._scorers import ApiScorer
from flightprice.serve.client import PricingClient
from flightprice.serve.quoting import load_served_model

FLIGHT = {
    "carrier": "BA", "origin": "LHR", "destination": "JFK", "cabin": "economy",
    "observed_at": "2026-09-05T12:00:00", "stops": 0, "duration_minutes": 480,
    "seats_remaining": 42, "capacity": 150,
}  # fmt: skip
FLIGHTS = [
    {**FLIGHT, "flight_number": str(100 + i), "departure_at": f"2026-10-{1 + i % 20:02d}T18:30:00"}
    for i in range(40)
]


@pytest.fixture(scope="module")
def experiment_settings(champion_template, tmp_path_factory, make_settings, train_and_register):
    home = tmp_path_factory.mktemp("experiment") / "home"
    shutil.copytree(champion_template, home)
    train_and_register(make_settings(home), "v-test-2", champion=False, rounds=8)
    # The simulated market's demand for the optimal challenger: no bookings feed to fit one.
    return make_settings(home, experiment_challenger="v-test-2", experiment_share=0.5,
                         experiment_name="api-test", demand_source="simulator")  # fmt: skip


def _expected_arm(flight: dict) -> str:
    fid = flight_id(flight["carrier"], flight["flight_number"],
                    datetime.fromisoformat(flight["departure_at"]))  # fmt: skip
    return Experiment("api-test", "v-test-2", 0.5).arm_of(fid)


def test_each_flight_is_priced_by_its_arm_and_logged(experiment_settings, serve_api):
    expected = [_expected_arm(f) for f in FLIGHTS]
    assert set(expected) == {"champion", "challenger"}
    with serve_api(experiment_settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        singles = [client.post("/v1/price", json=f).json() for f in FLIGHTS]
        batch = client.post("/v1/price/batch", json={"flights": FLIGHTS}).json()["quotes"]
    for quotes in (singles, batch):
        assert [q["arm"] for q in quotes] == expected
        assert [q["model_version"] for q in quotes] == [
            "v-test-2" if arm == "challenger" else "v-test-1" for arm in expected
        ]
    log = read_assignments(experiment_settings.experiment_log, "api-test")
    assert len(log) == 2 * len(FLIGHTS)
    arms = dict(zip(log["flight_id"], log["arm"], strict=True))
    assert log.groupby("flight_id")["arm"].nunique().max() == 1
    assert sorted(arms.values()) == sorted(expected)
    assert set(log["model_version"]) == {"v-test-1", "v-test-2"}


def test_a_restarted_api_keeps_every_flight_in_its_arm(experiment_settings, serve_api):
    arms = []
    for _ in range(2):
        with serve_api(experiment_settings) as url, httpx.Client(base_url=url) as client:
            arms.append([client.post("/v1/price", json=f).json()["arm"] for f in FLIGHTS[:10]])
    assert arms[0] == arms[1] == [_expected_arm(f) for f in FLIGHTS[:10]]


def test_an_unloadable_challenger_leaves_every_flight_to_the_champion(
    experiment_settings, serve_api
):
    settings = experiment_settings.model_copy(
        update={"experiment_challenger": "v-does-not-exist", "experiment_name": "broken"}
    )
    with serve_api(settings) as url, httpx.Client(base_url=url) as client:
        quotes = client.post("/v1/price/batch", json={"flights": FLIGHTS}).json()["quotes"]
    assert {q["arm"] for q in quotes} == {"champion"}
    assert {q["model_version"] for q in quotes} == {"v-test-1"}
    log = read_assignments(settings.experiment_log, "broken")
    assert len(log) == len(FLIGHTS) and set(log["arm"]) == {"champion"}


def test_without_an_experiment_quotes_say_champion_and_nothing_is_logged(client, api_settings):
    quote = client.post("/v1/price", json=FLIGHTS[0]).json()
    assert quote["arm"] == "champion"
    assert not api_settings.experiment_log.exists()


def test_a_policy_challenger_prices_its_flights_with_that_policy(experiment_settings, serve_api):
    settings = experiment_settings.model_copy(
        update={"experiment_challenger": "optimal", "experiment_name": "policy"}
    )
    with serve_api(settings) as url, httpx.Client(base_url=url, timeout=120) as client:
        quotes = client.post("/v1/price/batch", json={"flights": FLIGHTS}).json()["quotes"]
    experiment = Experiment("policy", "optimal", 0.5)
    expected = [
        experiment.arm_of(flight_id(f["carrier"], f["flight_number"],
                                    datetime.fromisoformat(f["departure_at"])))
        for f in FLIGHTS
    ]  # fmt: skip
    assert [q["arm"] for q in quotes] == expected and set(expected) == {"champion", "challenger"}
    assert [q["policy"] for q in quotes] == [
        "optimal" if arm == "challenger" else "rule" for arm in expected
    ]
    assert {q["model_version"] for q in quotes} == {"v-test-1"}
    log = read_assignments(settings.experiment_log, "policy")
    assert sorted(log["arm"]) == sorted(expected) and set(log["challenger"]) == {"optimal"}


def test_a_policy_experiment_prices_a_mixed_batch_in_one_call(experiment_settings):
    # In process, the app's own pieces: each call to the pricing function pays the model's
    # fixed cost, so a batch of both arms must make one call, priced as the arms would alone.
    settings = experiment_settings.model_copy(
        update={"experiment_challenger": "optimal", "experiment_name": "one-call"}
    )
    model, calls = load_served_model(settings), []

    def counted(model, requests, **keywords):
        calls.append(len(requests))
        return quote_flights(model, requests, params=settings.pricing, metrics=ApiMetrics(),
                             **keywords)  # fmt: skip

    router = arm_router(settings, functools.partial(counted, pricing_policy="rule"))
    requests = [PriceRequest(**f) for f in FLIGHTS]
    quotes = router(model, requests)
    assert calls == [len(FLIGHTS)]
    experiment = Experiment("one-call", "optimal", 0.5)
    arms = [experiment.arm_of(flight_id(r.carrier, r.flight_number, r.departure_at))
            for r in requests]  # fmt: skip
    assert [q["arm"] for q in quotes] == arms and set(arms) == {"champion", "challenger"}
    for arm, policy in (("champion", "rule"), ("challenger", "optimal")):
        part = [r for r, a in zip(requests, arms, strict=True) if a == arm]
        alone = counted(model, part, pricing_policy=policy)
        mine = [q for q, a in zip(quotes, arms, strict=True) if a == arm]
        assert [q["price"] for q in mine] == [q["price"] for q in alone]
        assert {q["policy"] for q in mine} == {policy}


@pytest.mark.parametrize("challenger", ["v-test-2", "optimal"])
def test_an_arrow_batch_is_priced_by_arm_like_json_and_logged(
    experiment_settings, serve_api, challenger
):
    name = f"arrow-{challenger}"
    settings = experiment_settings.model_copy(
        update={"experiment_challenger": challenger, "experiment_name": name}
    )
    with (
        serve_api(settings) as url,
        PricingClient(url, retries=0) as api,
        httpx.Client(base_url=url, timeout=120) as client,
    ):
        priced = api.price_arrow(pa.Table.from_pylist(FLIGHTS))
        quotes = client.post("/v1/price/batch", json={"flights": FLIGHTS}).json()["quotes"]
        # Batch scoring's client, in slices: it must keep each row's model version.
        scorer = ApiScorer(PricingClient(url, retries=0), request_rows=7, concurrency=2)
        try:
            scored = scorer.price(pa.Table.from_pylist(FLIGHTS))
        finally:
            scorer.close()
    experiment = Experiment(name, challenger, 0.5)
    expected = [
        experiment.arm_of(flight_id(f["carrier"], f["flight_number"],
                                    datetime.fromisoformat(f["departure_at"])))
        for f in FLIGHTS
    ]  # fmt: skip
    assert set(expected) == {"champion", "challenger"}
    assert priced.column("arm").to_pylist() == expected == [q["arm"] for q in quotes]
    assert priced.column("model_version").to_pylist() == [q["model_version"] for q in quotes]
    assert priced.column("price_usd").to_pylist() == [q["price"] for q in quotes]
    assert priced.schema.metadata[b"model_version"] == b"v-test-1"
    assert scored.column("model_version").to_pylist() == [q["model_version"] for q in quotes]
    assert scored.column("price_usd").to_pylist() == [q["price"] for q in quotes]
    log = read_assignments(settings.experiment_log, name)
    assert len(log) == 3 * len(FLIGHTS)  # two Arrow batches' rows and the JSON batch's
    assert log.groupby("flight_id")["arm"].nunique().max() == 1


def test_admin_reload_loads_a_challenger_registered_after_start(
    champion_template, tmp_path, make_settings, serve_api, train_and_register
):
    shutil.copytree(champion_template, tmp_path / "home")
    settings = make_settings(tmp_path / "home", experiment_challenger="v-test-late",
                             experiment_share=0.5, experiment_name="late")  # fmt: skip
    key = {"x-api-key": "test-admin-key"}
    with serve_api(settings) as url, httpx.Client(base_url=url, timeout=60) as client:
        before = client.post("/v1/price/batch", json={"flights": FLIGHTS}).json()["quotes"]
        train_and_register(settings, "v-test-late", champion=False, rounds=8)
        reloaded = client.post("/admin/reload", headers=key)
        after = client.post("/v1/price/batch", json={"flights": FLIGHTS}).json()["quotes"]
    assert {q["arm"] for q in before} == {"champion"}  # not registered yet: champion prices
    assert reloaded.status_code == 200, reloaded.text
    assert reloaded.json()["challenger_version"] == "v-test-late"
    experiment = Experiment("late", "v-test-late", 0.5)
    expected = [
        experiment.arm_of(flight_id(f["carrier"], f["flight_number"],
                                    datetime.fromisoformat(f["departure_at"])))
        for f in FLIGHTS
    ]  # fmt: skip
    assert [q["arm"] for q in after] == expected
    assert [q["model_version"] for q in after] == [
        "v-test-late" if arm == "challenger" else "v-test-1" for arm in expected
    ]
