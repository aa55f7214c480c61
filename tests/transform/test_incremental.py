"""Incremental dbt runs day after day give exactly the tables of one rebuild from all history.

The RAW fixture of conftest.py arrives in three deliveries, each followed by an incremental
`dbt build`; the third brings a late file stamped inside the lookback window (loaded after
the second run, stamped before its latest load), a re-delivered duplicate of a quote, a
quote re-delivered as observed a day later, a re-published schedule that changes a cabin's
capacity and a currency rate that re-prices a stored fare. A copy of the file is then rebuilt with `--full-refresh` and every
incremental table must hold the same rows (transformed_at and earliest_version_at aside: they
say when a row and its quote's first version were written, which is what differs).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytestmark = pytest.mark.slow

# Each incremental build skips the data tests: test_dbt_project.py runs them on the same SQL.
BUILD = ("build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
LOOKBACK_HOURS = 6
COMPARED = (
    "STAGING.int_fares_deduplicated", "STAGING.int_schedules_deduplicated",
    "STAGING.int_flight_latest_quotes",
    "ANALYTICS.dim_airport", "ANALYTICS.dim_carrier", "ANALYTICS.dim_date",
    "ANALYTICS.dim_flight", "ANALYTICS.dim_route", "ANALYTICS.fct_fare_observation",
    "ANALYTICS.fct_flight_daily", "ANALYTICS.ml_training_features",
    "ANALYTICS.ml_scoring_features", "ANALYTICS.ml_demand_history",
)  # fmt: skip


def _insert(path: Path, table: str, rows: list[dict[str, Any]]) -> None:
    conn = duckdb.connect(str(path))
    try:
        for row in rows:
            names = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(row.values()))
    finally:
        conn.close()


def _fares(fixture_fares: list[dict[str, Any]], first: str, last: str, loaded_at: str) -> list:
    return [
        {"_source_file": f"raw-data/fares/{f['observed_at'][:10]}/fares.csv",
         "_loaded_at": loaded_at, **f}
        for f in fixture_fares
        if first <= f["observed_at"][:10] <= last and "_loaded_at" not in f
    ]  # fmt: skip


@pytest.fixture(scope="module")
def daily_runs(tmp_path_factory, raw_fixture, invoke_dbt, query_rows):
    """Three deliveries with an incremental build after each: (path, query results)."""
    path = raw_fixture.create(tmp_path_factory.mktemp("incremental") / "wh.duckdb", fares=[])
    fares = raw_fixture.fares()
    dbt_vars = ("--vars", json.dumps({"lookback_hours": LOOKBACK_HOURS}))

    def build() -> None:
        result = invoke_dbt(path, *BUILD, *dbt_vars)
        assert result.success, [(r.node.name, r.message) for r in result.result.results
                                if r.status not in ("success", "pass")]  # fmt: skip

    # Day 1: the fixture's schedules (loaded 2026-09-10) and the fares up to 2026-09-03.
    _insert(path, "RAW.FARES", _fares(fares, "2026-08-01", "2026-09-03", "2026-09-10 06:00:00"))
    build()
    # Day 2: the fares of 2026-09-04 to 2026-09-07 (q14's early delivery among them).
    early_q14 = next(f for f in fares if "_loaded_at" in f)
    q12 = next(f for f in fares if f["quote_id"] == "q12")
    _insert(path, "RAW.FARES", [
        *_fares(fares, "2026-09-04", "2026-09-07", "2026-09-11 06:00:00"),
        {**early_q14, "_loaded_at": "2026-09-11 05:00:00"},
        # q21: an hour before q12 on the same day, so not AA100 business's latest quote yet.
        {**q12, "quote_id": "q21", "observed_at": "2026-09-06 08:00:00", "price": 1250.0,
         "_loaded_at": "2026-09-11 06:00:00", "_source_file": "raw-data/fares/2026-09-06/f.csv"},
    ])  # fmt: skip
    build()
    untouched = query_rows(path, "select transformed_at from STAGING.int_fares_deduplicated "
                                 "where quote_id = 'q01'")[0]["transformed_at"]  # fmt: skip
    # Day 3: the rest, plus what an incremental run most easily gets wrong.
    q03 = next(f for f in fares if f["quote_id"] == "q03")
    q05 = next(f for f in fares if f["quote_id"] == "q05")
    _insert(path, "RAW.FARES", [
        *_fares(fares, "2026-09-08", "2026-09-30", "2026-09-12 06:00:00"),
        # Late: another quote of 2026-09-01, stamped 2 hours before day 2's latest load and
        # inserted after day 2's run: only the lookback window brings it in.
        {**q03, "quote_id": "q20", "price": 333.0, "_loaded_at": "2026-09-11 04:00:00",
         "_source_file": "raw-data/fares/2026-09-01/late.csv"},
        # Re-delivered: q03 again, the same quote in another file.
        {**q03, "_loaded_at": "2026-09-12 06:00:00",
         "_source_file": "raw-data/fares/2026-09-01/resent.csv"},
        # Re-delivered a day later: q05, AA102 economy's only quote of 2026-09-02, so that
        # day's fct_flight_daily row must go and ml_demand_history's day be rebuilt.
        {**q05, "observed_at": "2026-09-03 12:00:00", "_loaded_at": "2026-09-12 06:00:00",
         "_source_file": "raw-data/fares/2026-09-03/resent.csv"},
        # Re-delivered earlier: q12, AA100 business's latest quote after day 2, corrected to
        # before q21, which becomes the latest (int_flight_latest_quotes ranks it again).
        {**q12, "observed_at": "2026-09-06 07:00:00", "_loaded_at": "2026-09-12 06:00:00",
         "_source_file": "raw-data/fares/2026-09-06/resent.csv"},
    ])  # fmt: skip
    economy = next(s for s in raw_fixture.schedules() if s["cabin"] == "economy")
    _insert(
        path,
        "RAW.SCHEDULES",
        [
            {
                **economy,
                "capacity": 180,
                "_loaded_at": "2026-09-12 06:00:00",
                "_source_file": "raw-data/schedules/2026-09-12/s.csv",
            }
        ],
    )
    # EUR from 2026-09-07: re-prices q16 (EUR, observed 2026-09-07), stored on day 2.
    _insert(
        path,
        "RAW.CURRENCY_RATES",
        [
            {
                "date": "2026-09-07",
                "currency": "EUR",
                "rate_to_usd": 1.5,
                "_loaded_at": "2026-09-12 06:00:00",
                "_source_file": "raw-data/currency_rates/r.csv",
            }
        ],
    )
    build()
    return path, untouched


@pytest.fixture(scope="module")
def rebuilt(daily_runs, invoke_dbt, tmp_path_factory):
    """A copy of the same warehouse rebuilt from all history."""
    copy = tmp_path_factory.mktemp("rebuilt") / "wh.duckdb"
    shutil.copy(daily_runs[0], copy)
    result = invoke_dbt(copy, *BUILD, "--full-refresh")
    assert result.success
    return copy


@pytest.mark.parametrize("table", COMPARED)
def test_incremental_runs_equal_a_full_refresh(daily_runs, rebuilt, table, content_rows):
    incremental = content_rows(daily_runs[0], table)
    assert incremental, table
    assert incremental == content_rows(rebuilt, table)


def test_incremental_runs_caught_the_late_the_resent_and_the_repriced(daily_runs, query_rows):
    path, _ = daily_runs
    fares = {r["quote_id"]: r for r in query_rows(
        path, "select quote_id, price_usd, capacity_seats "
              "from ANALYTICS.fct_fare_observation")}  # fmt: skip
    assert fares["q20"]["price_usd"] == 333.0  # the late file, stamped inside the lookback
    assert fares["q16"]["price_usd"] == pytest.approx(500.0 * 1.5)  # the new EUR rate
    assert fares["q03"]["capacity_seats"] == 180  # the re-published schedule
    kept = query_rows(path, "select source_file from STAGING.int_fares_deduplicated "
                            "where quote_id = 'q03'")  # fmt: skip
    assert kept == [{"source_file": "raw-data/fares/2026-09-01/resent.csv"}]
    daily = query_rows(path, "select quote_count from ANALYTICS.fct_flight_daily "
                             "where flight_id = 'AA100-20260912' and cabin = 'economy' "
                             "and observation_date = '2026-09-01'")  # fmt: skip
    assert daily == [{"quote_count": 2}]  # q03 once (not its re-delivery) and the late q20
    latest = query_rows(path, "select quote_id from STAGING.int_flight_latest_quotes "
                              "where flight_id = 'AA100-20260912' and cabin = 'business'")  # fmt: skip
    assert latest == [{"quote_id": "q21"}]  # q12 was re-delivered before it
    moved = query_rows(path, "select observation_date from ANALYTICS.fct_flight_daily "
                             "where flight_id = 'AA102-20260904' and cabin = 'economy' "
                             "and observation_date in ('2026-09-02', '2026-09-03')")  # fmt: skip
    assert [str(r["observation_date"]) for r in moved] == ["2026-09-03"]  # q05 moved day


def test_incremental_runs_leave_rows_they_do_not_need_alone(daily_runs, rebuilt, query_rows):
    path, untouched = daily_runs
    kept = query_rows(path, "select quote_id, transformed_at from STAGING.int_fares_deduplicated")
    by_quote = {r["quote_id"]: r["transformed_at"] for r in kept}
    assert by_quote["q01"] == untouched  # delivered on day 1, never touched again
    assert by_quote["q03"] > untouched  # re-delivered on day 3: written again
    assert len(set(by_quote.values())) == 3  # one write per run
    refreshed = query_rows(rebuilt, "select count(distinct transformed_at) as n "
                                    "from STAGING.int_fares_deduplicated")  # fmt: skip
    assert refreshed == [{"n": 1}]


def test_one_not_null_node_per_table_still_checks_every_column(rebuilt, invoke_dbt, tmp_path):
    broken = tmp_path / "wh.duckdb"
    shutil.copy(rebuilt, broken)
    conn = duckdb.connect(str(broken))
    try:
        conn.execute("update ANALYTICS.ml_training_features set carrier = null, stops = null "
                     "where quote_id = 'q01'")  # fmt: skip
    finally:
        conn.close()
    result = invoke_dbt(broken, "test", "--select", "ml_training_features_not_null")
    [test] = result.result.results
    assert str(test.status) == "fail" and test.failures == 2  # one row per null column


RELATIONSHIP = "ml_training_features_quotes_are_fare_observations"


def _relationship_failures(invoke_dbt, path: Path) -> int:
    result = invoke_dbt(path, "test", "--select", RELATIONSHIP)
    [test] = result.result.results
    return 0 if str(test.status) == "pass" else test.failures


def _delete_fare_observations(path: Path, quote_ids: list[str]) -> None:
    conn = duckdb.connect(str(path))
    try:
        conn.execute("delete from ANALYTICS.fct_fare_observation where list_contains(?, quote_id)",
                     [quote_ids])  # fmt: skip
    finally:
        conn.close()


def test_scoped_relationship_reads_the_fact_rows_the_latest_build_could_read(
    daily_runs, raw_fixture, invoke_dbt, tmp_path
):
    path = tmp_path / "wh.duckdb"
    shutil.copy(daily_runs[0], path)
    q03 = next(f for f in raw_fixture.fares() if f["quote_id"] == "q03")
    dbt_vars = ("--vars", json.dumps({"lookback_hours": LOOKBACK_HOURS}))
    # q30 reaches the fact in a run that leaves the training features alone; q31 comes with
    # the next full run, so the features' latest build holds quotes of two fact builds.
    for quote_id, loaded_at, select in (("q30", "2026-09-13 06:00:00", "+fct_fare_observation"),
                                        ("q31", "2026-09-14 06:00:00", "*")):  # fmt: skip
        _insert(path, "RAW.FARES", [{**q03, "quote_id": quote_id, "_loaded_at": loaded_at,
                                     "_source_file": f"raw-data/fares/2026-09-01/{quote_id}.csv"}])  # fmt: skip
        assert invoke_dbt(path, "run", "--select", select, *dbt_vars).success
    assert _relationship_failures(invoke_dbt, path) == 0
    # q01 was checked by day 1's run and is not read again; q30 of the latest build is caught.
    _delete_fare_observations(path, ["q01", "q30"])
    assert _relationship_failures(invoke_dbt, path) == 1


def test_scoped_relationship_reads_the_whole_fact_after_a_full_refresh(
    rebuilt, invoke_dbt, tmp_path
):
    path = tmp_path / "wh.duckdb"
    shutil.copy(rebuilt, path)
    assert _relationship_failures(invoke_dbt, path) == 0
    _delete_fare_observations(path, ["q01"])
    assert _relationship_failures(invoke_dbt, path) == 1


def test_a_quote_moved_twice_between_fact_builds_or_after_a_rebuild_leaves_one_row(
    daily_runs, raw_fixture, invoke_dbt, query_rows, content_rows, tmp_path
):
    # The fact's delete reads only rows written since a quote's earliest version
    # (macros/replaced_versions.sql): that must hold when int_fares_deduplicated wrote the
    # quote twice since the fact's last build, and when it was rebuilt alone (stamp unknown).
    path = tmp_path / "wh.duckdb"
    shutil.copy(daily_runs[0], path)
    dbt_vars = ("--vars", json.dumps({"lookback_hours": LOOKBACK_HOURS}))
    q21 = {**next(f for f in raw_fixture.fares() if f["quote_id"] == "q12"), "quote_id": "q21"}
    int_only = ("run", "--select", "int_fares_deduplicated")
    # (observed_at of a new delivery of q21 or None, loaded on, the dbt command)
    moves = (("2026-09-05 08:00:00", "2026-09-13", int_only),
             ("2026-09-04 08:00:00", "2026-09-14", int_only),
             (None, None, BUILD),
             (None, None, (*int_only, "--full-refresh")),
             ("2026-09-03 08:00:00", "2026-09-15", BUILD))  # fmt: skip
    for observed_at, loaded_on, command in moves:
        if observed_at:
            _insert(path, "RAW.FARES", [{**q21, "observed_at": observed_at,
                                         "_loaded_at": f"{loaded_on} 06:00:00",
                                         "_source_file": f"raw-data/fares/{loaded_on}/q21.csv"}])  # fmt: skip
        assert invoke_dbt(path, *command, *dbt_vars).success
    rows = query_rows(path, "select observation_date from ANALYTICS.fct_fare_observation "
                            "where quote_id = 'q21'")  # fmt: skip
    assert [str(r["observation_date"]) for r in rows] == ["2026-09-03"]
    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copy(path, rebuilt)
    assert invoke_dbt(rebuilt, *BUILD, "--full-refresh", *dbt_vars).success
    for table in ("ANALYTICS.fct_fare_observation", "ANALYTICS.fct_flight_daily",
                  "ANALYTICS.ml_demand_history"):  # fmt: skip
        assert content_rows(path, table) == content_rows(rebuilt, table), table
    # Every reader has re-aggregated the days vacated before the last run: pruned.
    vacated = query_rows(path, "select count(distinct vacated_at) as n "
                               "from STAGING.DBT_VACATED_DAYS")  # fmt: skip
    assert vacated == [{"n": 1}]
