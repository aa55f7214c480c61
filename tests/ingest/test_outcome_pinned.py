"""Ingest's outcome on a messy lake, pinned: what loads, what is rejected and why, what is
quarantined, the report and the logs, and that a second run adds nothing.

`data/pinned_outcome.json` was written by the row-by-row validator before validation moved to
one typed read (Session 7, issue 15), so this test is the old-vs-new comparison; it stays to
pin the outcome. After an intended change of outcome, rewrite it with
`python tests/ingest/test_outcome_pinned.py` and review the diff.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from flightprice.ingest.load import IngestPolicy, load_raw_files
from flightprice.settings import Settings
from flightprice.store import LocalStore
from flightprice.synth import generate_market
from flightprice.warehouse import setup_warehouse
from flightprice.warehouse.duckdb import DuckDBWarehouse

PINNED = Path(__file__).parent / "data" / "pinned_outcome.json"
POLICY = IngestPolicy(now=datetime(2026, 9, 10, 12, 0))
HEADER = ("quote_id,observed_at,carrier,flight_number,origin,destination,departure_at,cabin,"
          "stops,duration_minutes,seats_remaining,price,currency")  # fmt: skip
GOOD = "2026-09-02T08:00:00,LH,400,FRA,JFK,2026-09-15T10:30:00,economy,0,510,12,420.50,EUR"
# Hand-made deliveries beside the realistic market's own bad rows (key -> bytes).
ODD_FILES: dict[str, bytes] = {
    # Every row check, offsets, `3.0` integers, blanks, an extra and an unnamed column.
    "raw-data/fares/2026-09-02/odd.csv": "\n".join(
        [
            HEADER + ",note,",
            *(f"OK{i},{GOOD},fine,x" for i in range(200)),
            "A1,2026-09-02T08:00:00+02:00,LH,400,FRA,JFK,2026-09-15T10:30:00Z,economy,3.0,510,,99,USD,,",
            "A2,2026-09-02 08:00,LH,400,FRA,JFK,2026-09-15,economy,2.5,510,1,NaN,GBP,,",
            "A3,yesterday,lh,4000,fra,FRA,2026-09-15T10:30:00,first,9,5,-1,0,eur,,",
            " ,2026-09-02T08:00:00,LH,,FRA,JFK,2026-09-01T10:30:00,economy,0,510,1,1e9,XXX,,",
            "OK1,2026-09-02T08:00:00,LH,400,FRA,JFK,2026-09-15T10:30:00,economy,0,510,1,inf,EUR,,",
            "A5,2099-01-01T00:00:00,LH,400,FRA,JFK,2099-09-15T10:30:00,economy,0,510,1,420,EUR,,",
            "A6,2026-09-02T08:00:00,LH,400,FRA,JFK,2028-09-15T10:30:00,business,,510,,420,JPY,,",
            '"A7",2026-09-02T08:00:00,"LH","40""0",FRA,JFK,2026-09-15T10:30:00,economy,0,510,1,0.5,EUR,,',
            "",
        ]
    ).encode(),
    # Invalid UTF-8 in an ignored column, a row with one field too many, a missing column.
    "raw-data/fares/2026-09-02/bad_bytes.csv": (
        HEADER + ",extra\nB1," + GOOD + ",\xff\xfe\n"
    ).encode("latin-1"),
    "raw-data/fares/2026-09-02/too_many.csv": (
        HEADER + "\nC1," + GOOD + "\nC2," + GOOD + ",x\n"
    ).encode(),
    "raw-data/fares/2026-09-02/no_price.csv": (
        HEADER.replace(",price", "") + "\nD1," + GOOD.replace(",420.50", "") + "\n"
    ).encode(),
    "raw-data/fares/2026-09-02/no_price_bad.csv": (
        HEADER.replace(",price", "") + "\nD1," + GOOD + ",y\n"
    ).encode(),
    "raw-data/fares/2026-09-02/header_only.csv": (HEADER + "\n").encode(),
    "raw-data/fares/2026-09-02/empty.csv": b"",
    "raw-data/fares/2026-09-02/dupe_header.csv": (HEADER + ",price\n").encode(),
    "raw-data/fares/2026-09-02/mostly_bad.csv": (
        HEADER
        + "\n"
        + "\n".join(f"M{i},{GOOD.replace('LH', 'L' if i % 2 else 'LH')}" for i in range(10))
        + "\n"
    ).encode(),
    "raw-data/fares/09-02/wrong_folder.csv": (HEADER + "\nW1," + GOOD + "\n").encode(),
    "raw-data/currency_rates/2026-09-02/rates.csv": b"date,currency,rate_to_usd\n"
    b"2026-09-02,EUR,1.1\n2026-09-02,GBP,1.3\n2026-09-02,GBP,1.31\n2026-09-02,usd,1\n"
    b"2026-09-02T00:00,CHF,1.2\n2026-09-02,SEK,-1\n"
    + b"".join(b"2026-09-%02d,%s,1.1\n" % (d, c) for d in range(3, 10) for c in (b"EUR", b"CHF")),
    "raw-data/bookings/2026-09-02/bookings.csv": b"booking_id,booked_at,carrier,flight_number,"
    b"origin,destination,departure_at,cabin,seats,price_paid,currency\n"
    + b"".join(
        b"K%d,2026-09-02T09:00:00,LH,400,FRA,JFK,2026-09-15T10:30:00,economy,2,300,EUR\n" % i
        for i in range(20)
    )
    + b"K1,2026-09-02T09:00:00,LH,400,FRA,JFK,2026-09-15T10:30:00,economy,0,300,ZZZ\n",
}


def _parquet_fares() -> bytes:
    """A typed Parquet delivery with one bad row (a negative price)."""
    n = 20
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({
        "quote_id": [f"P{i}" for i in range(n)],
        "observed_at": pa.array([datetime(2026, 9, 2, 8)] * n),
        "carrier": ["LH"] * n, "flight_number": ["400"] * n, "origin": ["FRA"] * n,
        "destination": ["JFK"] * n, "departure_at": pa.array([datetime(2026, 9, 15)] * n),
        "cabin": ["economy"] * n, "stops": pa.array([i % 2 for i in range(n)], pa.int64()),
        "duration_minutes": pa.array([510.0] * n), "seats_remaining": pa.array([None, *range(1, n)]),
        "price": pa.array([-1.0, *[420.0 + i for i in range(1, n)]]), "currency": ["EUR"] * n,
    }), sink)  # fmt: skip
    return sink.getvalue().to_pybytes()


def messy_outcome(root: Path) -> dict:
    """Ingest the messy lake twice into a fresh warehouse under `root`; return what it did."""
    store = LocalStore(root / "lake")
    generate_market(store, start=date(2026, 9, 1), days=3, routes=5, seed=11,
                    profile="realistic")  # fmt: skip
    for key, content in ODD_FILES.items():
        store.write_bytes(key, content)
    store.write_bytes("raw-data/fares/2026-09-02/typed.parquet", _parquet_fares())
    warehouse = DuckDBWarehouse(root / "warehouse.duckdb")
    try:
        setup_warehouse(warehouse, Settings(home=root))
        runs = [load_raw_files(store, warehouse, policy=POLICY).to_dict() for _ in range(2)]
        outcome = {"runs": [_stable(run) for run in runs], **_tables(warehouse)}
    finally:
        warehouse.close()
    quarantine = root / "lake" / "quarantine"
    outcome["quarantine"] = {
        str(p.relative_to(quarantine)): _quarantined(p)
        for p in sorted(quarantine.rglob("*")) if p.is_file()
    }  # fmt: skip
    return outcome


def _stable(run: dict) -> dict:
    return {k: v for k, v in run.items() if k not in ("run_id", "duration_seconds")}


def _tables(warehouse: DuckDBWarehouse) -> dict:
    """Each RAW table's rows (a digest of the sorted rows), the rejects and the quality log."""
    digests = {}
    for table in ("FARES", "SCHEDULES", "BOOKINGS", "CURRENCY_RATES"):
        rows = warehouse.query_arrow(
            f"SELECT * EXCLUDE (_loaded_at) FROM RAW.{table} ORDER BY ALL").to_pylist()  # fmt: skip
        digests[table] = [len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()]
    rejects = warehouse.query_arrow(
        "SELECT * EXCLUDE (run_id, rejected_at) FROM RAW.REJECTED_ROWS ORDER BY path, row_number"
    ).to_pylist()
    quality = warehouse.query_arrow(
        "SELECT check_name, check_type, object_name, status, failures, rows_checked, details,"
        " severity FROM ML_PREDICTIONS.DATA_QUALITY_LOG ORDER BY ALL"
    ).to_pylist()
    manifest = warehouse.query_arrow(
        "SELECT path, content_hash, feed, rows_loaded FROM RAW.LOAD_MANIFEST ORDER BY ALL"
    ).to_pylist()
    return {"raw_digests": digests, "rejected_rows": rejects, "quality_log": quality,
            "manifest": manifest}  # fmt: skip


def _quarantined(path: Path) -> object:
    if path.name.endswith(".reason.json"):
        reason = json.loads(path.read_text())
        return {k: v for k, v in reason.items() if k not in ("quarantined_at", "run_id")}
    if path.name.endswith(".rejects.csv"):
        return path.read_text().splitlines()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_messy_lake_ingests_as_pinned(tmp_path):
    assert messy_outcome(tmp_path) == json.loads(PINNED.read_text())


if __name__ == "__main__":  # rewrite the pinned outcome (see the module docstring)
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        result = json.dumps(messy_outcome(Path(folder)), indent=1, default=str, sort_keys=True)
    PINNED.write_text(result + "\n")
    sys.exit(0)
