"""The default set-up runs the weekly training green: init's admin key lets deploy reload the API."""

from __future__ import annotations

import os
import stat
from datetime import date

import httpx
import pytest

from flightprice.cli.run import load_flow
from flightprice.ingest.load import load_raw_files
from flightprice.project import init_project
from flightprice.settings import Settings, get_settings
from flightprice.store import open_store
from flightprice.synth.generate import generate_market
from flightprice.transform.dbt import run_dbt
from flightprice.transform.quality import run_quality_checks
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow


def test_training_flow_with_defaults_promotes_and_deploys_to_the_running_api(
    settings, monkeypatch, serve_api
):
    assert "FLIGHTPRICE_API_KEY" not in os.environ  # the `settings` fixture cleared FLIGHTPRICE_*
    monkeypatch.setenv("FLIGHTPRICE_HOLDOUT_DAYS", "2")
    monkeypatch.setenv("FLIGHTPRICE_SMOKE_LATENCY_BUDGET_MS", "5000")  # a busy test machine
    init_project(settings)
    key_file = settings.home / "admin.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    store = open_store(settings)
    generate_market(store, start=date(2026, 9, 1), days=6, routes=4, seed=2)
    with open_warehouse(settings) as wh:
        load_raw_files(store, wh)
    assert run_dbt(settings, ["build"]).success
    run_quality_checks(settings, run_id="q-1", run_tests=False)

    served = Settings(home=settings.home)  # what `flightprice serve` reads: no key in the env
    assert served.api_key is not None
    with serve_api(served) as url:
        monkeypatch.setenv("FLIGHTPRICE_API_URL", url)
        get_settings.cache_clear()
        state = load_flow(settings.flows_dir, "training")(refresh=False, return_state=True)
        health = httpx.get(f"{url}/health").json()
    get_settings.cache_clear()

    assert state.is_completed(), state
    result = state.result()
    assert result["decision"] == "first_champion"
    deployed = result["deployed"]
    assert deployed["api_reloaded"] and deployed["passed"] and not deployed["rolled_back"], deployed
    assert health["model_version"] == result["version"]
