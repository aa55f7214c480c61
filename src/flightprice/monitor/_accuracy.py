"""Realised accuracy: fares observed after a price was published, against its market fare.

For each quote observed in the last days, the latest price published for the same flight and
cabin before it was observed (PRICE_HISTORY.as_of, the data clock it was priced at) supplies
the model's market fare then; their absolute percentage error is the live error the holdout
promised.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flightprice.monitor._drift import Check

if TYPE_CHECKING:
    from flightprice.warehouse import Warehouse

OBSERVED_TABLE = "ANALYTICS.ML_TRAINING_FEATURES"
HISTORY_TABLE = "ML_PREDICTIONS.PRICE_HISTORY"
DTD_BUCKETS = ((0, 7, "0-6"), (7, 14, "7-13"), (14, 30, "14-29"), (30, 10**6, "30+"))
MATCHED_SQL = f"""
with observed as (
    select quote_id, flight_id, cabin, observed_at, departure_at, price_usd
    from {OBSERVED_TABLE}
    where observed_at > ?
),
matched as (
    select
        observed.observed_at, observed.departure_at, observed.price_usd,
        published.market_fare_usd,
        row_number() over (
            partition by observed.quote_id order by published.as_of desc
        ) as latest
    from observed
    inner join {HISTORY_TABLE} as published
        on published.flight_id = observed.flight_id
        and published.cabin = observed.cabin
        and published.as_of < observed.observed_at
)
select observed_at, departure_at, price_usd, market_fare_usd from matched where latest = 1
"""


def realised_accuracy(warehouse: Warehouse, days: int, threshold: float) -> list[Check]:
    """Return the realised MAPE overall (alerts), by observation day and by days to departure."""
    latest = warehouse.query_df(f"select max(observed_at) as latest from {OBSERVED_TABLE}")
    if latest.empty or pd.isna(latest.iloc[0, 0]):
        return [Check("accuracy", "overall", "mape", None, threshold, 0)]
    since = pd.Timestamp(latest.iloc[0, 0]).to_pydatetime() - timedelta(days=days)
    frame = warehouse.query_df(MATCHED_SQL, [since])
    frame.columns = [c.lower() for c in frame.columns]
    if frame.empty:
        return [Check("accuracy", "overall", "mape", None, threshold, 0)]
    observed = frame["price_usd"].to_numpy("float64")
    frame["ape"] = np.abs(frame["market_fare_usd"].to_numpy("float64") - observed) / observed
    checks = [Check("accuracy", "overall", "mape", float(frame["ape"].mean()), threshold,
                    len(frame))]  # fmt: skip
    days_of = pd.to_datetime(frame["observed_at"]).dt.strftime("day %Y-%m-%d")
    for day, group in frame.groupby(days_of, sort=True):
        checks.append(Check("accuracy", str(day), "mape", float(group["ape"].mean()), None,
                            len(group)))  # fmt: skip
    left = (pd.to_datetime(frame["departure_at"]) - pd.to_datetime(frame["observed_at"])).dt.days
    for low, high, label in DTD_BUCKETS:
        group = frame[(left >= low) & (left < high)]
        if len(group):
            checks.append(Check("accuracy", f"days to departure {label}", "mape",
                                float(group["ape"].mean()), None, len(group)))  # fmt: skip
    return checks
