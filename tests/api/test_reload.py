"""Model loading and hot swaps over a real uvicorn: no champion yet, reload under load."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx

FLIGHT = {
    "carrier": "UA", "origin": "JFK", "destination": "SFO", "cabin": "business",
    "observed_at": "2026-09-06T08:00:00", "departure_at": "2026-09-20T07:15:00",
    "stops": 0, "duration_minutes": 390, "seats_remaining": 4, "capacity": 30,
}  # fmt: skip
KEY = {"x-api-key": "test-admin-key"}


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_without_a_champion_the_api_runs_but_does_not_price(
    market_home, make_settings, serve_api, train_and_register
):
    settings = make_settings(market_home, api_model_retry_seconds=0)  # reloads only on demand
    with serve_api(settings) as url, httpx.Client(base_url=url) as client:
        health = client.get("/health").json()
        assert health["model_loaded"] is False and health["model_version"] is None
        assert "no champion" in health["model_error"]
        assert client.get("/ready").status_code == 503
        response = client.post("/v1/price", json=FLIGHT)
        assert response.status_code == 503 and "no champion" in response.json()["detail"]
        assert client.get("/v1/model").status_code == 503
        assert client.post("/admin/reload", headers=KEY).status_code == 409
        assert "flightprice_model_loaded 0.0" in client.get("/metrics").text

        train_and_register(settings, "v-first", champion=True)
        reloaded = client.post("/admin/reload", headers=KEY)
        assert reloaded.status_code == 200, reloaded.text
        assert reloaded.json() == {
            **reloaded.json(),
            "model_version": "v-first",
            "previous_version": None,
        }
        assert client.get("/ready").status_code == 200
        assert client.post("/v1/price", json=FLIGHT).json()["model_version"] == "v-first"


def test_an_api_started_without_a_model_loads_the_champion_once_there_is_one(
    market_home, make_settings, serve_api, train_and_register
):
    settings = make_settings(market_home, api_model_retry_seconds=0.2)
    with serve_api(settings) as url, httpx.Client(base_url=url) as client:
        assert client.get("/ready").status_code == 503
        train_and_register(settings, "v-later", champion=True)
        wait_for(lambda: client.get("/ready").status_code == 200)  # no /admin/reload
        assert client.get("/health").json()["model_version"] == "v-later"
        assert client.post("/v1/price", json=FLIGHT).json()["model_version"] == "v-later"
        assert "flightprice_model_loaded 1.0" in client.get("/metrics").text


def test_a_tampered_champion_is_refused_and_the_old_model_keeps_serving(
    champion_home, make_settings, serve_api, train_and_register
):
    settings = make_settings(champion_home)
    with serve_api(settings) as url, httpx.Client(base_url=url) as client:
        train_and_register(settings, "v-tampered", champion=True)
        artifact = settings.lake / "models" / "v-tampered" / "model.ubj"
        artifact.write_bytes(artifact.read_bytes() + b" ")
        response = client.post("/admin/reload", headers=KEY)
        assert response.status_code == 503
        assert "ArtifactChecksumError" in response.json()["detail"]
        assert client.get("/health").json()["model_version"] == "v-test-1"
        assert client.post("/v1/price", json=FLIGHT).json()["model_version"] == "v-test-1"
        assert (
            'flightprice_model_reloads_total{outcome="failed"} 1.0' in client.get("/metrics").text
        )


def test_admin_endpoints_are_off_without_a_configured_key(champion_home, make_settings, serve_api):
    with serve_api(make_settings(champion_home, api_key=None)) as url:
        response = httpx.post(f"{url}/admin/reload", headers=KEY)
    assert response.status_code == 503 and "FLIGHTPRICE_API_KEY" in response.json()["detail"]


def test_reload_under_concurrent_requests_drops_nothing(
    champion_home, make_settings, serve_api, train_and_register
):
    settings = make_settings(champion_home)
    with serve_api(settings) as url:
        train_and_register(settings, "v-test-2", champion=True, rounds=15)
        stop = threading.Event()
        seen: Counter[str] = Counter()
        failures: list[str] = []
        lock = threading.Lock()

        def hammer() -> None:
            with httpx.Client(base_url=url, timeout=30) as client:
                while not stop.is_set():
                    try:
                        response = client.post("/v1/price", json=FLIGHT)
                    except httpx.HTTPError as exc:
                        failures.append(repr(exc))
                        continue
                    with lock:
                        if response.status_code != 200:
                            failures.append(f"{response.status_code} {response.text}")
                        else:
                            seen[response.json()["model_version"]] += 1

        threads = [threading.Thread(target=hammer) for _ in range(6)]
        for thread in threads:
            thread.start()
        try:
            wait_for(lambda: seen["v-test-1"] >= 30)  # under way on the old model
            reloaded = httpx.post(f"{url}/admin/reload", headers=KEY, timeout=60)
            assert reloaded.status_code == 200, reloaded.text
            wait_for(lambda: seen["v-test-2"] >= 30)  # and on, on the new one
        finally:
            stop.set()
            for thread in threads:
                thread.join()

        assert reloaded.json()["previous_version"] == "v-test-1"
        assert failures == []
        assert set(seen) == {"v-test-1", "v-test-2"}
        after = httpx.post(f"{url}/v1/price", json=FLIGHT).json()
        assert after["model_version"] == "v-test-2"
