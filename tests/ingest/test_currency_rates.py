"""Ingest: the currency_rates feed, and fares checked in USD at the rate of their date."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pytest

from flightprice.exit_codes import ExitCode
from flightprice.ingest._rates import overlay, shipped_rates
from flightprice.ingest.load import RawFile, Rejection, ValidatedFile, load_raw_files, validate_file

RATES_KEY = "raw-data/currency_rates/2026-09-01/currency_rates.csv"
FARES_KEY = "raw-data/fares/2026-09-03/fares.csv"


def fare(quote_id: str, price: float, currency: str, observed_at: str = "2026-09-03T08:00:00"):
    """Return one business fare DEL-JFK that meets the contract but for what is given."""
    return {"quote_id": quote_id, "observed_at": observed_at, "carrier": "AI",
            "flight_number": "101", "origin": "DEL", "destination": "JFK",
            "departure_at": "2026-09-20T01:00:00", "cabin": "business", "stops": "1",
            "duration_minutes": "960", "seats_remaining": "4", "price": repr(price),
            "currency": currency}  # fmt: skip


def rate(day: str, currency: str, rate_to_usd: float) -> dict[str, str]:
    return {"date": day, "currency": currency, "rate_to_usd": repr(rate_to_usd)}


def csv_bytes(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def validate(tmp_path, rows: list[dict], rates=None) -> ValidatedFile | Rejection:
    path = tmp_path / "fares.csv"
    path.write_bytes(csv_bytes(rows))
    # Delivered in the folder of the latest observation below: a fare observed after its
    # folder's day is rejected (issue 10 item 4), which these tests are not about.
    key = FARES_KEY.replace("2026-09-03", "2026-09-10")
    return validate_file(RawFile(key, "fares", "csv", "h"), path, rates)


def count(warehouse, table: str, where: str = "true") -> int:
    return warehouse.query_arrow(f"SELECT count(*) FROM {table} WHERE {where}").column(0)[0].as_py()


def seed_rate(currency: str, day: str) -> float:
    """Return the shipped rate in force on `day` (ISO date): the latest on or before it."""
    rows = shipped_rates().to_pylist()
    return max((r for r in rows if r["currency"] == currency and str(r["date"]) <= day),
               key=lambda r: r["date"])["rate_to_usd"]  # fmt: skip


# -- price bounds in USD ------------------------------------------------------------------


def test_an_expensive_inr_fare_passes_while_the_same_number_in_usd_is_refused(tmp_path):
    inr = 250_000 * seed_rate("INR", "2026-09-03")
    assert 1_000 < inr < 10_000  # about 3,000 USD: far under the 100,000 USD cap

    assert isinstance(validate(tmp_path, [fare("Q1", 250_000.0, "INR")]), ValidatedFile)
    result = validate(tmp_path, [fare("Q1", 250_000.0, "INR"), fare("Q2", 200_000.0, "USD")])

    assert isinstance(result, Rejection)
    (check,) = result.checks
    assert (check.check, check.column, check.examples) == (
        "price_range",
        "price",
        ((2, "200000.0 USD = 200000.00 USD"),),
    )


def test_a_currency_with_no_rate_on_or_before_the_observation_is_refused(tmp_path):
    thb = overlay(shipped_rates(), _rates_table([rate("2026-09-05", "THB", 0.03)]))
    rows = [fare("Q1", 5_000.0, "THB"), fare("Q2", 5_000.0, "THB", "2026-09-05T00:30:00"),
            fare("Q3", 10.0, "XYZ")]  # fmt: skip

    result = validate(tmp_path, rows, thb)

    assert isinstance(result, Rejection)
    (check,) = result.checks
    assert (check.check, check.column, check.failures) == ("currency", "currency", 2)
    assert check.examples == ((1, "currency THB has no rate on or before 2026-09-03"),
                              (3, "currency XYZ has no rate on or before 2026-09-03"))  # fmt: skip


def test_the_rate_of_the_nearest_earlier_date_converts_each_fare(tmp_path):
    # 8,000,000 INR: 96,000 USD at 0.012 (in the cap), 104,000 USD at 0.013 (over it).
    rates = overlay(shipped_rates(), _rates_table([rate("2026-09-01", "INR", 0.012),
                                                   rate("2026-09-10", "INR", 0.013)]))  # fmt: skip
    before = [fare("Q1", 8e6, "INR", "2026-09-09T23:59:59")]
    on_change = [fare("Q1", 8e6, "INR", "2026-09-10T00:00:00")]
    # An offset moves the UTC day: 2026-09-10 01:00 at +05:30 is still 2026-09-09 in UTC.
    local_time = [fare("Q1", 8e6, "INR", "2026-09-10T01:00:00+05:30")]

    assert isinstance(validate(tmp_path, before, rates), ValidatedFile)
    assert isinstance(validate(tmp_path, on_change, rates), Rejection)
    assert isinstance(validate(tmp_path, local_time, rates), ValidatedFile)


def _rates_table(rows: list[dict[str, str]]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"date": r["date"], "currency": r["currency"], "rate_to_usd": float(r["rate_to_usd"])}
         for r in rows]
    ).cast(pa.schema([("date", pa.date32()), ("currency", pa.string()),
                      ("rate_to_usd", pa.float64())]))  # fmt: skip


# -- the feed -----------------------------------------------------------------------------


def test_the_rates_feed_loads_once_and_converts_the_fares_of_the_same_run(store, warehouse):
    # THB is not in the shipped history: only the feed, loaded first in the run, converts it.
    store.write_bytes(RATES_KEY, csv_bytes([rate("2026-09-01", "THB", 0.03),
                                            rate("2026-09-01", "INR", 0.0119)]))  # fmt: skip
    store.write_bytes(FARES_KEY, csv_bytes([fare("Q1", 20_000.0, "THB")]))

    first = load_raw_files(store, warehouse, run_id="r1")

    assert first.exit_code == ExitCode.OK, first.quarantined
    assert first.loaded == [(RATES_KEY, "currency_rates", 2), (FARES_KEY, "fares", 1)]
    rows = warehouse.query_arrow(
        "SELECT date, currency, rate_to_usd, _source_file FROM RAW.CURRENCY_RATES ORDER BY 2"
    ).to_pylist()
    assert [(str(r["date"]), r["currency"], r["rate_to_usd"]) for r in rows] == [
        ("2026-09-01", "INR", 0.0119), ("2026-09-01", "THB", 0.03)]  # fmt: skip
    assert {r["_source_file"] for r in rows} == {RATES_KEY}

    second = load_raw_files(store, warehouse, run_id="r2")

    assert second.loaded == [] and sorted(second.skipped_already_loaded) == [RATES_KEY, FARES_KEY]
    assert count(warehouse, "RAW.CURRENCY_RATES") == 2
    # A later run still converts THB: the loaded feed is read back from the warehouse.
    later = "raw-data/fares/2026-09-04/fares.csv"
    store.write_bytes(later, csv_bytes([fare("Q9", 20_000.0, "THB", "2026-09-04T08:00:00")]))
    assert load_raw_files(store, warehouse, run_id="r3").loaded == [(later, "fares", 1)]


def test_a_fare_in_a_currency_only_a_later_delivery_converts_is_refused(store, warehouse):
    store.write_bytes(FARES_KEY, csv_bytes([fare("Q1", 20_000.0, "THB")]))
    store.write_bytes("raw-data/currency_rates/2026-09-04/currency_rates.csv",
                      csv_bytes([rate("2026-09-04", "THB", 0.03)]))  # fmt: skip

    report = load_raw_files(store, warehouse)

    assert [key for key, _ in report.quarantined] == [FARES_KEY]
    assert "currency THB has no rate on or before 2026-09-03" in report.quarantined[0][1]


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ([rate("2026-09-01", "INR", -0.012)], "column rate_to_usd: 1 row not positive"),
        ([rate("2026-09-01", "inr", 0.012)], "not a currency code [A-Z]{3} (row 1: 'inr')"),
        ([rate("2026-09-01T00:00:00", "INR", 0.012)], "column date: 1 row not an ISO 8601 date"),
        (
            [rate("2026-09-01", "INR", 0.012), rate("2026-09-01", "INR", 0.013)],
            "2 rows repeating a date and currency of this file",
        ),
    ],
)
def test_a_bad_rates_file_is_quarantined_with_its_reason(store, warehouse, rows, words):
    store.write_bytes(RATES_KEY, csv_bytes(rows))

    report = load_raw_files(store, warehouse)

    assert [key for key, _ in report.quarantined] == [RATES_KEY]
    assert words in report.quarantined[0][1]
    assert count(warehouse, "RAW.CURRENCY_RATES") == 0


def test_overlay_lets_the_latest_delivery_win_for_a_date_and_currency():
    seed = _rates_table([rate("2026-09-01", "INR", 0.012), rate("2026-09-01", "EUR", 1.08)])
    feed = _rates_table([rate("2026-09-01", "INR", 0.011), rate("2026-09-01", "INR", 0.0115)])

    merged = {(str(r["date"]), r["currency"]): r["rate_to_usd"]
              for r in overlay(seed, feed).to_pylist()}  # fmt: skip

    assert merged == {("2026-09-01", "INR"): 0.0115, ("2026-09-01", "EUR"): 1.08}
    assert overlay(seed, feed).num_rows == 2
