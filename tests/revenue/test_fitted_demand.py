"""Demand learnt from the warehouse end to end: a market with bookings -> ingest -> dbt ->
`flightprice demand fit` -> the API's optimal quote, reloaded with each new fit."""

from __future__ import annotations

import io
import json
from datetime import date

import httpx
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.ingest.load import load_raw_files
from flightprice.project import init_project
from flightprice.revenue._reference import REFERENCES
from flightprice.revenue.demand_store import read_latest, write_fit
from flightprice.revenue.estimate import KNOTS, RATIO_KNOTS
from flightprice.revenue.serving import NO_DEMAND_NOTE
from flightprice.serve.smoke import known_flight
from flightprice.store import open_store
from flightprice.synth.generate import generate_market
from flightprice.transform.dbt import run_dbt
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow  # a dbt build, a model, a fit and an API: ~40 s


@pytest.fixture(scope="module")
def home(tmp_path_factory, make_settings, train_and_register):
    """A market with the bookings feed, built into the warehouse, with a champion."""
    settings = make_settings(tmp_path_factory.mktemp("demand") / "home")
    init_project(settings)
    store = open_store(settings)
    generate_market(store, start=date(2026, 9, 1), days=10, routes=3, seed=7,
                    quotes_per_day=1.0, bookings=True)  # fmt: skip
    with open_warehouse(settings) as warehouse:
        assert load_raw_files(store, warehouse).exit_code == 0
    # With ml_demand_history's own dbt tests.
    built = run_dbt(settings, ["build", "--select", "+ml_demand_history", "+ml_training_features",
                               "--indirect-selection", "cautious"])  # fmt: skip
    assert built.success, [n for n in built.nodes if n.status not in ("pass", "success")]
    train_and_register(settings, "v-demand-1", champion=True, rounds=40)
    return settings


def _fit(settings) -> dict:
    result = CliRunner().invoke(app, ["--home", str(settings.home), "demand", "fit", "--json"],
                                env={"FLIGHTPRICE_SEARCH_TRIALS": "0"})  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_history_holds_every_booking_of_the_feed(home):
    store = open_store(home)
    keys = [k for k in store.list("raw-data/bookings/") if k.endswith(".csv")]
    feed = pd.concat([pd.read_csv(io.BytesIO(store.read_bytes(k))) for k in keys])
    with open_warehouse(home, read_only=True) as warehouse:
        history = warehouse.query_df("SELECT * FROM ANALYTICS.ML_DEMAND_HISTORY")
    history.columns = [c.lower() for c in history.columns]
    # Every sale was made at a quote of its day: the history misses none.
    assert history["seats_booked"].sum() == feed["seats"].sum() > 1000
    assert (history["seats_left"] >= history["seats_booked"]).all()
    assert history["competitor_fare_usd"].notna().any()


def test_the_api_prices_optimal_with_the_latest_fit(home, make_settings, serve_api):
    settings = make_settings(home.home, pricing_policy="optimal")
    admin = {"x-api-key": "test-admin-key"}
    with serve_api(settings) as url, httpx.Client(base_url=url, timeout=60) as client:
        served = client.get("/v1/model").json()
        assert served["demand"] == {"source": "warehouse", "version": None, "created_at": None}
        trained = served["known_flight"]
        flight = {**known_flight(trained=trained), "capacity": 150, "seats_remaining": 100}
        before = client.post("/v1/price", json=flight).json()
        # No fit yet: optimal does not guess a demand, and the quote says so.
        assert before["policy"] == "rule" and NO_DEMAND_NOTE in before["reasons"]

        fit = _fit(home)
        summary = fit["summary"]
        # The right sign: a dearer price sells fewer seats, more so far from departure.
        response = summary["price_response_1.1_over_0.9"]
        assert response["56d"] < response["7d"] and response["28d"] < 1.0
        assert 0.1 < summary["d2_holdout"] < 1.0 and summary["groups"] >= 6
        assert fit["quotes_per_day"] == pytest.approx(1.0, rel=0.1)
        # The fare model errs per flight: the fit's held-out deviance chose the levelled reference.
        assert fit["reference"] == REFERENCES[1]
        assert client.post("/admin/reload", headers=admin).status_code == 200
        # /v1/model names the fit the prices now come from.
        assert client.get("/v1/model").json()["demand"]["version"] == fit["version"]
        fitted = client.post("/v1/price", json=flight).json()
        assert fitted["policy"] == "optimal" and NO_DEMAND_NOTE not in fitted["reasons"]
        # Within the prices the history tried: beyond them the fit only extrapolates.
        high = max(row["ratio_high"] for row in fit["report"])
        assert fitted["price"] <= high * fitted["market_fare"] + 1.0  # + rounding to .99

        # Three times the buyers at every price: the programme must charge more.
        busier = read_latest(open_store(home))
        coef = np.asarray(busier["coef"])
        coef[:, len(KNOTS) : len(KNOTS) * (1 + len(RATIO_KNOTS))] += np.log(3.0)
        write_fit(open_store(home), {**busier, "version": busier["version"] + "-busier",
                                     "coef": coef.tolist()})  # fmt: skip
        assert client.post("/admin/reload", headers=admin).status_code == 200
        busy = client.post("/v1/price", json=flight).json()
        assert client.get("/v1/model").json()["demand"]["version"].endswith("-busier")
    assert busy["policy"] == "optimal" and busy["price"] > fitted["price"]
