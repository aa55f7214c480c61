"""Build the real dbt project on a hand-made RAW fixture and check its tables and tests.

Expected values are worked out by hand from the fixture in conftest.py (currency rates from
the seed: EUR 1.08, GBP 1.27), not recomputed with the models' own logic. Model features of
the `ml_` rows are derived as training and scoring derive them (`features`), then checked.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from flightprice.features import derive_request_features
from flightprice.transform.dbt import DBT_STEPS

pytestmark = pytest.mark.slow

# Request columns, keys and the target: model features are derived from them in Python.
TRAINING_COLUMNS = [
    "quote_id",
    "observed_at",
    "flight_id",
    "carrier",
    "flight_number",
    "origin",
    "destination",
    "cabin",
    "stops",
    "duration_minutes",
    "departure_at",
    "capacity",
    "seats_remaining",
    "price_usd",
]
SCORING_COLUMNS = [c for c in TRAINING_COLUMNS if c not in ("quote_id", "price_usd")] + ["as_of"]

# The instant of the tied quotes q06 / q07; the leakage test changes everything after it.
CUTOFF = "2026-09-05 09:00:00"


def node_statuses(result: Any) -> dict[str, str]:
    """Map each executed node's name to its status ('success', 'pass', 'fail', ...)."""
    return {r.node.name: str(r.status) for r in result.result.results}


def failed_tests(result: Any) -> set[tuple[str, str, str | None]]:
    """Return (test name, model, column) for every data test that failed."""
    failed = set()
    for r in result.result.results:
        if r.node.resource_type == "test" and str(r.status) == "fail":
            meta = r.node.test_metadata
            test_name = meta.name if meta is not None else r.node.name
            model = (r.node.attached_node or "").rsplit(".", 1)[-1]
            failed.add((test_name, model, r.node.column_name))
    return failed


def rows_by_key(rows: list[dict[str, Any]], *key: str) -> dict[Any, dict[str, Any]]:
    return {tuple(row[k] for k in key) if len(key) > 1 else row[key[0]]: row for row in rows}


