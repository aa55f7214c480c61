"""A schedule feed re-publishing every flight daily costs the fare fact only the changed flights.

The RAW fixture of conftest.py is built, then its whole schedule is delivered again three
times, each followed by an incremental `dbt build` (as a real feed, and the generator's
default `schedules="full"`, do): day 2 unchanged; day 3 with AA100 economy's capacity
changed, LH400 (quoted before it had a schedule) published for the first time and BA200
re-timed within its day with another capacity; day 4 with BA200 back at its first time. Only
the quotes of flights whose capacity changed are written again, and a copy rebuilt with
`--full-refresh` holds the same rows.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytestmark = pytest.mark.slow

BUILD = ("build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
DBT_VARS = ("--vars", json.dumps({"lookback_hours": 6}))
COMPARED = (
    "STAGING.int_schedules_deduplicated", "ANALYTICS.dim_flight",
    "ANALYTICS.fct_fare_observation", "ANALYTICS.fct_flight_daily",
    "ANALYTICS.ml_training_features", "ANALYTICS.ml_demand_history",
)  # fmt: skip
LH400 = {"carrier": "LH", "flight_number": "400", "origin": "FRA", "destination": "JFK",
         "departure_at": "2026-09-11 12:00:00", "arrival_at": "2026-09-11 20:30:00",
         "cabin": "economy", "stops": 0, "capacity": 250}  # fmt: skip


def _deliver(path: Path, schedules: list[dict[str, Any]], day: str) -> None:
    """Insert a whole schedule publication, loaded at 06:00 of `day`."""
    conn = duckdb.connect(str(path))
    try:
        for row in schedules:
            row = {**row, "_loaded_at": f"{day} 06:00:00",
                   "_source_file": f"raw-data/schedules/{day}/schedules.csv"}  # fmt: skip
            names, marks = ", ".join(row), ", ".join("?" for _ in row)
            conn.execute(
                f"INSERT INTO RAW.SCHEDULES ({names}) VALUES ({marks})", list(row.values())
            )
    finally:
        conn.close()


@pytest.fixture(scope="module")
def daily_runs(tmp_path_factory, raw_fixture, invoke_dbt, query_rows):
    """Build the fixture, then re-deliver the schedule on days 2-4: (path, fact rows by day)."""
    path = raw_fixture.create(tmp_path_factory.mktemp("republished") / "wh.duckdb")

    def build() -> dict[str, dict[str, Any]]:
        result = invoke_dbt(path, *BUILD, *DBT_VARS)
        assert result.success, [(r.node.name, r.message) for r in result.result.results
                                if r.status not in ("success", "pass")]  # fmt: skip
        rows = query_rows(path, "select quote_id, flight_id, cabin, capacity_seats, load_factor, "
                                "transformed_at from ANALYTICS.fct_fare_observation")  # fmt: skip
        return {r["quote_id"]: r for r in rows}

    def legs_written() -> int:
        return query_rows(path, "select count(*) as n from STAGING.int_schedules_deduplicated "
                                "where transformed_at = (select max(transformed_at) "
                                "from STAGING.int_schedules_deduplicated)")[0]["n"]  # fmt: skip

    # The fixture's current publication (its superseded AA100 row left out, as a feed would).
    published = [s for s in raw_fixture.schedules() if "_loaded_at" not in s]
    facts = {"day1": build()}
    _deliver(path, published, "2026-09-11")
    facts["day2"] = build()
    facts["legs_written_day2"] = legs_written()
    changed = [
        {**s, "capacity": 180} if (s["flight_number"], s["cabin"]) == ("100", "economy")
        else {**s, "departure_at": "2026-09-10 19:30:00", "arrival_at": "2026-09-10 22:30:00",
              "capacity": 210} if s["flight_number"] == "200"
        else s
        for s in published
    ]  # fmt: skip
    _deliver(path, [*changed, LH400], "2026-09-12")
    facts["day3"] = build()
    # BA200 back at 18:30: that leg's own capacity did not change, its flight's did.
    back = [s if s["flight_number"] == "200" else c for s, c in zip(published, changed)]
    _deliver(path, [*back, LH400], "2026-09-13")
    facts["day4"] = build()
    return path, facts


@pytest.fixture(scope="module")
def rebuilt(daily_runs, invoke_dbt, tmp_path_factory):
    """A copy of the same warehouse rebuilt from all history."""
    copy = tmp_path_factory.mktemp("republished-rebuilt") / "wh.duckdb"
    shutil.copy(daily_runs[0], copy)
    assert invoke_dbt(copy, *BUILD, *DBT_VARS, "--full-refresh").success
    return copy


def _rewritten(facts: dict, before: str, after: str) -> set[tuple[str, str]]:
    """The flights and cabins whose fact rows the `after` build wrote again."""
    return {
        (row["flight_id"], row["cabin"])
        for quote_id, row in facts[after].items()
        if row["transformed_at"] != facts[before][quote_id]["transformed_at"]
    }


def test_an_unchanged_republication_rewrites_no_fact_row(daily_runs):
    _, facts = daily_runs
    # Every leg was written again (a new publication of each): only the fact skipped them.
    assert facts["legs_written_day2"] == 5
    assert facts["day2"].keys() == facts["day1"].keys()
    assert _rewritten(facts, "day1", "day2") == set()


def test_a_changed_capacity_rewrites_that_flights_quotes(daily_runs):
    _, facts = daily_runs
    assert _rewritten(facts, "day2", "day3") == {
        ("AA100-20260912", "economy"),  # capacity 150 -> 180
        ("AA100-20260912", "business"),  # the same flight: re-read per flight, not per cabin
        ("LH400-20260911", "economy"),  # first published: quoted with no capacity before
        ("BA200-20260910", "economy"),  # re-timed leg, 210 seats
    }
    q03, q16, q13 = facts["day3"]["q03"], facts["day3"]["q16"], facts["day3"]["q13"]
    assert (q03["capacity_seats"], q03["load_factor"]) == (180, pytest.approx(1 - 120 / 180))
    assert (q16["capacity_seats"], q16["load_factor"]) == (250, pytest.approx(1 - 30 / 250))
    assert q13["capacity_seats"] == 210
    assert facts["day3"]["q11"]["capacity_seats"] == 20  # AA100 business, unchanged
    # Day 4: only BA200, whose flight took its first leg's 200 seats back.
    assert _rewritten(facts, "day3", "day4") == {("BA200-20260910", "economy")}
    assert facts["day4"]["q13"]["capacity_seats"] == 200


@pytest.mark.parametrize("table", COMPARED)
def test_republished_runs_equal_a_full_refresh(daily_runs, rebuilt, table, content_rows):
    incremental = content_rows(daily_runs[0], table)
    assert incremental, table
    assert incremental == content_rows(rebuilt, table)


def test_a_table_built_before_the_stamp_gains_it_without_a_full_refresh(
    tmp_path, raw_fixture, invoke_dbt, query_rows
):
    path = raw_fixture.create(tmp_path / "wh.duckdb")
    assert invoke_dbt(path, *BUILD, *DBT_VARS).success
    # As built before this column existed (on_schema_change appends it on the next run).
    conn = duckdb.connect(str(path))
    try:
        conn.execute(
            "alter table STAGING.int_schedules_deduplicated drop column capacity_changed_at"
        )
    finally:
        conn.close()
    published = [s for s in raw_fixture.schedules() if "_loaded_at" not in s]
    _deliver(path, [{**s, "capacity": s["capacity"] + 1} for s in published[:1]] + published[1:],
             "2026-09-11")  # fmt: skip
    assert invoke_dbt(path, *BUILD, *DBT_VARS).success
    stamps = query_rows(path, "select flight_id, cabin, capacity_changed_at, transformed_at "
                              "from STAGING.int_schedules_deduplicated")  # fmt: skip
    changed = {(r["flight_id"], r["cabin"]) for r in stamps
               if r["capacity_changed_at"] == r["transformed_at"]}  # fmt: skip
    assert changed == {("AA100-20260912", "economy")}
    fact = query_rows(path, "select capacity_seats from ANALYTICS.fct_fare_observation "
                            "where quote_id = 'q03'")  # fmt: skip
    assert fact == [{"capacity_seats": 151}]
