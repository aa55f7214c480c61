"""Shared fixtures: a settings object on a temporary home, its store and warehouse."""

from __future__ import annotations

import os

# Before anything imports Prefect: no telemetry, no server of the developer's.
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.pop("PREFECT_API_URL", None)

import pytest

from flightprice.settings import Settings
from flightprice.store import LocalStore
from flightprice.warehouse import open_warehouse, setup_warehouse
from flightprice.warehouse.duckdb import DuckDBWarehouse


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Settings on an empty home in tmp_path, ignoring the developer's FLIGHTPRICE_* env."""
    for key in list(os.environ):
        if key.startswith("FLIGHTPRICE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("FLIGHTPRICE_HOME", str(tmp_path / "home"))
    return Settings(home=tmp_path / "home")


@pytest.fixture
def store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "lake")


@pytest.fixture
def warehouse(tmp_path):
    """A DuckDB warehouse file with the setup SQL applied; closed after the test."""
    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    setup_warehouse(wh, Settings(home=tmp_path))
    yield wh
    wh.close()


@pytest.fixture
def home_warehouse(settings):
    """The warehouse of `settings` (what the CLI opens), initialised; closed after the test."""
    wh = open_warehouse(settings)
    setup_warehouse(wh, settings)
    yield wh
    wh.close()
