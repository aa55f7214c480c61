"""The bookings feed: the same contract checks, rejects and quarantine as fares, into RAW.BOOKINGS."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from flightprice.exit_codes import ExitCode
from flightprice.ingest.load import IngestPolicy, load_raw_files

KEY = "raw-data/bookings/2026-09-03/bookings.csv"
POLICY = IngestPolicy(now=datetime(2026, 12, 1))


def _rows(n: int) -> list[dict[str, str]]:
    return [
        {"booking_id": f"B{i}", "booked_at": f"2026-09-03T{i % 24:02d}:10:00", "carrier": "BA",
         "flight_number": "117", "origin": "LHR", "destination": "JFK",
         "departure_at": "2026-10-01T18:30:00", "cabin": "economy", "seats": str(1 + i % 3),
         "price_paid": f"{300 + i}.50", "currency": "USD"}
        for i in range(n)
    ]  # fmt: skip


def _csv(rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def _rejected(warehouse) -> list[tuple]:
    return [tuple(r.values()) for r in warehouse.query_arrow(
        "SELECT row_number, check_name, column_name FROM RAW.REJECTED_ROWS ORDER BY row_number"
    ).to_pylist()]  # fmt: skip


def test_a_good_bookings_file_loads_whole_and_once(store, warehouse):
    store.write_bytes(KEY, _csv(_rows(12)))
    report = load_raw_files(store, warehouse, policy=POLICY)
    assert report.loaded == [(KEY, "bookings", 12)] and report.exit_code == ExitCode.OK
    row = warehouse.query_arrow(
        "SELECT booking_id, booked_at, seats, price_paid, _source_file FROM RAW.BOOKINGS"
        " WHERE booking_id = 'B5'"
    ).to_pylist()[0]
    assert row == {"booking_id": "B5", "booked_at": datetime(2026, 9, 3, 5, 10), "seats": 3,
                   "price_paid": 305.5, "_source_file": KEY}  # fmt: skip
    again = load_raw_files(store, warehouse, policy=POLICY)
    assert again.loaded == [] and again.skipped_already_loaded == [KEY]


def test_bad_bookings_are_rejected_with_their_check_and_the_rest_loads(store, warehouse):
    rows = _rows(120)
    bad = {
        1: ("seats", "0"), 2: ("seats", "12"), 3: ("seats", "1.5"), 4: ("price_paid", "-3"),
        5: ("booked_at", "2026-10-02T00:00:00"),  # after departure
        6: ("currency", "XXX"), 7: ("cabin", "coach"), 8: ("booking_id", "B0"),  # duplicate
        9: ("booked_at", "2026-09-20T00:00:00"),  # after its delivery folder + 24 h
        10: ("price_paid", "250000"),  # over the USD ceiling
    }  # fmt: skip
    for row, (column, value) in bad.items():
        rows[row][column] = value
    store.write_bytes(KEY, _csv(rows))
    report = load_raw_files(store, warehouse, policy=POLICY)
    assert report.loaded == [(KEY, "bookings", 110)] and report.quarantined == []
    assert _rejected(warehouse) == [
        (2, "seats_range", "seats"), (3, "seats_range", "seats"), (4, "type", "seats"),
        (5, "price_positive", "price_paid"), (6, "booked_before_departure", "booked_at"),
        (7, "currency", "currency"), (8, "cabin", "cabin"), (9, "unique_booking_id", "booking_id"),
        (10, "booked_after_delivery", "booked_at"), (11, "price_range", "price_paid"),
    ]  # fmt: skip
    kept = warehouse.query_arrow("SELECT booking_id FROM RAW.BOOKINGS").column(0).to_pylist()
    assert "B0" in kept and kept.count("B0") == 1  # the first of a duplicated id is kept


def test_a_bookings_file_over_the_reject_share_is_quarantined_with_its_reason(store, warehouse):
    rows = _rows(10)
    for row in rows[:3]:
        row["seats"] = "0"
    store.write_bytes(KEY, _csv(rows))
    report = load_raw_files(store, warehouse, policy=POLICY)
    assert [k for k, _ in report.quarantined] == [KEY] and report.exit_code == ExitCode.QUARANTINED
    reason = json.loads(store.read_bytes(f"quarantine/{KEY}.reason.json"))
    assert reason["bad_rows"] == 3 and reason["checks"][0]["check"] == "seats_range"
    assert warehouse.query_arrow("SELECT count(*) FROM RAW.BOOKINGS").column(0)[0].as_py() == 0


def test_bookings_convert_at_rates_delivered_in_the_same_run(store, warehouse):
    # SEK has no shipped rate: only the same run's rates file makes these bookings valid, and
    # raw-data/bookings/ sorts before raw-data/currency_rates/.
    rows = [{**r, "currency": "SEK", "price_paid": "3000"} for r in _rows(5)]
    store.write_bytes(KEY, _csv(rows))
    store.write_bytes("raw-data/currency_rates/2026-09-03/currency_rates.csv",
                      b"date,currency,rate_to_usd\n2026-09-01,SEK,0.095\n")  # fmt: skip
    report = load_raw_files(store, warehouse, policy=POLICY)
    assert report.quarantined == [] and (KEY, "bookings", 5) in report.loaded
