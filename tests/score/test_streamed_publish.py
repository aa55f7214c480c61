"""FLIGHT_PRICES MERGEd batch by batch as history is appended (DuckDB) publishes what one MERGE
at the end does, keeps the rows of flights not in the run, and publishes nothing of a run that
fails after some batches were MERGEd."""

from __future__ import annotations

import functools
import shutil

import pyarrow as pa
import pytest

from flightprice.pricing.params import PricingParams
from flightprice.score import _publish, _scorers, batch
from flightprice.score._history import HistoryWriter
from flightprice.score.batch import ScoringError, run_scoring
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow

PRICES = "ML_PREDICTIONS.FLIGHT_PRICES"
HISTORY = "ML_PREDICTIONS.PRICE_HISTORY"
KEY = [("flight_id", "ascending"), ("cabin", "ascending")]


def published(settings) -> pa.Table:
    with open_warehouse(settings, read_only=True) as wh:
        return wh.query_arrow(f"SELECT * FROM {PRICES}").sort_by(KEY)


@pytest.fixture
def merges(monkeypatch) -> list[int]:
    """Append (and MERGE) history every 600 rows; record the rows of each streamed MERGE."""
    seen: list[int] = []
    monkeypatch.setattr(batch, "HistoryWriter", functools.partial(HistoryWriter, append_rows=600))
    add = _publish.StreamingPublisher.add  # the real MERGE, counted

    def counted(self, history: pa.Table) -> None:
        seen.append(history.num_rows)
        add(self, history)

    monkeypatch.setattr(_publish.StreamingPublisher, "add", counted)
    return seen


def two_runs(settings) -> None:
    """Publish a first run, drop some flights from sale, score a second (limited) run."""
    urgent = PricingParams(urgency_window_days=90, max_urgency_adjustment=0.6)
    run_scoring(settings.model_copy(update={"pricing": urgent}), mode="local", run_id="first")
    with open_warehouse(settings) as wh:
        wh.execute("DELETE FROM ANALYTICS.ML_SCORING_FEATURES WHERE hash(flight_id) % 5 = 0")
    run_scoring(settings, mode="local", run_id="second")


def test_streamed_merges_publish_what_one_merge_at_the_end_does(
    champion_template, make_settings, tmp_path, merges, monkeypatch
):
    homes = {}
    for name in ("streamed", "at_end"):
        homes[name] = tmp_path / name
        shutil.copytree(champion_template, homes[name], ignore=shutil.ignore_patterns("*.lock"))
    streamed = make_settings(homes["streamed"], scoring_chunk_rows=250)
    two_runs(streamed)
    assert len(merges) > 4 and max(merges) < sum(merges) / 4  # many MERGEs per run

    monkeypatch.setattr(batch, "open_publisher", _publish.AtEndPublisher)  # today's one MERGE
    at_end = make_settings(homes["at_end"], scoring_chunk_rows=250)
    count = len(merges)
    two_runs(at_end)
    assert len(merges) == count  # no streamed MERGE in this arm

    expected, got = published(at_end), published(streamed)
    assert got.num_rows == expected.num_rows > 1000
    assert got.drop_columns(["scored_at"]).equals(expected.drop_columns(["scored_at"]))
    runs = pa.compute.value_counts(got["run_id"]).to_pylist()
    assert {r["values"] for r in runs} == {"first", "second"}  # flights off sale kept run 1


def test_a_run_failing_after_streamed_merges_publishes_nothing(
    champion_home, make_settings, merges, monkeypatch
):
    settings = make_settings(champion_home, scoring_chunk_rows=250)
    run_scoring(settings, mode="local", run_id="first")
    before = published(settings)
    first_merges = len(merges)

    price = _scorers.LocalScorer.price
    calls: list[int] = []

    def failing(self, rows: pa.Table) -> pa.Table:
        calls.append(rows.num_rows)
        if len(calls) == 12:
            raise RuntimeError("pricing broke mid-run")
        return price(self, rows)

    monkeypatch.setattr(_scorers.LocalScorer, "price", failing)
    urgent = PricingParams(urgency_window_days=90, max_urgency_adjustment=0.6)
    with pytest.raises(ScoringError, match="pricing broke"):
        run_scoring(settings.model_copy(update={"pricing": urgent}), mode="local", run_id="x")

    assert len(merges) - first_merges >= 3  # batches were MERGEd before the failure
    assert published(settings).equals(before)  # ... and rolled back
    with open_warehouse(settings, read_only=True) as wh:
        runs = wh.query_df(f"SELECT DISTINCT run_id FROM {HISTORY}")["run_id"].tolist()
        log = wh.query_df("SELECT run_id, status FROM ML_PREDICTIONS.SCORING_LOG ORDER BY 1")
    assert runs == ["first"]
    assert log.values.tolist() == [["first", "success"], ["x", "failed"]]
