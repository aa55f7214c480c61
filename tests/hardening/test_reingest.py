"""Proof 1: the same files ingested five times, and the same bytes under new names, leave
one copy of each row in the marts."""

from __future__ import annotations

from datetime import date

import pytest

from flightprice.ingest.load import load_raw_files
from flightprice.project import init_project
from flightprice.store import open_store
from flightprice.synth.generate import generate_market
from flightprice.transform.dbt import run_dbt
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow


def counts(wh, marts: bool = False) -> dict[str, int]:
    sql = {
        "raw_fares": "SELECT count(*) FROM RAW.FARES",
        "raw_quotes": "SELECT count(DISTINCT quote_id) FROM RAW.FARES",
        "raw_schedules": "SELECT count(*) FROM RAW.SCHEDULES",
        "fct_fares": "SELECT count(*) FROM ANALYTICS.FCT_FARE_OBSERVATION",
        "fct_quotes": "SELECT count(DISTINCT quote_id) FROM ANALYTICS.FCT_FARE_OBSERVATION",
    }
    return {
        name: wh.query_arrow(q).column(0)[0].as_py()
        for name, q in sql.items()
        if marts or not name.startswith("fct")
    }


def test_reingest_and_renamed_copies_leave_one_copy_of_each_row(settings):
    init_project(settings)
    store = open_store(settings)
    generate_market(store, start=date(2026, 9, 1), days=3, routes=3, seed=5)
    with open_warehouse(settings) as wh:
        first = load_raw_files(store, wh)
        once = counts(wh)
        for _ in range(4):
            again = load_raw_files(store, wh)
            assert again.loaded == [] and again.quarantined == [] and again.failed == []
        assert counts(wh) == once
        for key in store.list("raw-data/"):  # the same bytes delivered under new names
            folder, name = key.rsplit("/", 1)
            store.write_bytes(f"{folder}/redelivered_{name}", store.read_bytes(key))
        renamed = load_raw_files(store, wh)
    assert len(renamed.loaded) == len(first.loaded)  # another key is another delivery ...
    assert run_dbt(settings, ["build"]).success
    with open_warehouse(settings, read_only=True) as wh:
        after = counts(wh, marts=True)
    assert after["raw_fares"] == 2 * once["raw_fares"]  # ... kept in RAW as delivered ...
    assert after["raw_quotes"] == once["raw_quotes"] == once["raw_fares"]
    assert after["fct_fares"] == after["fct_quotes"] == once["raw_quotes"]  # ... once in marts
