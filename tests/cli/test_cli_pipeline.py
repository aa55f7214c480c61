"""The README's main job through the CLI, on a temporary home: real files, DuckDB, dbt."""

from __future__ import annotations

import json

import duckdb
import pytest
from typer.testing import CliRunner

from flightprice.cli import app

pytestmark = pytest.mark.slow

runner = CliRunner()


def invoke(home, *args):
    return runner.invoke(app, ["--home", str(home), *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """A home after init -> generate -> ingest -> transform -> quality (run once per module)."""
    home = tmp_path_factory.mktemp("cli") / "home"
    outputs = {}
    for step in (["init"], ["generate", "--days", "6", "--routes", "4", "--seed", "3"],
                 ["ingest"], ["transform"], ["quality"]):
        result = invoke(home, *step, "--json")
        outputs[step[0]] = result
        assert result.exit_code == 0, (step, result.output)
    return home, outputs


@pytest.fixture
def home(pipeline):
    return pipeline[0]


def test_status_after_the_main_job_shows_files_tests_and_quality(home):
    result = invoke(home, "status", "--json")
    assert result.exit_code == 0
    status = json.loads(result.stdout)
    feeds = {row["feed"]: row for row in status["loaded_files"]}
    assert feeds["fares"]["files"] == 6 and feeds["schedules"]["files"] == 6
    kinds = {row["check_type"] for row in status["data_quality"]}
    assert {"dbt_test", "row_count", "null_rate", "freshness"} <= kinds
    assert all(row["failed"] == 0 for row in status["data_quality"])
    assert status["failed_checks"] == []


def test_status_renders_tables_for_people(home):
    result = invoke(home, "status")
    assert result.exit_code == 0
    assert "loaded files" in result.output and "data quality" in result.output


def test_ingest_again_loads_nothing(home):
    result = invoke(home, "ingest", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["loaded"] == [] and len(report["skipped_already_loaded"]) == 12


def test_transform_again_writes_nothing_and_full_refresh_rewrites_everything(home):
    def written() -> tuple:
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
            return conn.execute("select count(*), count(distinct transformed_at), "
                                "max(transformed_at) from STAGING.int_fares_deduplicated"
                                ).fetchone()  # fmt: skip

    rows, writes, last = written()
    assert rows > 0 and writes == 1
    again = invoke(home, "transform", "--json")
    assert again.exit_code == 0, again.output
    assert written() == (rows, writes, last)  # nothing new loaded: no row written again
    full = invoke(home, "transform", "--full-refresh", "--json")
    assert full.exit_code == 0, full.output
    assert "--full-refresh" in json.loads(full.stdout)["args"]
    rebuilt_rows, rebuilt_writes, rebuilt_last = written()
    assert (rebuilt_rows, rebuilt_writes) == (rows, 1) and rebuilt_last > last


def test_generate_reports_noise_floor(pipeline):
    report = json.loads(pipeline[1]["generate"].stdout)
    assert 0 < report["noise_floor_mape"] < 0.5
    assert report["fare_rows"] > 0


def test_bad_file_is_quarantined_with_exit_code_3(home):
    bad = home / "lake" / "raw-data" / "fares" / "2026-09-30" / "broken.csv"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text("quote_id,observed_at\nq1,2026-09-30T01:00:00\n")
    result = invoke(home, "ingest", "--json")
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert [q["key"] for q in report["quarantined"]] == ["raw-data/fares/2026-09-30/broken.csv"]
    assert (home / "lake" / "quarantine" / "raw-data" / "fares" / "2026-09-30" / "broken.csv").exists()
    assert not bad.exists()


def test_bad_option_is_a_usage_error():
    result = runner.invoke(app, ["generate", "--start", "not-a-date"])
    assert result.exit_code == 2
    assert "not a date" in result.output


def test_missing_production_variable_exits_2_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIGHTPRICE_STORE", "s3")
    monkeypatch.delenv("FLIGHTPRICE_S3_BUCKET", raising=False)
    result = runner.invoke(app, ["--home", str(tmp_path), "init"])
    assert result.exit_code == 2
    assert "FLIGHTPRICE_S3_BUCKET" in result.output


def test_every_command_has_help():
    for command in ("init", "generate", "ingest", "transform", "quality", "status", "run"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, command
