"""`flightprice experiment report` when there is nothing to report on: a clear error, exit 1."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.experiment.assignments import AssignmentLog
from flightprice.project import init_project


def test_without_logged_quotes_the_report_says_what_to_do(settings):
    result = CliRunner().invoke(app, ["experiment", "report", "--json"])
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert (
        error["type"] == "NoExperimentDataError"
        and "FLIGHTPRICE_EXPERIMENT_CHALLENGER" in error["hint"]
    )
    assert "no quotes of experiment 'default'" in error["message"]


def test_without_transformed_bookings_the_report_names_the_missing_step(settings):
    init_project(settings)
    log = AssignmentLog(settings.experiment_log)
    log.append([{"experiment": "default", "flight_id": "BA1-20260901", "cabin": "economy",
                 "arm": "champion", "challenger": "v2", "model_version": "v1", "price": 1.0}])  # fmt: skip
    log.close()
    result = CliRunner().invoke(app, ["experiment", "report", "--json"])
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert "FCT_BOOKING" in error["message"].upper() and "transform" in error["hint"]