def with_features(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the model features to `ml_` rows (missing as None, numbers as Python scalars)."""
    frame = derive_request_features(pd.DataFrame(rows)).astype(object)
    return frame.where(frame.notna(), None).to_dict("records")


@pytest.fixture(scope="module")
def good_build(tmp_path_factory, raw_fixture, invoke_dbt):
    """Build the whole project once on the clean fixture: (warehouse path, dbt result)."""
    path = raw_fixture.create(tmp_path_factory.mktemp("good") / "warehouse.duckdb")
    return path, invoke_dbt(path, "build")


@pytest.fixture(scope="module")
def query(query_rows):
    return query_rows


@pytest.fixture(scope="module")
def training(good_build, query) -> dict[str, dict[str, Any]]:
    rows = query(good_build[0], "select * from ANALYTICS.ML_TRAINING_FEATURES")
    return rows_by_key(with_features(rows), "quote_id")


@pytest.fixture(scope="module")
def scoring(good_build, query) -> dict[tuple[str, str], dict[str, Any]]:
    rows = query(good_build[0], "select * from ANALYTICS.ML_SCORING_FEATURES")
    return rows_by_key(with_features(rows), "flight_id", "cabin")


def test_build_runs_every_model_test_and_unit_test_successfully(good_build):
    _, result = good_build
    statuses = node_statuses(result)
    assert result.success, {n: s for n, s in statuses.items() if s not in ("success", "pass")}
    # Exposures (dbt/models/exposures.yml) are built as no-ops; every other node must pass.
    exposures = {r.node.name for r in result.result.results
                 if str(r.node.resource_type) in ("exposure", "NodeType.Exposure")}  # fmt: skip
    assert {s for n, s in statuses.items() if n not in exposures} <= {"success", "pass"}
    kinds = {r.node.resource_type for r in result.result.results}
    assert {"seed", "model", "test", "unit_test"} <= kinds
    unit_tests = [r for r in result.result.results if r.node.resource_type == "unit_test"]
    assert len(unit_tests) >= 8


def test_relations_land_in_staging_and_analytics_schemas(good_build, query):
    rows = query(
        good_build[0],
        "select table_schema, table_name, table_type from information_schema.tables "
        "where table_schema in ('STAGING', 'ANALYTICS')",
    )
    found = {(r["table_schema"], r["table_name"].lower()): r["table_type"] for r in rows}
    for view in ("stg_raw__fares", "stg_raw__schedules"):
        assert found[("STAGING", view)] == "VIEW"
    for table in ("int_fares_deduplicated", "int_schedules_deduplicated"):
        # Tables, so that marts and tests do not repeat the de-duplication of RAW.
        assert found[("STAGING", table)] == "BASE TABLE"
    for table in (
        "dim_airport",
        "dim_carrier",
        "dim_route",
        "dim_flight",
        "dim_date",
        "fct_fare_observation",
        "fct_flight_daily",
        "ml_training_features",
        "ml_scoring_features",
    ):
        assert found[("ANALYTICS", table)] == "BASE TABLE"


def test_row_counts_match_the_fixture(good_build, query):
    expected = {
        "STAGING.stg_raw__fares": 17,  # every raw row: q14 is delivered twice
        "STAGING.stg_raw__schedules": 6,  # every raw row: AA100 economy is published twice
        "STAGING.int_fares_deduplicated": 16,  # the later delivery of q14 only
        "STAGING.int_schedules_deduplicated": 5,  # the later publication of AA100 economy
        "ANALYTICS.dim_flight": 6,  # 5 scheduled flight+cabins and LH400 from fares only
        "ANALYTICS.dim_airport": 6,  # JFK LAX LHR ATL ZZZ FRA
        "ANALYTICS.dim_carrier": 4,  # AA BA DL LH
        "ANALYTICS.dim_route": 4,  # JFK-LAX LHR-JFK ATL-ZZZ FRA-JFK
        "ANALYTICS.dim_date": 24,  # 2026-08-28 .. 2026-09-20
        "ANALYTICS.fct_fare_observation": 16,
        "ANALYTICS.fct_flight_daily": 14,
        "ANALYTICS.ML_TRAINING_FEATURES": 16,
        "ANALYTICS.ML_SCORING_FEATURES": 5,
    }
    counts = {t: query(good_build[0], f"select count(*) as n from {t}")[0]["n"] for t in expected}
    assert counts == expected


def test_ml_tables_have_exactly_the_contract_columns(good_build, query):
    for table, columns in (
        # transformed_at: the build stamp of an incremental model (training never reads it).
        ("ML_TRAINING_FEATURES", [*TRAINING_COLUMNS, "transformed_at"]),
        ("ML_SCORING_FEATURES", SCORING_COLUMNS),
    ):
        rows = query(good_build[0], f"describe ANALYTICS.{table}")
        assert [r["column_name"] for r in rows] == columns


def test_staging_keeps_every_delivery_and_intermediate_dedups_and_converts(good_build, query):
    staged = query(good_build[0], "select * from STAGING.stg_raw__fares where quote_id = 'q14'")
    # Both loads of q14 (450 and 999 GBP), unconverted: the currency join is intermediate.
    assert sorted(r["price_local"] for r in staged) == pytest.approx([450.0, 999.0])
    assert {r["currency"] for r in staged} == {"GBP"}
    assert "price_usd" not in staged[0]
    fares = rows_by_key(
        query(good_build[0], "select * from STAGING.int_fares_deduplicated"), "quote_id"
    )
    assert fares["q14"]["price_usd"] == pytest.approx(571.5)  # the later load of q14
    assert fares["q04"]["price_usd"] == pytest.approx(270.0)
    assert fares["q03"]["flight_id"] == "AA100-20260912"
    flights = rows_by_key(
        query(good_build[0], "select * from ANALYTICS.dim_flight"), "flight_id", "cabin"
    )
    assert flights[("AA100-20260912", "economy")]["capacity_seats"] == 150
    assert flights[("LH400-20260911", "economy")]["is_scheduled"] is False
    assert flights[("LH400-20260911", "economy")]["capacity_seats"] is None


def test_dimensions_describe_airports_and_routes(good_build, query):
    airports = rows_by_key(
        query(good_build[0], "select * from ANALYTICS.dim_airport"), "airport_code"
    )
    assert airports["JFK"]["city"] == "New York"
    assert airports["ZZZ"]["airport_name"] is None
    routes = rows_by_key(query(good_build[0], "select * from ANALYTICS.dim_route"), "route")
    assert routes["JFK-LAX"]["great_circle_distance_km"] == pytest.approx(3983, abs=15)
    assert routes["ATL-ZZZ"]["great_circle_distance_km"] is None


def test_flight_daily_aggregates_one_flight_cabin_day(good_build, query):
    rows = query(
        good_build[0],
        "select * from ANALYTICS.fct_flight_daily where flight_id = 'AA100-20260912' "
        "and cabin = 'economy' and observation_date = date '2026-09-09'",
    )
    assert len(rows) == 1
    day = rows[0]
    assert day["quote_count"] == 2
    assert (day["min_price_usd"], day["mean_price_usd"], day["max_price_usd"]) == (
        pytest.approx(380.0),
        pytest.approx(390.0),
        pytest.approx(400.0),
    )
    assert day["last_seats_remaining"] == 60
    assert day["load_factor"] == pytest.approx(0.6)


def test_training_features_of_a_later_quote(training):
    row = training["q08"]
    assert row["flight_id"] == "AA100-20260912"
    assert row["route"] == "JFK-LAX"
    assert row["days_to_departure"] == pytest.approx(95 / 24)  # 09-08 09:00 -> 09-12 08:00
    assert (row["departure_hour"], row["departure_dow"], row["departure_month"]) == (8, 6, 9)
    assert row["departure_day_of_year"] == 255
    assert row["is_weekend_departure"] is True
    assert row["capacity"] == 150
    assert row["load_factor"] == 0.0  # 200 seats left of 150: clipped
    assert row["price_usd"] == pytest.approx(350.0)


def test_training_features_of_first_quotes_and_missing_values(training):
    first = training["q03"]
    assert first["load_factor"] == pytest.approx(0.2)
    assert training["q09"]["seats_remaining"] is None
    assert training["q09"]["load_factor"] is None
    unscheduled = training["q16"]
    assert unscheduled["capacity"] is None and unscheduled["load_factor"] is None
    assert unscheduled["price_usd"] == pytest.approx(540.0)
    business = training["q11"]
    assert business["price_usd"] == pytest.approx(1270.0)
    assert business["load_factor"] == pytest.approx(0.5)
    thursday = training["q13"]
    assert (thursday["departure_dow"], thursday["is_weekend_departure"]) == (4, False)


def test_scoring_features_cover_flights_departing_after_as_of(scoring, raw_fixture):
    assert set(scoring) == {
        ("AA100-20260912", "economy"),
        ("AA100-20260912", "business"),
        ("BA200-20260910", "economy"),
        ("DL300-20260920", "economy"),
        ("LH400-20260911", "economy"),
    }  # AA102 left on 09-04, before the clock
    for row in scoring.values():
        assert str(row["as_of"]) == raw_fixture.as_of
        assert row["observed_at"] == row["as_of"]
        assert row["departure_at"] > row["as_of"]


def test_scoring_features_use_the_latest_seats_known_at_as_of(scoring):
    economy = scoring[("AA100-20260912", "economy")]
    assert economy["days_to_departure"] == pytest.approx(68 / 24)
    assert economy["seats_remaining"] == 60  # q10, the latest quote
    assert economy["load_factor"] == pytest.approx(0.6)
    # q17 is observed exactly at as_of: its seats count.
    unscheduled = scoring[("LH400-20260911", "economy")]
    assert unscheduled["seats_remaining"] == 25
    assert unscheduled["capacity"] is None
    never_quoted = scoring[("DL300-20260920", "economy")]
    assert never_quoted["seats_remaining"] is None and never_quoted["load_factor"] is None
    assert never_quoted["capacity"] == 100


def test_planted_bad_raw_rows_fail_the_matching_dbt_tests(tmp_path, raw_fixture, invoke_dbt):
    fares = raw_fixture.fares()
    negative = dict(fares[2], quote_id="bad_price", price=-5.0)
    coach = dict(fares[2], quote_id="bad_cabin", cabin="coach")
    schedules = raw_fixture.schedules()
    backwards = dict(
        schedules[0],
        flight_number="999",
        departure_at="2026-09-15 10:00:00",
        arrival_at="2026-09-15 08:00:00",
    )
    path = raw_fixture.create(
        tmp_path / "warehouse.duckdb", schedules + [backwards], fares + [negative, coach]
    )

    result = invoke_dbt(path, "build", "--select", "+path:models/intermediate")

    assert not result.success
    assert failed_tests(result) == {
        ("positive", "int_fares_deduplicated", "price_local"),
        ("positive", "int_fares_deduplicated", "price_usd"),
        ("accepted_values", "int_fares_deduplicated", "cabin"),
        ("expression_is_true", "int_schedules_deduplicated", None),
    }
    statuses = node_statuses(result)
    assert statuses["int_schedules_deduplicated_arrival_after_departure"] == "fail"
    assert statuses["int_schedules_deduplicated_iata_code_lengths"] == "pass"


def _copy_warehouse(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return target


def test_later_quotes_change_no_earlier_features(
    good_build, tmp_path, raw_fixture, invoke_dbt, query
):
    clock = ["--vars", f"{{scoring_as_of: '{CUTOFF}'}}"]
    baseline = _copy_warehouse(good_build[0], tmp_path / "baseline.duckdb")
    result = invoke_dbt(baseline, "run", "--select", "ml_scoring_features", *clock)
    assert result.success

    fares = raw_fixture.fares()
    for fare in fares:
        if fare["observed_at"] > CUTOFF:
            fare["price"] *= 3
            fare["seats_remaining"] = 1
    fares += [
        dict(
            raw_fixture.fares()[2],
            quote_id="later_same_day",
            observed_at="2026-09-05 09:00:01",
            price=9999.0,
        ),
        dict(
            raw_fixture.fares()[12],
            quote_id="later_day",
            observed_at="2026-09-06 00:00:00",
            price=9999.0,
        ),
        dict(
            raw_fixture.fares()[2],
            quote_id="new_flight",
            observed_at="2026-09-06 00:00:00",
            carrier="UA",
            flight_number="900",
            origin="EWR",
            destination="SFO",
            departure_at="2026-09-15 10:00:00",
        ),
    ]
    changed = raw_fixture.create(tmp_path / "changed.duckdb", fares=fares)
    result = invoke_dbt(
        changed,
        "build",
        "--select",
        "+ml_training_features",
        "+ml_scoring_features",
        "--resource-type",
        "seed",
        "--resource-type",
        "model",
        *clock,
    )
    assert result.success

    # Not transformed_at: it says when each build ran, which differs between the two.
    training_sql = (f"select {', '.join(TRAINING_COLUMNS)} "
                    "from ANALYTICS.ML_TRAINING_FEATURES order by quote_id")  # fmt: skip
    before = {r["quote_id"]: r for r in query(good_build[0], training_sql)}
    after = {r["quote_id"]: r for r in query(changed, training_sql)}
    earlier = [q for q, r in before.items() if str(r["observed_at"]) <= CUTOFF]
    assert sorted(earlier) == ["q01", "q02", "q03", "q04", "q05", "q06", "q07", "q11", "q13", "q14"]
    assert {q: after[q] for q in earlier} == {q: before[q] for q in earlier}
    assert after["q08"] != before["q08"]  # the change did reach the later rows

    scoring_sql = "select * from ANALYTICS.ML_SCORING_FEATURES order by flight_id, cabin"
    expected = query(baseline, scoring_sql)
    assert query(changed, scoring_sql) == expected
    at_cutoff = rows_by_key(expected, "flight_id", "cabin")
    # LH400 is first quoted on 09-07 and has no schedule: not on sale yet at the clock.
    assert set(at_cutoff) == {
        ("AA100-20260912", "economy"),
        ("AA100-20260912", "business"),
        ("BA200-20260910", "economy"),
        ("DL300-20260920", "economy"),
    }
    economy = at_cutoff[("AA100-20260912", "economy")]
    assert economy["seats_remaining"] == 100  # q07, the highest quote_id at the clock


def test_daily_steps_build_every_model_once_after_its_parents(tmp_path, invoke_dbt):
    def models(*select: str) -> dict[str, list[str]]:
        result = invoke_dbt(tmp_path / "unused.duckdb", "ls", "--resource-type", "model",
                            "--output", "json", "--output-keys", "unique_id depends_on",
                            *select)  # fmt: skip
        assert result.success
        rows = [json.loads(line) for line in result.result]
        return {row["unique_id"]: row["depends_on"]["nodes"] for row in rows}

    built: list[str] = []
    for step, args in DBT_STEPS.items():
        if step == "tests":
            continue
        step_models = models(*args[args.index("--select"):])
        assert step_models, step
        for model, parents in step_models.items():
            missing = {p for p in parents if p.startswith("model.")} - {*built, *step_models}
            assert not missing, f"{model} in step {step!r} reads models not built yet: {missing}"
        built += step_models
    assert sorted(built) == sorted(models())  # each model in exactly one step
