"""File names are taken literally: `[ab]`, `*`, `?` in a name never read another file."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from flightprice.ingest.load import load_raw_files

DAY = "raw-data/fares/2026-09-01/"
HEADER = ("quote_id,observed_at,carrier,flight_number,origin,destination,departure_at,cabin,"
          "stops,duration_minutes,seats_remaining,price,currency\n")  # fmt: skip


def fares(*quote_ids: str) -> bytes:
    rows = "".join(f"{q},2026-08-01T08:00:00,LH,400,FRA,JFK,2026-09-15T10:30:00,economy,0,510,"
                   "10,420.50,EUR\n" for q in quote_ids)  # fmt: skip
    return (HEADER + rows).encode()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_glob_characters_in_raw_file_names_read_only_that_file(store, warehouse, fmt):
    names = {"fares_a": ["A1"], "fares_b": ["B1", "B2"], "fares_[ab]": ["GLOB1"],
             "*": ["STAR1"], "a?": ["QMARK1"], "a1": ["A1X"]}  # fmt: skip
    for name, ids in names.items():
        data = fares(*ids)
        if fmt == "parquet":
            sink = pa.BufferOutputStream()
            pq.write_table(pa_csv.read_csv(pa.py_buffer(data)), sink)
            data = sink.getvalue().to_pybytes()
        store.write_bytes(f"{DAY}{name}.{fmt}", data)

    report = load_raw_files(store, warehouse)

    assert report.quarantined == [] and report.failed == []
    loaded = warehouse.query_arrow(
        "SELECT _source_file, list(quote_id ORDER BY quote_id) AS ids FROM RAW.FARES GROUP BY ALL"
    ).to_pylist()
    got = {row["_source_file"].removeprefix(DAY).rsplit(".", 1)[0]: row["ids"] for row in loaded}
    assert got == {name: sorted(ids) for name, ids in names.items()}


def test_duckdb_load_file_reads_the_named_parquet_file_only(warehouse, tmp_path):
    columns = ["path", "content_hash", "feed", "rows_loaded", "loaded_at"]
    for name, n in [("m_a.parquet", 1), ("m_b.parquet", 2), ("m_[ab].parquet", 3),
                    ("*.parquet", 4)]:  # fmt: skip
        pq.write_table(pa.table({"path": [f"{name}{i}" for i in range(n)], "content_hash": ["h"] * n,
                                 "feed": ["fares"] * n, "rows_loaded": list(range(n)),
                                 "loaded_at": [datetime(2026, 9, 1)] * n}),
                       tmp_path / name)  # fmt: skip
    assert warehouse.load_file("RAW.LOAD_MANIFEST", tmp_path / "m_[ab].parquet", columns) == 3
    assert warehouse.load_file("RAW.LOAD_MANIFEST", tmp_path / "*.parquet", columns) == 4
