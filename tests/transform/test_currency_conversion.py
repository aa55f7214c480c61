"""The same fare in USD and in INR, at the INR rate of its date, is the same USD fare."""

from __future__ import annotations

import csv
import io

import pytest

from flightprice.ingest.load import load_raw_files
from flightprice.settings import Settings
from flightprice.store import LocalStore
from flightprice.warehouse import setup_warehouse
from flightprice.warehouse.duckdb import DuckDBWarehouse

pytestmark = pytest.mark.slow


def _csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def _fare(quote_id: str, observed_at: str, price: str, currency: str) -> dict[str, str]:
    return {"quote_id": quote_id, "observed_at": observed_at, "carrier": "AI",
            "flight_number": "101", "origin": "DEL", "destination": "JFK",
            "departure_at": "2026-09-20T01:00:00", "cabin": "economy", "stops": "0",
            "duration_minutes": "960", "seats_remaining": "9", "price": price,
            "currency": currency}  # fmt: skip


def test_usd_and_inr_quotes_of_one_fare_get_one_usd_price(tmp_path, invoke_dbt, query_rows):
    store, path = LocalStore(tmp_path / "lake"), tmp_path / "warehouse.duckdb"
    # The feed moves INR from the shipped 0.012 (2026-09-01) to 0.0125 on 2026-09-02.
    store.write_bytes("raw-data/currency_rates/2026-09-02/currency_rates.csv",
                      _csv([{"date": "2026-09-02", "currency": "INR", "rate_to_usd": "0.0125"}]))
    store.write_bytes("raw-data/fares/2026-09-03/fares.csv", _csv([
        _fare("usd", "2026-09-03T08:00:00", "300.00", "USD"),
        _fare("inr-new-rate", "2026-09-03T08:00:00", "24000", "INR"),  # 24,000 x 0.0125
        _fare("inr-old-rate", "2026-09-01T23:00:00", "25000", "INR"),  # 25,000 x 0.012
        # The local evening of 09-02 at +05:30 is still 09-02 in UTC: the new rate.
        _fare("inr-offset", "2026-09-02T22:00:00+05:30", "24000", "INR"),
    ]))  # fmt: skip
    warehouse = DuckDBWarehouse(path)
    try:
        setup_warehouse(warehouse, Settings(home=tmp_path))
        report = load_raw_files(store, warehouse)
    finally:
        warehouse.close()
    assert report.exit_code == 0 and report.totals["rows_loaded"] == 5, report.to_dict()

    result = invoke_dbt(
        path, "build", "--select", "+fct_fare_observation", "--indirect-selection", "cautious"
    )

    assert result.success, result.exception
    rows = query_rows(
        path, "SELECT quote_id, currency, price_local, price_usd FROM ANALYTICS.FCT_FARE_OBSERVATION"
    )
    prices = {r["quote_id"]: r["price_usd"] for r in rows}
    assert prices == {
        "usd": 300.0, "inr-new-rate": 300.0, "inr-old-rate": pytest.approx(300.0),
        "inr-offset": 300.0,
    }  # fmt: skip
