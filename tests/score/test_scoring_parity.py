"""Parity: the API and batch scoring (local and api mode) give the same price for the same
flight at the same moment, with the same last published price."""

from __future__ import annotations

import math

import httpx
import pandas as pd
import pytest

from flightprice.pricing.params import PricingParams
from flightprice.score.batch import run_scoring
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow

PRICED = [
    "flight_id",
    "cabin",
    "price_usd",
    "market_fare_usd",
    "demand_adjustment",
    "urgency_adjustment",
    "guardrail",
    "reasons",
    "previous_price_usd",
    "model_version",
]


def history(settings, run_id: str) -> pd.DataFrame:
    with open_warehouse(settings, read_only=True) as wh:
        return wh.query_df(
            "SELECT * FROM ML_PREDICTIONS.PRICE_HISTORY WHERE run_id = ? ORDER BY flight_id, cabin",
            [run_id],
        )


def as_request(row: pd.Series) -> dict:
    """The API request that describes a scoring row: same flight, same moment, same reference."""

    def optional(value):
        return None if pd.isna(value) else int(value)

    return {
        "carrier": row["carrier"], "flight_number": row["flight_number"],
        "origin": row["origin"], "destination": row["destination"], "cabin": row["cabin"],
        "observed_at": row["as_of"].isoformat(), "departure_at": row["departure_at"].isoformat(),
        "stops": int(row["stops"]), "duration_minutes": int(row["duration_minutes"]),
        "seats_remaining": optional(row["seats_remaining"]), "capacity": optional(row["capacity"]),
        "last_price": None if pd.isna(row["previous_price_usd"]) else row["previous_price_usd"],
    }  # fmt: skip


def test_api_local_and_api_mode_scoring_agree(champion_home, make_settings, serve_api):
    settings = make_settings(champion_home, scoring_chunk_rows=700, scoring_request_rows=300)
    # A first run publishes higher prices (a stronger urgency policy), so the compared runs
    # have a change-limit reference that binds for many flights.
    urgent = PricingParams(urgency_window_days=90, max_urgency_adjustment=0.6)
    run_scoring(settings.model_copy(update={"pricing": urgent}), mode="local", run_id="published")
    run_scoring(settings, mode="local", run_id="parity")
    local = history(settings, "parity")

    with serve_api(settings) as url:
        api_settings = settings.model_copy(update={"api_url": url})
        # The same run id again: its reference stays the "published" run's prices.
        report = run_scoring(api_settings, mode="api", run_id="parity")
        api_mode = history(settings, "parity")
        assert report.mode == "api" and report.rows == len(local)
        pd.testing.assert_frame_equal(api_mode[PRICED], local[PRICED])
        assert (local["guardrail"] == "max_decrease").sum() > 500  # the reference binds

        with open_warehouse(settings, read_only=True) as wh:
            features = wh.query_df("SELECT * FROM ANALYTICS.ML_SCORING_FEATURES")
        rows = features.merge(local, on=["flight_id", "cabin"], suffixes=("", "_priced"))
        sample = pd.concat([
            rows.iloc[:: max(1, len(rows) // 25)],
            rows[rows["guardrail"] != "none"].head(10),
            rows[rows["seats_remaining"].isna()].head(5),
        ])  # fmt: skip
        requests = [as_request(row) for _, row in sample.iterrows()]
        with httpx.Client(base_url=url, timeout=30) as client:
            singles = [client.post("/v1/price", json=r).json() for r in requests]
            batch = client.post("/v1/price/batch", json={"flights": requests}).json()["quotes"]

    assert [q["price"] for q in singles] == sample["price_usd"].tolist()
    assert [q["price"] for q in batch] == sample["price_usd"].tolist()
    assert [q["guardrail"] for q in singles] == sample["guardrail"].tolist()
    for quote, fare in zip(singles, sample["market_fare_usd"], strict=True):
        assert math.isclose(quote["market_fare"], fare, rel_tol=0, abs_tol=0)
