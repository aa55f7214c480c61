"""Proof 3: a corpus of hostile files is rejected or quarantined, each with a reason naming
it, while every good file of the same batch loads. The corpus is generated here (tmp_path)."""

from __future__ import annotations

import io
import json
import os

import pyarrow as pa
import pyarrow.csv  # binds pa.csv
import pyarrow.parquet as pq

from flightprice.ingest.load import load_raw_files

DAY = "raw-data/fares/2026-09-01/"
COLUMNS = ["quote_id", "observed_at", "carrier", "flight_number", "origin", "destination",
           "departure_at", "cabin", "stops", "duration_minutes", "seats_remaining", "price",
           "currency"]  # fmt: skip
HEADER = ",".join(COLUMNS)


def row(quote_id: str, **change: str) -> str:
    values = {"quote_id": quote_id, "observed_at": "2026-08-20T08:00:00", "carrier": "LH",
              "flight_number": "400", "origin": "FRA", "destination": "JFK",
              "departure_at": "2026-09-15T10:30:00", "cabin": "economy", "stops": "0",
              "duration_minutes": "510", "seats_remaining": "10", "price": "420.50",
              "currency": "EUR", **change}  # fmt: skip
    return ",".join(values[c] for c in COLUMNS)


def csv(prefix: str, n: int = 3, bad: dict[int, dict[str, str]] | None = None) -> bytes:
    bad = bad or {}
    lines = [HEADER] + [row(f"{prefix}{i}", **bad.get(i, {})) for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def all_bad(prefix: str, n: int = 3, **change: str) -> bytes:
    return csv(prefix, n, {i: change for i in range(n)})


def parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def good_parquet(prefix: str, n: int = 4) -> bytes:
    return parquet(pa.csv.read_csv(io.BytesIO(csv(prefix, n))))


def hostile_corpus() -> dict[str, bytes]:
    """Name -> bytes of files that must not load whole (the key is DAY + name)."""
    mixed = {i: {} for i in range(20)}
    return {
        "wrong_types.csv": all_bad("WT", price="abc", stops="two"),
        "latin1.csv": csv("L1").replace(b"FRA", "FRÄ".encode("latin-1")),
        "utf16.csv": csv("U16").decode().encode("utf-16"),
        "truncated.parquet": good_parquet("TP")[:-40],
        "empty.csv": b"",
        "empty.parquet": b"",
        "header_only.csv": (HEADER + "\n").encode(),
        "huge_header_field.csv": f"{HEADER},{'h' * 140_000}\n{row('HH0')},\n".encode(),
        "huge_value.csv": all_bad("HV", n=1, carrier="C" * 300_000),
        "nul_bytes.csv": csv("NUL").replace(b"LH,", b"L\x00H,"),
        "fares_[ab].csv": all_bad("GB", cabin="steerage"),
        "*.csv": all_bad("ST", origin="??"),
        "a?.csv": all_bad("QM", currency="XXX"),
        "$(touch pwned); rm -rf ~ `id` 'q' \"d\".csv": all_bad("SH", price="-1"),
        "färes_✈_日本.csv": all_bad("UNI", stops="9"),
        ("long_" + "x" * 200 + ".csv"): all_bad("LONG", duration_minutes="0"),
        "year_1.csv": all_bad("Y1", observed_at="0001-01-01T00:00:00"),
        "year_9999_one_row.csv": csv(
            "Y9", 20, {**mixed, 7: {"departure_at": "9999-12-31T23:59:00"}}
        ),
        "future_observed.csv": all_bad("FU", observed_at="2099-01-01T00:00:00"),
        "stale_departed.csv": all_bad("SD", departure_at="2026-08-01T00:00:00"),
        "duplicate_ids.csv": csv("DUP", 4).replace(b"DUP1,", b"DUP0,").replace(b"DUP2,", b"DUP0,"),
        "missing_column.csv": "\n".join(
            ",".join(line.split(",")[:-1]) for line in csv("MC").decode().splitlines()
        ).encode(),
        "semicolons.csv": csv("SC").replace(b",", b";"),
        "unterminated_quote.csv": csv("UQ").replace(b"LH,400", b'"LH,400', 1),
        "png.csv": b"\x89PNG\r\n\x1a\n" + os.urandom(256),
        "json.csv": json.dumps([{"quote_id": "J1"}]).encode(),
        "parquet_named.csv": good_parquet("PNC"),
        "price_as_list.parquet": parquet(
            pa.csv.read_csv(io.BytesIO(csv("PL"))).set_column(
                11, "price", pa.array([[1.0], [2.0], [3.0]], pa.list_(pa.float64()))
            )
        ),
    }


def test_each_hostile_file_is_set_aside_with_a_reason_and_good_files_load(
    store, warehouse, tmp_path
):
    corpus = hostile_corpus()
    for name, data in corpus.items():
        store.write_bytes(DAY + name, data)
    outside = tmp_path / "outside.csv"
    outside.write_bytes(csv("OUT"))
    os.symlink(outside, store.root / DAY / "link_out.csv")
    store.write_bytes("raw-data/fares/not-a-date/bad_layout.csv", csv("BL"))
    good = {DAY + "good_1.csv": 5, DAY + "good_2.parquet": 4, DAY + "a1.csv": 3}
    store.write_bytes(DAY + "good_1.csv", csv("G1", 5))
    store.write_bytes(DAY + "good_2.parquet", good_parquet("G2", 4))
    store.write_bytes(DAY + "a1.csv", csv("G3", 3))  # what `a?.csv` would glob
    hostile = {DAY + n for n in corpus} | {DAY + "link_out.csv",
                                          "raw-data/fares/not-a-date/bad_layout.csv"}  # fmt: skip
    assert len(hostile) >= 25

    report = load_raw_files(store, warehouse)

    assert report.failed == []
    reasons = dict(report.quarantined)
    reasons.update({key: summary for key, (_, summary) in report.rejected.items()})
    assert set(reasons) == hostile, set(reasons) ^ hostile
    for key in hostile:
        assert reasons[key], key  # a reason, and the report names the file
        if key in dict(report.quarantined):
            reason = json.loads(store.read_bytes(f"quarantine/{key}.reason.json"))
            assert reason["key"] == key and reason["reason"]
    assert not (tmp_path / "pwned").exists() and outside.exists()
    loaded = {key: n for key, _, n in report.loaded}
    assert {k: loaded[k] for k in good} == good  # every good file, whole
    assert loaded[DAY + "year_9999_one_row.csv"] == 19  # its good rows load, the bad one not
    sources = warehouse.query_arrow(
        "SELECT _source_file, count(*) AS n FROM RAW.FARES GROUP BY ALL"
    ).to_pylist()
    assert {r["_source_file"]: r["n"] for r in sources} == loaded
