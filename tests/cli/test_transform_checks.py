"""What a daily `flightprice transform` checks: the data tests, on the rows the run wrote."""

from __future__ import annotations

import json

import duckdb
import pytest
from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.settings import Settings
from flightprice.transform.dbt import run_dbt

pytestmark = pytest.mark.slow

runner = CliRunner()
FACT = "ANALYTICS.fct_fare_observation"


def invoke(home, *args):
    return runner.invoke(app, ["--home", str(home), *args], catch_exceptions=False)


def kinds(result) -> dict[str, int]:
    """Count the dbt nodes of a `transform --json` output by resource type."""
    counts: dict[str, int] = {}
    for node in json.loads(result.stdout)["nodes"]:
        counts[node["resource_type"]] = counts.get(node["resource_type"], 0) + 1
    return counts


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("checks") / "home"
    for step in (["init"], ["generate", "--days", "2", "--routes", "2", "--seed", "5"], ["ingest"]):
        assert invoke(home, *step, "--json").exit_code == 0, step
    return home


def test_unit_tests_run_only_when_asked(home):
    daily = invoke(home, "transform", "--json")
    assert daily.exit_code == 0, daily.output
    assert kinds(daily)["test"] > 50 and "unit_test" not in kinds(daily)
    asked = invoke(home, "transform", "--unit-tests", "--json")
    assert asked.exit_code == 0, asked.output
    units = [n for n in json.loads(asked.stdout)["nodes"] if n["resource_type"] == "unit_test"]
    assert len(units) > 5 and all(n["status"] == "pass" for n in units)


def test_data_tests_of_incremental_models_read_the_latest_build(home):
    settings = Settings(home=home)
    assert invoke(home, "transform", "--json").exit_code == 0

    def corrupt(where: str) -> None:
        with duckdb.connect(str(settings.duckdb_file)) as conn:
            conn.execute(f"UPDATE {FACT} SET price_usd = -5, {where}"
                         f" WHERE quote_id = (SELECT min(quote_id) FROM {FACT}"
                         f" WHERE price_usd > 0)")  # fmt: skip

    def failed_tests() -> list[str]:
        run = run_dbt(settings, ["test", "--select", "fct_fare_observation"])
        return [node.name for node in run.failed]

    # A row written by an earlier build was checked then: out of this run's tests.
    corrupt("transformed_at = transformed_at - INTERVAL 1 DAY")
    assert failed_tests() == []
    # The same fault in a row of the latest build fails its test.
    corrupt("transformed_at = transformed_at")
    assert [name for name in failed_tests() if "price_usd" in name]


def test_the_scoring_clock_keeps_dbts_partial_parse(home):
    settings = Settings(home=home)
    log = home / "dbt" / "logs" / "dbt.log"
    for as_of in ("2026-09-01 12:00:00", "2026-09-01 18:00:00"):
        start = log.stat().st_size if log.exists() else 0
        run = run_dbt(settings, ["run", "--select", "ml_scoring_features",
                                 "--log-level-file", "debug"], scoring_as_of=as_of)  # fmt: skip
        assert run.success
        with duckdb.connect(str(settings.duckdb_file), read_only=True) as conn:
            clocks = conn.execute("SELECT DISTINCT CAST(observed_at AS VARCHAR)"
                                  " FROM ANALYTICS.ml_scoring_features").fetchall()  # fmt: skip
        assert clocks == [(as_of,)]
        parse_log = log.read_text()[start:]
    # The second clock re-parsed the one model reading it, not the whole project.
    assert "updated file: flightprice://models/ml/ml_scoring_features.sql" in parse_log
    assert "Unable to do partial parsing" not in parse_log
