"""One fakesnow server for the session: the real connector and dbt-snowflake talk to it over HTTP.

Each test gets its own database on that server (`FLIGHTPRICE_SNOWFLAKE_DATABASE`), so tests
do not see each other's tables while sharing one server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakesnow_standin import fakesnow_server as serve
from fakesnow_standin import stand_in_settings

from flightprice.settings import Settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Silence the stand-in's own warning about how it copies results (not ours to fix)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.filterwarnings(
                "ignore:Arrow output on a DB-API result:UserWarning"))


@pytest.fixture(scope="session")
def fakesnow_server() -> Iterator[dict[str, Any]]:
    """A fakesnow HTTP server on a free port, for the whole session; yields host and port."""
    with serve() as server:
        yield server


@pytest.fixture
def sf_settings(fakesnow_server, tmp_path, monkeypatch) -> Settings:
    """Settings at the stand-in on a fresh database; the developer's FLIGHTPRICE_* ignored."""
    for key in list(os.environ):
        if key.startswith("FLIGHTPRICE_"):
            monkeypatch.delenv(key)
    return stand_in_settings(fakesnow_server, tmp_path / "home")
