"""DuckDB updates a run's prices as its history is appended, in a transaction left open until the
run's SCORING_LOG row: readers see the whole run or nothing, a failed run publishes nothing."""

from __future__ import annotations

import functools

import pandas as pd
import pytest

from flightprice.score import batch
from flightprice.score._history import HistoryWriter
from flightprice.score._publish import StreamedPublish
from flightprice.score.batch import ScoringError, run_scoring
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow

PRICES = "ML_PREDICTIONS.FLIGHT_PRICES"
HISTORY = "ML_PREDICTIONS.PRICE_HISTORY"
ORDER = "order by flight_id, cabin"


def prices(wh) -> pd.DataFrame:
    return wh.query_df(f"select * from {PRICES} {ORDER}")


class Recorded(StreamedPublish):
    """The real publisher, keeping each append it streamed."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.appends: list[int] = []
        RUNS.append(self)

    def appended(self, history) -> None:
        super().appended(history)
        if self.streaming:
            self.appends.append(history.num_rows)


RUNS: list[Recorded] = []


@pytest.fixture
def streamed(champion_home, make_settings, monkeypatch):
    """A published first run; later runs append 600 history rows at a time (several per run)."""
    settings = make_settings(champion_home, scoring_chunk_rows=300)
    run_scoring(settings, mode="local", run_id="first")
    monkeypatch.setattr(batch, "HistoryWriter", functools.partial(HistoryWriter, append_rows=600))
    RUNS.clear()
    return settings


@pytest.mark.parametrize(
    ("budgets", "all_streamed"),
    [
        ({}, True),  # the defaults: every append published as it is committed
        ({"stream_rows": 1_300}, False),  # two appends streamed, then rolled back: at the end
        ({"stream_new_rows": 10}, False),  # more new flights than that: at the end
    ],
)
def test_streamed_publish_prices_the_run_with_new_and_off_sale_flights(
    streamed, monkeypatch, budgets, all_streamed
):
    settings = streamed
    monkeypatch.setattr(batch, "StreamedPublish", functools.partial(Recorded, **budgets))
    with open_warehouse(settings) as wh:
        # 50 flights new to FLIGHT_PRICES (the run inserts them), one no longer on sale (kept).
        wh.execute(f"delete from {PRICES} where flight_id in "
                   f"(select distinct flight_id from {PRICES} order by flight_id limit 50)")  # fmt: skip
        wh.execute(f"insert into {PRICES} select * replace ('OFF-1' as flight_id) "
                   f"from {PRICES} {ORDER} limit 1")  # fmt: skip
        on_sale = wh.query_df("select count(*) as n from ANALYTICS.ML_SCORING_FEATURES")["n"][0]

    report = run_scoring(settings, mode="local", run_id="second")

    with open_warehouse(settings, read_only=True) as wh:
        published = prices(wh)
        history = wh.query_df(f"select * from {HISTORY} where run_id = 'second' {ORDER}")
    (run,) = RUNS
    assert report.rows == on_sale == len(history)
    assert run.streaming is all_streamed
    if all_streamed:
        assert sum(run.appends) == on_sale and len(run.appends) >= 6
    else:
        assert sum(run.appends) < on_sale
    assert published[published["flight_id"] != "OFF-1"].reset_index(drop=True).equals(history)
    assert published["flight_id"].tolist().count("OFF-1") == 1


def test_readers_see_no_streamed_update_and_a_failed_run_publishes_nothing(streamed, monkeypatch):
    settings = streamed
    monkeypatch.setattr(batch, "StreamedPublish", Recorded)
    with open_warehouse(settings, read_only=True) as wh:
        before = prices(wh)
    seen: list[pd.DataFrame] = []
    opened, connected, handle = batch.open_scorer, batch.open_warehouse, []

    def watched(*args, **kwargs):
        warehouse = connected(*args, **kwargs)
        handle.append(warehouse)
        return warehouse

    def failing_scorer(*args, **kwargs):
        scorer = opened(*args, **kwargs)
        price, calls = scorer.price, []

        def price_then_fail(rows):
            calls.append(rows.num_rows)
            if len(calls) == 4:  # chunks 1-2 appended and their updates streamed (see _priced)
                reader = handle[-1].con.cursor()  # a connection outside the open transaction
                seen.append(reader.sql(f"select * from {PRICES} {ORDER}").df())
                seen.append(len(RUNS[-1].appends))
                reader.close()
                raise RuntimeError("the model server went away")
            return price(rows)

        scorer.price = price_then_fail
        return scorer

    monkeypatch.setattr(batch, "open_scorer", failing_scorer)
    monkeypatch.setattr(batch, "open_warehouse", watched)
    with pytest.raises(ScoringError, match="went away"):
        run_scoring(settings, mode="local", run_id="second")

    with open_warehouse(settings, read_only=True) as wh:
        after = prices(wh)
        log = wh.query_df("select run_id, status from ML_PREDICTIONS.SCORING_LOG")
        left = wh.query_df(f"select count(*) as n from {HISTORY} where run_id = 'second'")["n"][0]
    assert seen[1] == 1  # one append's updates streamed when the reader looked
    assert seen[0].equals(before)  # yet it saw the first run only
    assert after.equals(before) and (after["run_id"] == "first").all()
    assert log.values.tolist() == [["first", "success"], ["second", "failed"]] and left == 0
