"""Local scoring publishes exactly what one `quote` call over every row gives: the chunked,
threaded, Arrow-to-DuckDB path (and its speed-ups) must not move a price, a reason or a flag."""

from __future__ import annotations

import pyarrow as pa
import pytest

from flightprice import registry
from flightprice.pricing.params import PricingParams
from flightprice.score.batch import READ_SQL, run_scoring
from flightprice.serve._request_table import request_frame
from flightprice.serve.quoting import quote
from flightprice.store import open_store
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow

KEY = ["flight_id", "cabin"]
PRICED = ["price_usd", "market_fare_usd", "demand_adjustment", "urgency_adjustment",
          "guardrail", "reasons", "days_to_departure", "unseen", "confidence", "fare_source"]  # fmt: skip


def sorted_by_key(table: pa.Table) -> pa.Table:
    return table.sort_by([(name, "ascending") for name in KEY])


def test_chunked_local_scoring_is_byte_identical_to_one_quote_of_every_row(
    champion_home, make_settings
):
    settings = make_settings(champion_home, scoring_chunk_rows=700)
    # A first run with a stronger urgency publishes the references the second run is limited by.
    urgent = PricingParams(urgency_window_days=90, max_urgency_adjustment=0.6)
    run_scoring(settings.model_copy(update={"pricing": urgent}), mode="local", run_id="first")
    report = run_scoring(settings, mode="local", run_id="second")

    with open_warehouse(settings, read_only=True) as wh:
        model = registry.load_champion(wh, open_store(settings))
        # The rows as the second run read them (its reference: the first run's prices).
        rows = wh.query_arrow(READ_SQL, ["second"])
        history = wh.query_arrow(
            "SELECT * FROM ML_PREDICTIONS.PRICE_HISTORY WHERE run_id = 'second'"
        )
        published = wh.query_arrow("SELECT * FROM ML_PREDICTIONS.FLIGHT_PRICES")
    expected = quote(model, request_frame(rows), settings.pricing).to_arrow()
    expected = sorted_by_key(
        pa.table({
            **{name: rows.column(name) for name in KEY},
            **{name: expected.column(name) for name in PRICED},
            "previous_price_usd": rows.column("last_price"),
        })
    )  # fmt: skip

    assert report.rows == rows.num_rows > 1400  # several chunks
    assert (pa.compute.sum(pa.compute.not_equal(expected["guardrail"], "none")).as_py()) > 100
    columns = [*KEY, *PRICED, "previous_price_usd"]
    assert sorted_by_key(history.select(columns)).equals(expected.select(columns))
    assert sorted_by_key(published.select(columns)).equals(expected.select(columns))
