"""Feeds without a row id (schedules, currency rates) reject bad rows one by one too.

Before Session 7 their reject listing named `quote_id`, which they do not have, so a
schedules or rates file with a few bad rows was quarantined whole as "cannot be read".
"""

from __future__ import annotations

from test_ingest import count

from flightprice.ingest.load import load_raw_files

SCHEDULE = "BA,{n},LHR,CDG,2026-09-15T06:30:00,2026-09-15T08:45:00,business,0,{capacity}"


def test_a_schedules_file_loads_without_its_bad_row(store, warehouse):
    header = "carrier,flight_number,origin,destination,departure_at,arrival_at,cabin,stops,capacity"
    rows = [SCHEDULE.format(n=100 + i, capacity=30) for i in range(19)]
    rows.insert(7, SCHEDULE.format(n=999, capacity=-3))
    store.write_bytes(
        "raw-data/schedules/2026-09-01/s.csv", "\n".join([header, *rows, ""]).encode()
    )
    report = load_raw_files(store, warehouse)
    assert report.quarantined == []
    assert report.loaded == [("raw-data/schedules/2026-09-01/s.csv", "schedules", 19)]
    assert count(warehouse, "RAW.SCHEDULES") == 19
    rejected = warehouse.query_arrow(
        "SELECT row_number, check_name, column_name, value, reason FROM RAW.REJECTED_ROWS"
    ).to_pylist()
    assert rejected == [{"row_number": 8, "check_name": "capacity_positive",
                         "column_name": "capacity", "value": "-3",
                         "reason": "column capacity: not positive ('-3')"}]  # fmt: skip


def test_a_rates_file_loads_without_its_bad_row(store, warehouse):
    rows = [f"2026-09-{day:02d},CHF,1.1" for day in range(1, 20)] + ["2026-09-20,chf,1.1"]
    store.write_bytes("raw-data/currency_rates/2026-09-20/rates.csv",
                      "\n".join(["date,currency,rate_to_usd", *rows, ""]).encode())  # fmt: skip
    report = load_raw_files(store, warehouse)
    assert report.quarantined == []
    assert report.rejected["raw-data/currency_rates/2026-09-20/rates.csv"][0] == 1
    assert count(warehouse, "RAW.CURRENCY_RATES") == 19
