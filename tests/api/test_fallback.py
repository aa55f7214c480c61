"""A corrupt champion at start: the API serves the last good version, says so, and so does the
registry; unauthenticated answers never show the artifact's path or checksum."""

from __future__ import annotations

import re

import httpx
import pytest

from flightprice import registry
from flightprice.warehouse import open_warehouse

FLIGHT = {
    "carrier": "UA", "origin": "JFK", "destination": "SFO", "cabin": "business",
    "observed_at": "2026-09-06T08:00:00", "departure_at": "2026-09-20T07:15:00",
    "stops": 0, "duration_minutes": 390, "seats_remaining": 4, "capacity": 30,
}  # fmt: skip
SHA256 = re.compile(r"\b[0-9a-f]{64}\b")


def corrupt(settings, version: str) -> None:
    artifact = settings.lake / "models" / version / "model.ubj"
    artifact.write_bytes(artifact.read_bytes()[:-1] + b"!")


@pytest.mark.slow  # trains two models, starts an API: ~20 s
def test_a_corrupt_champion_falls_back_to_the_last_good_version(
    champion_home, make_settings, serve_api, train_and_register
):
    settings = make_settings(champion_home, api_model_retry_seconds=0)
    train_and_register(settings, "v-test-2", champion=True, rounds=10)  # from v-test-1
    train_and_register(settings, "v-test-3", champion=True, rounds=12)  # from v-test-2
    corrupt(settings, "v-test-3")
    corrupt(settings, "v-test-2")  # the previous champion too: one more step back
    with serve_api(settings) as url, httpx.Client(base_url=url) as client:
        health = client.get("/health").json()
        assert health["model_version"] == "v-test-1", health
        assert "v-test-3 could not be loaded" in health["fallback"]
        assert "registry now names v-test-1" in health["fallback"]
        assert client.get("/ready").status_code == 200
        assert client.post("/v1/price", json=FLIGHT).json()["model_version"] == "v-test-1"
    with open_warehouse(settings, read_only=True) as wh:
        assert registry.champion(wh).version == "v-test-1"
        broken = registry.get(wh, "v-test-3")
    assert broken.status == "challenger" and "could not be loaded" in broken.reason


def test_with_nothing_loadable_the_503s_do_not_show_paths_or_checksums(
    champion_home, make_settings, serve_api
):
    settings = make_settings(champion_home, api_model_retry_seconds=0)
    corrupt(settings, "v-test-1")
    with serve_api(settings) as url, httpx.Client(base_url=url) as client:
        answers = [
            client.get("/health"),
            client.get("/ready"),
            client.post("/v1/price", json=FLIGHT),
            client.get("/v1/model"),
        ]
    assert [a.status_code for a in answers] == [200, 503, 503, 503]
    assert "ArtifactChecksumError" in answers[0].json()["model_error"]
    for answer in answers:
        assert str(settings.home) not in answer.text and "model.ubj" not in answer.text
        assert not SHA256.search(answer.text), answer.text
