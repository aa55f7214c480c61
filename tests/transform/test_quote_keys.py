"""int_fares_deduplicated finds a new quote's stored version by its integer quote_key.

The key probe (dbt/macros/quote_keys.sql) joins hash(quote_id) to the stored quote_key, then
compares quote_id: a key shared by two quote ids must not replace the wrong quote, a table
built before the column must gain it (keys back-filled) without a full refresh and still
replace a re-delivered quote, and the singular test must fail when stored keys are no
longer those the engine computes (an engine upgrade that changed hash()).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytestmark = pytest.mark.slow

# Only the fares' de-duplication and its parents: the probe is that model's.
BUILD = ("build", "--select", "+int_fares_deduplicated", "--exclude-resource-type", "test",
         "--exclude-resource-type", "unit_test", "--vars", json.dumps({"lookback_hours": 6}))  # fmt: skip
GUARD = ("test", "--select", "int_fares_deduplicated_quote_keys_are_current")
TABLE = "STAGING.int_fares_deduplicated"


def _execute(path: Path, sql: str, params: list[Any] | None = None) -> None:
    conn = duckdb.connect(str(path))
    try:
        conn.execute(sql, params or [])
    finally:
        conn.close()


def _deliver(path: Path, fares: list[dict[str, Any]]) -> None:
    """Insert fares as one file loaded at 2026-09-11 06:00, after the fixture's load."""
    for fare in fares:
        row = {**fare, "_loaded_at": "2026-09-11 06:00:00",
               "_source_file": "raw-data/fares/2026-09-11/resent.csv"}  # fmt: skip
        names, marks = ", ".join(row), ", ".join("?" for _ in row)
        _execute(path, f"insert into RAW.FARES ({names}) values ({marks})", list(row.values()))


@pytest.fixture
def built(tmp_path, raw_fixture, invoke_dbt) -> Path:
    """The fixture's warehouse, built once (a full build)."""
    path = raw_fixture.create(tmp_path / "wh.duckdb")
    assert invoke_dbt(path, *BUILD).success
    return path


def test_a_shared_key_replaces_only_the_same_quote_id(built, raw_fixture, invoke_dbt, query_rows):
    # q01's stored key made equal to that of a new quote id: the probe keeps q01 as a
    # candidate, and only the quote_id comparison tells them apart.
    _execute(built, f"update {TABLE} set quote_key = hash('q90') where quote_id = 'q01'")
    q01 = next(f for f in raw_fixture.fares() if f["quote_id"] == "q01")
    _deliver(built, [{**q01, "quote_id": "q90", "price": 999.0}])
    assert invoke_dbt(built, *BUILD).success
    rows = query_rows(built, f"select quote_id, price_local, source_file from {TABLE} "
                             "where quote_id in ('q01', 'q90') order by quote_id")  # fmt: skip
    assert [(r["quote_id"], r["price_local"]) for r in rows] == [("q01", 200.0), ("q90", 999.0)]
    assert rows[0]["source_file"] == "raw-data/fares/2026-08-28/fares.csv"


def test_a_table_built_before_the_key_gains_it_and_still_replaces_a_redelivery(
    built, raw_fixture, invoke_dbt, query_rows
):
    # As built before this column existed (on_schema_change appends it on the next run).
    _execute(built, f"alter table {TABLE} drop column quote_key")
    q03 = next(f for f in raw_fixture.fares() if f["quote_id"] == "q03")
    _deliver(built, [{**q03, "price": 310.0}])
    assert invoke_dbt(built, *BUILD).success
    q03_rows = query_rows(built, f"select price_local, source_file from {TABLE} "
                                 "where quote_id = 'q03'")  # fmt: skip
    assert q03_rows == [{"price_local": 310.0,
                         "source_file": "raw-data/fares/2026-09-11/resent.csv"}]  # fmt: skip
    # Every stored row got its key (the post-hook), the engine's hash of its quote_id.
    unkeyed = query_rows(built, f"select count(*) as n from {TABLE} "
                                "where quote_key is distinct from hash(quote_id)")  # fmt: skip
    assert unkeyed == [{"n": 0}]
    # The next re-delivery is found through the back-filled key.
    _execute(built, "update RAW.FARES set _loaded_at = '2026-09-12 06:00:00', price = 320.0 "
                    "where _source_file like '%/resent.csv'")  # fmt: skip
    assert invoke_dbt(built, *BUILD).success
    assert query_rows(built, f"select price_local from {TABLE} where quote_id = 'q03'") == [
        {"price_local": 320.0}
    ]


def test_the_guard_fails_when_stored_keys_are_not_the_engines(built, invoke_dbt):
    assert invoke_dbt(built, *GUARD).success
    # What an engine whose hash() changed would see: stored keys it no longer computes.
    _execute(built, f"update {TABLE} set quote_key = xor(quote_key, 1)")
    assert not invoke_dbt(built, *GUARD).success
