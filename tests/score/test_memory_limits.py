"""The embedded engine's memory limit: the streaming one while chunks stream, the publish one after."""

from __future__ import annotations

import contextlib

import pytest

from flightprice.score import batch
from flightprice.score.batch import run_scoring

pytestmark = pytest.mark.slow


def _limit(warehouse) -> str:
    return warehouse.query_arrow("SELECT current_setting('memory_limit') AS m").column(0)[0].as_py()


@pytest.fixture
def observed(monkeypatch):
    """Record DuckDB's memory_limit after each chunk and when the publishing transaction opens."""
    seen: dict[str, list[str]] = {"stream": [], "publish": []}
    opened = batch.open_warehouse  # the real warehouse, wrapped only to look at its setting
    handle: list = []

    @contextlib.contextmanager
    def watched(*args, **kwargs):
        with opened(*args, **kwargs) as warehouse:
            transaction = warehouse.transaction

            @contextlib.contextmanager
            def publishing():
                seen["publish"].append(_limit(warehouse))
                with transaction():
                    yield

            warehouse.transaction = publishing
            handle.append(warehouse)
            yield warehouse

    monkeypatch.setattr(batch, "open_warehouse", watched)
    seen["progress"] = lambda done, total: seen["stream"].append(_limit(handle[-1]))
    return seen


@pytest.mark.parametrize(
    ("stream", "publish", "expected_stream", "expected_publish"),
    [
        ("96MiB", "256MiB", "96.0 MiB", "256.0 MiB"),
        (None, "256MiB", "256.0 MiB", "256.0 MiB"),  # no streaming limit: one limit throughout
    ],
)
def test_streaming_limit_holds_while_chunks_stream_and_the_publish_gets_its_own(
    champion_home, make_settings, observed, stream, publish, expected_stream, expected_publish
):
    settings = make_settings(
        champion_home, scoring_chunk_rows=500, scoring_duckdb_memory_limit=publish,
        scoring_duckdb_stream_memory_limit=stream,
    )  # fmt: skip
    report = run_scoring(settings, mode="local", run_id="run-1", progress=observed["progress"])
    assert report.status == "success"
    assert len(observed["stream"]) > 2 and set(observed["stream"]) == {expected_stream}
    assert observed["publish"] == [expected_publish]
