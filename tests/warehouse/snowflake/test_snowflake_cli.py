"""The CLI against the stand-in: `init --target snowflake`, and what dbt is asked to do there."""

from __future__ import annotations

import json

import pytest
from fakesnow_standin import stand_in_env
from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.settings import Settings
from flightprice.transform.dbt import dbt_command
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.snowflake


def test_init_target_snowflake_applies_the_setup_sql_idempotently(sf_settings):
    env = {**stand_in_env(sf_settings), "FLIGHTPRICE_WAREHOUSE": None}  # configured: duckdb
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(app, ["init", "--target", "snowflake", "--json"], env=env)
        assert result.exit_code == 0, result.output
        created = json.loads(result.stdout)
        assert created["warehouse"] == f"snowflake://fakesnow/{sf_settings.snowflake_database}"
        assert created["skipped on the stand-in"].endswith("account-level statements")
    assert not (sf_settings.home / "warehouse.duckdb").exists()
    with open_warehouse(sf_settings) as wh:
        tables = wh.query_df("SELECT table_schema || '.' || table_name AS name FROM "
                             "information_schema.tables WHERE table_catalog = ?",
                             [sf_settings.snowflake_database])["name"]  # fmt: skip
    assert {"RAW.LOAD_MANIFEST", "ML_PREDICTIONS.DATA_QUALITY_LOG"} <= set(tables)

    status = runner.invoke(app, ["status", "--json"], env=stand_in_env(sf_settings))
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["loaded_files"] == []


def test_init_honours_flightprice_warehouse_and_reports_unusable_targets(sf_settings):
    runner = CliRunner()
    result = runner.invoke(app, ["init"], env=stand_in_env(sf_settings))
    assert result.exit_code == 0, result.output
    assert "snowflake://fakesnow/" in result.output
    bad = runner.invoke(app, ["init", "--target", "oracle"], env=stand_in_env(sf_settings))
    assert bad.exit_code == 2


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (["build"], ["--exclude-resource-type", "unit_test", "--full-refresh"]),
        (["test"], ["--exclude-resource-type", "unit_test"]),
        (["run", "--select", "ml"], ["--full-refresh"]),
        (["seed"], []),
    ],
)
def test_dbt_skips_unit_tests_and_increments_only_at_the_stand_in(sf_settings, args, extra):
    command = dbt_command(sf_settings, args)
    assert command[: len(args)] == args and "--target" in command
    assert command[command.index("--target") + 1] == "snowflake"
    assert [a for a in command if a in ("--exclude-resource-type", "unit_test", "--full-refresh")] \
        == extra
    real = sf_settings.model_copy(update={"snowflake_stand_in": False})
    assert not {"unit_test", "--full-refresh"} & set(dbt_command(real, args))
    embedded = Settings(home=sf_settings.home)
    assert not {"unit_test", "--full-refresh"} & set(dbt_command(embedded, args))
