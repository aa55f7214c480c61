"""`flightprice demand fit` without what it needs: one JSON error naming what to run."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.exit_codes import ExitCode
from flightprice.revenue.fitted import NoDemandHistoryError, load_demand_history
from flightprice.warehouse.duckdb import DuckDBWarehouse

runner = CliRunner()


def test_demand_fit_without_a_champion_fails_with_json(settings):
    assert runner.invoke(app, ["--home", str(settings.home), "init"]).exit_code == 0
    result = runner.invoke(app, ["--home", str(settings.home), "demand", "fit", "--json"])
    assert result.exit_code == ExitCode.FAILED, result.output
    error = json.loads(result.output)["error"]
    assert error["type"] == "NoChampionError" and "champion" in error["message"]
    assert not (settings.home / "lake" / "models" / "demand").exists()


def test_a_warehouse_without_the_history_says_to_transform(tmp_path):
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    try:
        with pytest.raises(NoDemandHistoryError, match="flightprice transform"):
            load_demand_history(warehouse, model=None)
        warehouse.execute("CREATE SCHEMA ANALYTICS")
        warehouse.execute("CREATE TABLE ANALYTICS.ML_DEMAND_HISTORY AS SELECT 1 AS capacity_seats,"
                          " 0 AS seats_booked, 'x' AS flight_id, 'economy' AS cabin,"
                          " DATE '2026-09-01' AS sale_date")  # fmt: skip
        with pytest.raises(NoDemandHistoryError, match="no bookings"):  # a fares-only market
            load_demand_history(warehouse, model=None)
    finally:
        warehouse.close()
