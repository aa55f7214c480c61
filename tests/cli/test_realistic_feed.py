"""A real-looking feed through the whole job with the defaults (issue "Real fare feeds").

The realistic synthetic profile has several currencies with daily rates, fares-only days,
long itineraries, expensive local-currency fares, re-delivered quotes, offsets and ~0.5 %
planted bad rows. With no option changed: ingest rejects exactly the planted rows and
quarantines nothing, the quality gate passes, training, scoring and status succeed.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from typer.testing import CliRunner

from flightprice.cli import app

pytestmark = pytest.mark.slow

runner = CliRunner()


def invoke(home, *args):
    result = runner.invoke(app, ["--home", str(home), *args, "--json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout)


def test_the_realistic_profile_runs_the_whole_job_with_defaults(tmp_path):
    home = tmp_path / "home"
    assert invoke(home, "init")[0] == 0
    code, market = invoke(home, "generate", "--profile", "realistic", "--days", "10",
                          "--routes", "12")  # fmt: skip
    assert code == 0 and market["realistic"]["fares_only_days"]
    planted = market["realistic"]["bad_rows"]
    assert planted > 0

    code, ingest = invoke(home, "ingest")
    assert code == 0, ingest
    assert ingest["totals"]["files_quarantined"] == 0 and ingest["totals"]["files_failed"] == 0
    assert ingest["totals"]["rows_rejected"] == planted
    good = market["realistic"]["good_rows"] + market["realistic"]["redelivered_rows"]
    assert ingest["totals"]["rows_loaded"] >= 0.99 * good

    assert invoke(home, "transform")[0] == 0
    code, quality = invoke(home, "quality")
    assert code == 0, quality

    code, trained = invoke(home, "train", "--compare", "--promote")
    assert code == 0, trained
    assert trained["status"] == "trained" and trained["promoted"] is True
    assert trained["metrics"]["mape"] < trained["baselines"]["route_cabin_median"]["mape"]

    code, scored = invoke(home, "score", "--mode", "local")
    assert code == 0 and scored["status"] == "success" and scored["rows"] > 0, scored

    code, status = invoke(home, "status")
    assert code == 0 and status["status"] == "ok"
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        (rejected,) = con.execute("SELECT count(*) FROM RAW.REJECTED_ROWS").fetchone()
        currencies = con.execute(
            "SELECT count(DISTINCT currency) FROM ANALYTICS.FCT_FARE_OBSERVATION"
        ).fetchone()[0]
        (unpriced,) = con.execute(
            "SELECT count(*) FROM ML_PREDICTIONS.FLIGHT_PRICES WHERE NOT price_usd > 0"
        ).fetchone()
    assert rejected == planted and currencies > 1 and unpriced == 0
