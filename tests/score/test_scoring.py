"""Batch scoring over a real DuckDB file: every flight priced once, idempotent re-runs, failures."""

from __future__ import annotations

import pytest

from flightprice.pricing.params import PricingParams
from flightprice.score.batch import ScoringError, run_scoring
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow

PRICES = "ML_PREDICTIONS.FLIGHT_PRICES"
HISTORY = "ML_PREDICTIONS.PRICE_HISTORY"


def query(settings, sql: str, params=None):
    with open_warehouse(settings, read_only=True) as wh:
        return wh.query_df(sql, params)


def scalar(settings, sql: str, params=None):
    return query(settings, sql, params).iloc[0, 0]


@pytest.fixture
def settings(champion_home, make_settings):
    # Small chunks: a few hundred rows each, so every run streams many of them.
    return make_settings(champion_home, scoring_chunk_rows=500)


def test_local_scoring_prices_every_flight_on_sale_once(settings):
    done = []
    report = run_scoring(
        settings, mode="local", run_id="run-1", progress=lambda n, total: done.append((n, total))
    )
    on_sale = scalar(settings, "SELECT COUNT(*) FROM ANALYTICS.ML_SCORING_FEATURES")
    assert report.status == "success" and report.rows == on_sale > 1000
    assert report.model_version == "v-test-1" and sum(report.guardrails.values()) == on_sale
    assert len(done) > 2 and done[-1] == (on_sale, on_sale)

    prices = query(settings, f"SELECT * FROM {PRICES}")
    assert len(prices) == on_sale
    assert not prices.duplicated(["flight_id", "cabin"]).any()
    assert (prices["price_usd"] > 0).all() and prices["previous_price_usd"].isna().all()
    assert (prices["run_id"] == "run-1").all() and (prices["model_version"] == "v-test-1").all()
    bounds = PricingParams().cabin_bounds
    for cabin, group in prices.groupby("cabin"):
        floor, ceiling = getattr(bounds, cabin).floor_usd, getattr(bounds, cabin).ceiling_usd
        assert group["price_usd"].between(floor, ceiling).all()
    assert prices["reasons"].str.startswith("{").all()
    assert scalar(settings, f"SELECT COUNT(*) FROM {HISTORY} WHERE run_id = 'run-1'") == on_sale
    log = query(settings, "SELECT * FROM ML_PREDICTIONS.SCORING_LOG")
    assert log[["run_id", "mode", "model_version", "rows_scored", "status"]].values.tolist() == [
        ["run-1", "local", "v-test-1", on_sale, "success"]
    ]


def test_rerunning_a_run_id_adds_no_history_and_prices_alike(settings):
    run_scoring(settings, mode="local", run_id="run-1")
    first = query(settings, f"SELECT * FROM {HISTORY} ORDER BY flight_id, cabin")
    run_scoring(settings, mode="local", run_id="run-1")
    again = query(settings, f"SELECT * FROM {HISTORY} ORDER BY flight_id, cabin")
    assert len(again) == len(first)
    columns = ["flight_id", "cabin", "price_usd", "reasons", "previous_price_usd"]
    assert again[columns].equals(first[columns])
    assert (
        scalar(settings, f"SELECT COUNT(*) - COUNT(DISTINCT (flight_id, cabin)) FROM {PRICES}") == 0
    )
    assert scalar(settings, "SELECT COUNT(*) FROM ML_PREDICTIONS.SCORING_LOG") == 2


def test_next_run_moves_at_most_the_change_limit_from_the_published_price(settings):
    run_scoring(settings, mode="local", run_id="run-1")
    tight = settings.model_copy(
        update={
            "pricing": PricingParams(
                max_increase=0.01,
                max_decrease=0.01,
                rounding="none",
                urgency_window_days=30,
                max_urgency_adjustment=0.5,
            )
        }
    )
    run_scoring(tight, mode="local", run_id="run-2")
    history = query(
        settings,
        f"""
        SELECT two.price_usd AS price, one.price_usd AS published, two.previous_price_usd,
               two.guardrail
        FROM {HISTORY} two JOIN {HISTORY} one USING (flight_id, cabin)
        WHERE one.run_id = 'run-1' AND two.run_id = 'run-2'""",
    )
    assert len(history) > 1000
    assert (history["previous_price_usd"] == history["published"]).all()
    ratio = history["price"] / history["published"]
    assert ratio.between(0.99 - 1e-9, 1.01 + 1e-9).all()
    assert (history["guardrail"] == "max_increase").sum() > 100  # urgency pushes, the limit holds
    current = query(settings, f"SELECT DISTINCT run_id FROM {PRICES}")
    assert current["run_id"].tolist() == ["run-2"]


def test_a_failed_run_keeps_nothing_and_logs_why(settings):
    dead = settings.model_copy(update={"api_url": "http://127.0.0.1:9", "scoring_retries": 0})
    with pytest.raises(ScoringError, match="run-x failed"):
        run_scoring(dead, mode="api", run_id="run-x")
    assert scalar(settings, f"SELECT COUNT(*) FROM {HISTORY}") == 0
    assert scalar(settings, f"SELECT COUNT(*) FROM {PRICES}") == 0
    log = query(settings, "SELECT status, rows_scored, error FROM ML_PREDICTIONS.SCORING_LOG")
    assert log["status"].tolist() == ["failed"] and log["rows_scored"].tolist() == [0]
    assert "ConnectError" in log["error"][0]


def test_scoring_without_a_champion_fails_and_says_so(market_home, make_settings):
    settings = make_settings(market_home)
    with pytest.raises(ScoringError, match="no champion") as err:
        run_scoring(settings, mode="local", run_id="run-none")
    assert err.value.retryable is False
    log = query(settings, "SELECT run_id, status, error FROM ML_PREDICTIONS.SCORING_LOG")
    assert log["status"].tolist() == ["failed"] and "no champion" in log["error"][0]
