"""A file ingest cannot read is quarantined with its reason; it never blocks the others."""

from __future__ import annotations

import json
import os

from flightprice.exit_codes import ExitCode
from flightprice.ingest.load import load_raw_files

DAY = "raw-data/fares/2026-09-01/"
HEADER = ("quote_id,observed_at,carrier,flight_number,origin,destination,departure_at,cabin,"
          "stops,duration_minutes,seats_remaining,price,currency")  # fmt: skip
ROW = "Q1,2026-08-01T08:00:00,LH,400,FRA,JFK,2026-09-15T10:30:00,economy,0,510,10,420.50,EUR"


def reason_of(store, key: str) -> dict:
    return json.loads(store.read_bytes(f"quarantine/{key}.reason.json"))


def test_a_header_field_over_128_kib_is_quarantined_not_retried_forever(store, warehouse):
    big = f"{DAY}big_header.csv"
    store.write_bytes(big, f"{HEADER},{'x' * 140_000}\n{ROW},\n".encode())
    store.write_bytes(f"{DAY}good.csv", f"{HEADER}\n{ROW}\n".encode())

    report = load_raw_files(store, warehouse)

    assert report.exit_code == ExitCode.QUARANTINED and report.failed == []
    assert [key for key, _ in report.quarantined] == [big]
    assert "header" in reason_of(store, big)["reason"]
    assert [key for key, *_ in report.loaded] == [f"{DAY}good.csv"]
    again = load_raw_files(store, warehouse)  # nothing left to fail on
    assert again.exit_code == ExitCode.OK and again.loaded == [] and again.quarantined == []


def test_a_link_out_of_the_lake_is_quarantined_and_never_followed(store, warehouse, tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text(f"{HEADER}\n{ROW.replace('Q1', 'SECRET')}\n")
    store.write_bytes(f"{DAY}good.csv", f"{HEADER}\n{ROW}\n".encode())
    link = store.root / DAY / "link.csv"
    os.symlink(outside, link)

    report = load_raw_files(store, warehouse)

    assert report.exit_code == ExitCode.QUARANTINED and report.failed == []
    assert report.quarantined[0][0] == f"{DAY}link.csv"
    assert "escapes the store" in reason_of(store, f"{DAY}link.csv")["reason"]
    assert [key for key, *_ in report.loaded] == [f"{DAY}good.csv"]
    ids = warehouse.query_arrow("SELECT quote_id FROM RAW.FARES").column(0).to_pylist()
    assert ids == ["Q1"]  # nothing read through the link
    moved = store.root / "quarantine" / DAY / "link.csv"
    assert moved.is_symlink() and not link.exists() and outside.read_text().startswith(HEADER)
    assert load_raw_files(store, warehouse).exit_code == ExitCode.OK
