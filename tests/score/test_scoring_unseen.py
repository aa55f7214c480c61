"""Batch scoring writes the unseen-input flags, skips refused rows, and agrees with the API."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from flightprice.score.batch import run_scoring
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow

FLAGGED = ["flight_id", "cabin", "price_usd", "market_fare_usd", "unseen", "confidence",
           "fare_source"]  # fmt: skip


def query(settings, sql: str, params=None) -> pd.DataFrame:
    with open_warehouse(settings, read_only=True) as wh:
        return wh.query_df(sql, params)


def history(settings, run_id: str) -> pd.DataFrame:
    return query(
        settings,
        "SELECT * FROM ML_PREDICTIONS.PRICE_HISTORY WHERE run_id = ? ORDER BY flight_id, cabin",
        [run_id],
    )


def details(settings, run_id: str) -> dict:
    log = query(settings, "SELECT details FROM ML_PREDICTIONS.SCORING_LOG WHERE run_id = ?",
                [run_id])  # fmt: skip
    return json.loads(log["details"].iloc[0])


@pytest.fixture
def settings(champion_home, make_settings):
    """A market where about a tenth of the flights on sale fly for a carrier never trained on."""
    settings = make_settings(champion_home, scoring_chunk_rows=700, scoring_request_rows=300)
    with open_warehouse(settings) as wh:
        wh.execute("UPDATE ANALYTICS.ML_SCORING_FEATURES SET carrier = 'Z9' "
                   "WHERE hash(flight_id) % 10 = 0")  # fmt: skip
    return settings


def new_carrier_rows(settings) -> set[tuple[str, str]]:
    rows = query(settings, "SELECT flight_id, cabin FROM ANALYTICS.ML_SCORING_FEATURES "
                 "WHERE carrier = 'Z9'")  # fmt: skip
    return set(rows.itertuples(index=False, name=None))


def test_local_scoring_writes_the_flags_and_counts_them(settings):
    flagged = new_carrier_rows(settings)
    report = run_scoring(settings, mode="local", run_id="flags")
    prices = query(settings, "SELECT * FROM ML_PREDICTIONS.FLIGHT_PRICES")
    assert len(flagged) > 10 and report.rows == len(prices)
    is_new = [key in flagged for key in zip(prices["flight_id"], prices["cabin"], strict=True)]
    new, known = prices[is_new], prices[[not x for x in is_new]]
    assert (new["unseen"] == "carrier").all() and (new["confidence"] == "low").all()
    assert (known["unseen"] == "").all() and (known["confidence"] == "high").all()
    assert (prices["fare_source"] == "model").all()
    assert history(settings, "flags")[FLAGGED[4:]].equals(
        prices.sort_values(["flight_id", "cabin"])[FLAGGED[4:]].reset_index(drop=True)
    )
    assert details(settings, "flags") == {
        "unseen_rows": len(flagged), "baseline_rows": 0, "refused_rows": 0,
        "unseen_inputs": {"carrier": len(flagged)},
    }  # fmt: skip


def test_local_scoring_under_refuse_skips_the_rows_and_logs_how_many(settings):
    flagged = new_carrier_rows(settings)
    on_sale = query(settings, "SELECT COUNT(*) AS n FROM ANALYTICS.ML_SCORING_FEATURES")["n"][0]
    refusing = settings.model_copy(update={"unseen_policy": "refuse"})
    report = run_scoring(refusing, mode="local", run_id="refuse")
    written = history(settings, "refuse")
    assert report.status == "success" and report.rows == len(written) == on_sale - len(flagged)
    assert not set(zip(written["flight_id"], written["cabin"], strict=True)) & flagged
    assert (written["confidence"] == "high").all()
    assert details(settings, "refuse")["refused_rows"] == len(flagged)
    assert report.details["refused_rows"] == len(flagged)


def test_api_mode_under_refuse_skips_the_rows_local_mode_skips(settings, serve_api):
    refusing = settings.model_copy(update={"unseen_policy": "refuse"})
    run_scoring(refusing, mode="local", run_id="refuse")
    local = history(settings, "refuse")
    with serve_api(refusing) as url:
        report = run_scoring(
            refusing.model_copy(update={"api_url": url}), mode="api", run_id="refuse"
        )
    assert report.status == "success" and report.rows == len(local)
    assert report.details["refused_rows"] == len(new_carrier_rows(settings)) > 10
    pd.testing.assert_frame_equal(history(settings, "refuse")[FLAGGED], local[FLAGGED])


def test_local_and_api_mode_agree_on_flags_and_baseline_fares(settings, serve_api):
    baseline = settings.model_copy(update={"unseen_policy": "baseline"})
    run_scoring(baseline, mode="local", run_id="baseline")
    local = history(settings, "baseline")
    assert (local["fare_source"] == "baseline").sum() == len(new_carrier_rows(settings))
    with serve_api(baseline) as url:
        run_scoring(baseline.model_copy(update={"api_url": url}), mode="api", run_id="baseline")
    api_mode = history(settings, "baseline")
    pd.testing.assert_frame_equal(api_mode[FLAGGED], local[FLAGGED])
