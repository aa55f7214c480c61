"""The training frame read through Arrow is the frame DuckDB's own pandas conversion gives."""

from __future__ import annotations

import pandas as pd
import pytest

from flightprice.features import derive_request_features
from flightprice.train.run import load_training_frame, training_sql

# As dbt types ML_TRAINING_FEATURES (tests/test_features.py's ML_COLUMNS).
DDL = (
    "create table ANALYTICS.ML_TRAINING_FEATURES (quote_id varchar, observed_at timestamp, "
    "flight_id varchar, carrier varchar, flight_number varchar, origin varchar, "
    "destination varchar, cabin varchar, stops integer, duration_minutes integer, "
    "departure_at timestamp, capacity integer, seats_remaining integer, price_usd double)"
)


@pytest.mark.parametrize("max_rows", [None, 3])
def test_the_arrow_read_gives_the_frame_pandas_conversion_gave(warehouse, max_rows) -> None:
    warehouse.execute(DDL)
    start = pd.Timestamp("2026-01-01 06:00")
    for i in range(6):
        missing = i % 3 == 0  # unknown carrier, flight and seats, as real feeds have
        warehouse.execute(
            "insert into ANALYTICS.ML_TRAINING_FEATURES values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [f"q{i}", start + pd.Timedelta(hours=5 * i), f"F{i}",
             None if missing else "ZA", None if missing else f"{100 + i}", "LHR", "JFK",
             "economy", i % 2, 420 + i, start + pd.Timedelta(days=9 + i),
             None if missing else 180, None if missing else 40 - i, 210.5 + i],
        )  # fmt: skip

    frame = load_training_frame(warehouse, max_rows)
    before = warehouse.query_df(training_sql(max_rows))  # DuckDB's .df(): the old read
    before.columns = [c.lower() for c in before.columns]
    pd.testing.assert_frame_equal(frame, derive_request_features(before))
    assert len(frame) == (max_rows or 6) and frame["carrier"].isna().sum() > 0
