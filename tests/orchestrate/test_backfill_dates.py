"""What a backfill date sees: the raw files delivered by then (a real DuckDB file and lake)."""

from __future__ import annotations

from datetime import date

from flightprice.ingest.load import discover_new_files
from flightprice.project import init_project
from flightprice.store import open_store
from flightprice.synth.generate import generate_market
from flightprice.warehouse import open_warehouse


def test_as_of_leaves_later_deliveries_for_later_runs(settings):
    init_project(settings)
    generate_market(open_store(settings), start=date(2026, 9, 1), days=3, routes=1, seed=3)
    with open_warehouse(settings) as wh:
        every = discover_new_files(open_store(settings), wh)
        by_the_2nd = discover_new_files(open_store(settings), wh, as_of=date(2026, 9, 2))
    assert {f.delivery_date for f in every} == {date(2026, 9, d) for d in (1, 2, 3)}
    assert {f.delivery_date for f in by_the_2nd} == {date(2026, 9, 1), date(2026, 9, 2)}
    assert len(by_the_2nd) == len(every) * 2 // 3
