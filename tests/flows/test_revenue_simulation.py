"""The revenue-simulation flow publishes its summary and per-policy table as artifacts."""

from __future__ import annotations

import asyncio

import pytest
from flows.revenue_simulation import revenue_simulation
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from flightprice.settings import get_settings


async def _latest(key: str):
    async with get_client() as client:
        found = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )
    return found[-1]


@pytest.mark.slow  # a Prefect flow run plus two small simulations
def test_flow_publishes_markdown_and_table(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIGHTPRICE_HOME", str(tmp_path))
    get_settings.cache_clear()
    result = revenue_simulation(policy="oracle", vs="rule", flights=10, seeds=2)
    get_settings.cache_clear()
    assert set(result["policies"]) == {"oracle", "rule"}
    markdown = asyncio.run(_latest("revenue-simulation"))
    assert "oracle vs rule" in markdown.data
    table = asyncio.run(_latest("revenue-by-policy"))
    assert "load_factor" in str(table.data)
