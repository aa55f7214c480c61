"""An experiment end to end: simulated buyers quoted by a real uvicorn, bookings ingested and
modelled by dbt, then `flightprice experiment report` credits the revenue to the arms."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.experiment.arms import Experiment
from flightprice.experiment.drive import drive_api
from flightprice.ingest.load import load_raw_files
from flightprice.serve.client import PricingClient
from flightprice.store import open_store
from flightprice.synth import market_flights
from flightprice.transform.dbt import run_dbt
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow  # a challenger to train, two weeks of sales, a dbt run: ~40 s

DEPARTURES = [date(2026, 9, 20) + timedelta(days=i) for i in range(4)]


def test_simulated_buyers_through_the_api_give_a_report_by_arm(
    champion_template, tmp_path, make_settings, train_and_register, serve_api
):
    home = tmp_path / "home"
    shutil.copytree(champion_template, home, ignore=shutil.ignore_patterns("*.lock", "*.wal"))
    train_and_register(make_settings(home), "v-test-2", champion=False, rounds=8)
    settings = make_settings(home, experiment_challenger="v-test-2", experiment_name="e2e")
    # The network the models were trained on (conftest's market: seed 5, 4 routes).
    flights = market_flights(5, 4, DEPARTURES)
    with serve_api(settings) as url, PricingClient(url) as client:
        drive = drive_api(client, flights, first_day=date(2026, 9, 8), days=16, seed=3,
                          store=open_store(settings))  # fmt: skip
    assert len(drive.bookings) > 50 and drive.files
    # The API split the flights as the experiment's hash says, each flight to one arm.
    arms = drive.quotes.groupby("flight_id")["arm"].agg(set)
    assert arms.map(len).max() == 1
    experiment = Experiment("e2e", "v-test-2", 0.5)
    assert {f: a.pop() for f, a in arms.items()} == {f: experiment.arm_of(f) for f in arms.index}

    with open_warehouse(settings) as warehouse:
        loaded = load_raw_files(open_store(settings), warehouse)
    assert loaded.quarantined == [] and len(loaded.loaded) == len(drive.files)
    assert run_dbt(settings, ["run", "--select", "+fct_booking"]).success

    env = {"FLIGHTPRICE_HOME": str(home), "FLIGHTPRICE_EXPERIMENT_NAME": "e2e"}
    result = CliRunner().invoke(app, ["experiment", "report", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)

    # The same attribution, computed here from what the API answered and what was sold.
    sales = drive.bookings.assign(revenue=drive.bookings["seats"] * drive.bookings["price_paid"])
    sales["flight_id"] = sales["carrier"] + sales["flight_number"] + "-" + pd.to_datetime(
        sales["departure_at"]).dt.strftime("%Y%m%d")  # fmt: skip
    revenue = sales.groupby("flight_id")["revenue"].sum()
    by_flight = drive.quotes.drop_duplicates("flight_id").set_index("flight_id")["arm"]
    per_flight = revenue.reindex(by_flight.index, fill_value=0.0)
    for summary in report["arms"]:
        mine = per_flight[by_flight == summary["arm"]]
        assert summary["flights"] == len(mine) >= 10
        assert summary["revenue_usd"] == pytest.approx(mine.sum(), rel=1e-9)
    assert {a["arm"]: a["priced_by"] for a in report["arms"]} == {
        "champion": ["v-test-1"], "challenger": ["v-test-2"]}  # fmt: skip
    champion, challenger = (
        per_flight[by_flight == a].to_numpy() for a in ("champion", "challenger")
    )
    welch = stats.ttest_ind(challenger, champion, equal_var=False).confidence_interval(0.95)
    assert report["ci95"] == pytest.approx([welch.low, welch.high])
    low, high = report["ci95"]
    expected = "switch" if low > 0 else "keep" if high < 0 else "inconclusive"
    assert report["recommendation"] == expected
    assert report["revenue_per_flight_diff"] == pytest.approx(challenger.mean() - champion.mean())
    assert np.isfinite(report["revenue_uplift"])
