"""Monitoring's SQL at the Snowflake stand-in: unseen counts, realised accuracy, the rows."""

from __future__ import annotations

from datetime import datetime

import pytest

from flightprice.monitor._accuracy import realised_accuracy
from flightprice.monitor._drift import Check
from flightprice.monitor.run import MonitoringResult, _outputs, _record, _unseen_counts
from flightprice.warehouse import open_warehouse, setup_warehouse

pytestmark = pytest.mark.snowflake

HISTORY = (
    "INSERT INTO ML_PREDICTIONS.PRICE_HISTORY (flight_id, cabin, departure_at, "
    "days_to_departure, price_usd, market_fare_usd, demand_adjustment, urgency_adjustment, "
    "guardrail, reasons, model_version, as_of, scored_at, run_id, unseen) VALUES "
    "(?, 'economy', ?, 5, 110, 100, 0, 0, 'none', '[]', 'v1', ?, ?, 'r1', ?)"
)


def test_monitoring_queries_and_rows_at_the_stand_in(sf_settings):
    published, departs = datetime(2026, 9, 6, 12), datetime(2026, 9, 20, 8)
    with open_warehouse(sf_settings) as wh:
        setup_warehouse(wh, sf_settings)
        wh.execute(HISTORY, ["f1", departs, published, published, "route,carrier"])
        wh.execute(HISTORY, ["f2", departs, published, published, ""])
        wh.execute("CREATE TABLE ANALYTICS.ML_TRAINING_FEATURES (quote_id VARCHAR, "
                   "flight_id VARCHAR, cabin VARCHAR, observed_at TIMESTAMP_NTZ, "
                   "departure_at TIMESTAMP_NTZ, price_usd DOUBLE)")  # fmt: skip
        wh.execute("INSERT INTO ANALYTICS.ML_TRAINING_FEATURES VALUES "
                   "('q1', 'f1', 'economy', ?, ?, 125), ('q0', 'f1', 'economy', ?, ?, 80)",
                   [datetime(2026, 9, 7, 9), departs, datetime(2026, 9, 5, 9), departs])  # fmt: skip

        counts, rows = _unseen_counts(wh, "r1")
        assert rows == 2 and counts == {"route": 1, "carrier": 1, "cabin": 0, "any": 1}
        assert len(_outputs(wh, "run_id = ?", ["r1"], 1000)) == 2
        checks = realised_accuracy(wh, days=7, threshold=0.1)
        overall = checks[0]  # only q1 was observed after a price was published
        assert (overall.name, overall.rows) == ("overall", 1)
        assert overall.value == pytest.approx(25 / 125) and overall.breached
        assert {c.name for c in checks} == {"overall", "day 2026-09-07", "days to departure 7-13"}
        _record(wh, MonitoringResult("r1", "v1", [*checks, Check("unseen", "any", "share", 0.5)]))
        kept = wh.query_df("SELECT name, breached FROM ML_PREDICTIONS.MODEL_MONITORING "
                           "WHERE run_id = 'r1' AND breached")  # fmt: skip
    assert kept["name"].tolist() == ["overall"]
