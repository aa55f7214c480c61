"""A failed local deploy whose rollback the API cannot load leaves registry and API agreeing."""

from __future__ import annotations

import httpx
import pytest

from flightprice import registry
from flightprice.deploy.rollout import deploy
from flightprice.warehouse import open_warehouse


class Failing:
    passed, checks = False, []


@pytest.mark.slow  # trains a model, starts an API, deploys: ~15 s
def test_a_failed_deploy_onto_a_corrupt_previous_champion_keeps_registry_and_api_agreeing(
    champion_home, make_settings, train_and_register, serve_api
):
    settings = make_settings(champion_home, smoke_wait_seconds=0)
    train_and_register(settings, "v-test-2", champion=False, rounds=10)
    with serve_api(settings) as url:
        settings = settings.model_copy(update={"api_url": url})
        # The serving champion's file goes bad on disk; the API still has it in memory.
        artifact = settings.lake / "models" / "v-test-1" / "model.ubj"
        artifact.write_bytes(artifact.read_bytes() + b" ")
        result = deploy(settings, "v-test-2", target="local", smoke_test=lambda _url: Failing())
        serving = httpx.get(f"{url}/health").json()["model_version"]
    assert result.rolled_back and not result.passed
    with open_warehouse(settings, read_only=True) as wh:
        champion = registry.champion(wh).version
    assert champion == serving, (champion, serving, result.detail)
    assert "could not be loaded by the API" in result.detail
