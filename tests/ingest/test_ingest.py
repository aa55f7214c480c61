"""Ingest: discovery, contract validation, whole-file loads, quarantine, idempotency."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
from datetime import date, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flightprice.exit_codes import ExitCode
from flightprice.ingest import load as ingest
from flightprice.ingest.load import (
    FEED_COLUMNS,
    RawFile,
    Rejection,
    ValidatedFile,
    discover_new_files,
    load_raw_files,
    validate_file,
)
from flightprice.store import LocalStore
from flightprice.synth import generate as synth

FARES_KEY = "raw-data/fares/2026-09-01/fares.csv"
SCHEDULES_KEY = "raw-data/schedules/2026-09-01/schedules.csv"
ARROW_TYPES = {"VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("us"), "INTEGER": pa.int32(),
               "DOUBLE": pa.float64()}  # fmt: skip


# -- fixture files ------------------------------------------------------------------------


def fare_rows(n: int = 3, prefix: str = "Q") -> list[dict]:
    """Return `n` fare quotes that meet the contract."""
    return [
        {"quote_id": f"{prefix}{i}", "observed_at": f"2026-08-{1 + i % 28:02d}T08:00:00",
         "carrier": "LH", "flight_number": str(400 + i), "origin": "FRA", "destination": "JFK",
         "departure_at": "2026-09-15T10:30:00", "cabin": "economy", "stops": str(i % 2),
         "duration_minutes": "510", "seats_remaining": "" if i % 3 == 2 else str(10 + i),
         "price": f"{420.5 + i:.2f}", "currency": "EUR"}
        for i in range(n)
    ]  # fmt: skip


def schedule_rows(n: int = 2) -> list[dict]:
    """Return `n` schedule rows that meet the contract."""
    return [
        {"carrier": "BA", "flight_number": str(100 + i), "origin": "LHR", "destination": "CDG",
         "departure_at": "2026-09-15T06:30:00", "arrival_at": "2026-09-15T08:45:00",
         "cabin": "business", "stops": "0", "capacity": str(30 + i)}
        for i in range(n)
    ]  # fmt: skip


def csv_bytes(rows: list[dict], columns: list[str] | None = None) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, columns or list(rows[0]), lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def parquet_bytes(rows: list[dict], feed: str) -> bytes:
    """Write rows as Parquet with the contract's types (what a well-behaved feed sends)."""
    columns = {}
    for name, sql_type in FEED_COLUMNS[feed].items():
        values = [r[name] if r[name] != "" else None for r in rows]
        if sql_type == "TIMESTAMP":
            values = [datetime.fromisoformat(v) for v in values]
        elif sql_type in ("INTEGER", "DOUBLE"):
            values = [None if v is None else float(v) for v in values]
        columns[name] = pa.array(values).cast(ARROW_TYPES[sql_type])
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


def count(warehouse, table: str, where: str = "true") -> int:
    return warehouse.query_arrow(f"SELECT count(*) FROM {table} WHERE {where}").column(0)[0].as_py()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- loading good files -------------------------------------------------------------------


def test_good_csv_and_parquet_files_load_with_contract_types(store, warehouse):
    fares_csv = csv_bytes(fare_rows(5))
    store.write_bytes(FARES_KEY, fares_csv)
    store.write_bytes(
        "raw-data/fares/2026-09-02/fares.parquet", parquet_bytes(fare_rows(4, "P"), "fares")
    )
    store.write_bytes(SCHEDULES_KEY, csv_bytes(schedule_rows(2)))
    store.write_bytes(
        "raw-data/schedules/2026-09-02/s.parquet", parquet_bytes(schedule_rows(3), "schedules")
    )

    report = load_raw_files(store, warehouse, run_id="r1")

    assert sorted(report.loaded) == [
        ("raw-data/fares/2026-09-01/fares.csv", "fares", 5),
        ("raw-data/fares/2026-09-02/fares.parquet", "fares", 4),
        ("raw-data/schedules/2026-09-01/schedules.csv", "schedules", 2),
        ("raw-data/schedules/2026-09-02/s.parquet", "schedules", 3),
    ]
    assert report.exit_code == ExitCode.OK and report.quarantined == [] and report.failed == []
    assert report.totals["rows_loaded"] == 14
    assert count(warehouse, "RAW.FARES") == 9 and count(warehouse, "RAW.SCHEDULES") == 5
    row = warehouse.query_arrow(
        "SELECT * FROM RAW.FARES WHERE quote_id = 'Q1' AND _source_file = ?", [FARES_KEY]
    ).to_pylist()[0]
    assert row["observed_at"] == datetime(2026, 8, 2, 8, 0)
    assert row["price"] == 421.5 and row["stops"] == 1 and row["seats_remaining"] == 11
    assert isinstance(row["_loaded_at"], datetime)
    assert count(warehouse, "RAW.FARES", "seats_remaining IS NULL") == 2  # rows 3 of each file
    manifest = warehouse.query_arrow(
        "SELECT * FROM RAW.LOAD_MANIFEST WHERE path = ?", [FARES_KEY]
    ).to_pylist()
    assert [(m["content_hash"], m["feed"], m["rows_loaded"]) for m in manifest] == [
        (sha256(fares_csv), "fares", 5)
    ]
    assert store.exists(FARES_KEY)  # loaded files stay where they were delivered


def test_validated_table_has_exactly_the_contract_columns_and_types(tmp_path):
    rows = fare_rows(2)
    for r in rows:
        r["extra"] = "ignored"
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes(rows))
    result = validate_file(RawFile("raw-data/fares/2026-09-01/f.csv", "fares", "csv", "h"), path)
    assert isinstance(result, ValidatedFile), result
    expected = pa.schema([(c, ARROW_TYPES[t]) for c, t in FEED_COLUMNS["fares"].items()])
    assert result.table.schema.remove_metadata() == expected
    assert result.ignored_columns == ("extra",)


def test_lenient_but_exact_values_are_accepted(tmp_path):
    rows = fare_rows(2)
    rows[0].update(observed_at="2026-08-01T10:00:00+02:00", stops="1.0", price="1e2")
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes(rows))
    result = validate_file(RawFile("raw-data/fares/2026-09-01/f.csv", "fares", "csv", "h"), path)
    assert isinstance(result, ValidatedFile), result
    first = result.table.slice(0, 1).to_pylist()[0]
    assert first["observed_at"] == datetime(2026, 8, 1, 8, 0)  # the offset is applied: UTC
    assert first["stops"] == 1 and first["price"] == 100.0


def test_csv_with_bom_and_crlf_line_ends_loads(store, warehouse):
    data = b"\xef\xbb\xbf" + csv_bytes(fare_rows(3)).replace(b"\n", b"\r\n")
    store.write_bytes(FARES_KEY, data)
    assert load_raw_files(store, warehouse).loaded == [(FARES_KEY, "fares", 3)]
    assert count(warehouse, "RAW.FARES", "currency = 'EUR' AND quote_id = 'Q0'") == 1


def test_pandas_style_parquet_with_float_nullable_ints_loads(store, warehouse):
    table = pa.Table.from_pylist(fare_rows(3))
    for name in ("stops", "duration_minutes", "seats_remaining", "price"):
        values = [None if v == "" else float(v) for v in table[name].to_pylist()]
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(values))
    for name in ("observed_at", "departure_at"):
        stamps = pa.array([datetime.fromisoformat(v) for v in table[name].to_pylist()],
                          pa.timestamp("ns", tz="UTC"))  # fmt: skip
        table = table.set_column(table.schema.get_field_index(name), name, stamps)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    store.write_bytes("raw-data/fares/2026-09-01/pandas.parquet", sink.getvalue())
    report = load_raw_files(store, warehouse)
    assert report.totals["rows_loaded"] == 3, report.to_dict()
    assert count(warehouse, "RAW.FARES", "observed_at = TIMESTAMP '2026-08-01 08:00:00'") == 1


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_what_the_synthetic_feed_writes_ingest_accepts(store, warehouse, fmt):
    written = synth.generate_market(store, start=date(2026, 9, 1), days=1, routes=2, fmt=fmt)
    report = load_raw_files(store, warehouse)
    assert report.exit_code == ExitCode.OK, report.to_dict()
    assert count(warehouse, "RAW.FARES") == written.fare_rows > 0
    assert count(warehouse, "RAW.SCHEDULES") == written.schedule_rows > 0


# -- idempotency ----------------------------------------------------------------------------


def test_reingest_adds_nothing(store, warehouse):
    store.write_bytes(FARES_KEY, csv_bytes(fare_rows(3)))
    store.write_bytes(SCHEDULES_KEY, csv_bytes(schedule_rows(2)))
    first = load_raw_files(store, warehouse)
    assert first.totals["files_loaded"] == 2

    assert discover_new_files(store, warehouse) == []
    second = load_raw_files(store, warehouse)
    assert second.loaded == [] and second.exit_code == ExitCode.OK
    assert sorted(second.skipped_already_loaded) == sorted([FARES_KEY, SCHEDULES_KEY])
    assert count(warehouse, "RAW.FARES") == 3 and count(warehouse, "RAW.SCHEDULES") == 2
    assert count(warehouse, "RAW.LOAD_MANIFEST") == 2


def test_same_content_elsewhere_or_new_content_here_is_a_new_delivery(store, warehouse):
    data = csv_bytes(fare_rows(3))
    store.write_bytes(FARES_KEY, data)
    load_raw_files(store, warehouse)
    store.write_bytes("raw-data/fares/2026-09-02/fares.csv", data)  # a second delivery
    store.write_bytes(FARES_KEY, csv_bytes(fare_rows(4, "R")))  # the first key, new content

    new = discover_new_files(store, warehouse)
    assert [f.key for f in new] == [FARES_KEY, "raw-data/fares/2026-09-02/fares.csv"]
    assert new[0].content_hash != sha256(data) and new[0].feed == "fares"
    report = load_raw_files(store, warehouse)
    assert report.totals["rows_loaded"] == 7
    assert count(warehouse, "RAW.LOAD_MANIFEST", f"path = '{FARES_KEY}'") == 2



class CountingStore:
    """The real store, counting the files it hands out for reading (a spy, not a stand-in)."""

    def __init__(self, store):
        self._store, self.reads = store, []

    def __getattr__(self, name):
        return getattr(self._store, name)

    def local_copy(self, key):
        self.reads.append(key)
        return self._store.local_copy(key)


def _age(store, key: str, seconds: float = 60) -> None:
    """Date a file back, as a delivery that landed a while ago (file times tick coarsely)."""
    path = store.root / key
    stamp = path.stat().st_mtime - seconds
    os.utime(path, (stamp, stamp))


def test_unchanged_loaded_files_are_not_read_again(store, warehouse):
    store.write_bytes(FARES_KEY, csv_bytes(fare_rows(3)))
    store.write_bytes(SCHEDULES_KEY, csv_bytes(schedule_rows(2)))
    _age(store, FARES_KEY)
    _age(store, SCHEDULES_KEY)
    spy = CountingStore(store)
    assert load_raw_files(spy, warehouse).totals["files_loaded"] == 2
    marks = warehouse.query_df("SELECT source_fingerprint FROM RAW.LOAD_MANIFEST")
    assert marks["source_fingerprint"].notna().all()

    spy.reads.clear()
    again = load_raw_files(spy, warehouse)
    assert sorted(again.skipped_already_loaded) == sorted([FARES_KEY, SCHEDULES_KEY])
    assert discover_new_files(spy, warehouse) == []
    assert spy.reads == []  # skipped on the manifest's marker alone


def test_a_touched_file_is_read_once_more_and_a_rewritten_one_is_new(store, warehouse):
    data = csv_bytes(fare_rows(3))
    store.write_bytes(FARES_KEY, data)
    _age(store, FARES_KEY, 120)
    spy = CountingStore(store)
    load_raw_files(spy, warehouse)

    _age(store, FARES_KEY, -60)  # touched (same bytes, newer time): read, found loaded
    spy.reads.clear()
    assert load_raw_files(spy, warehouse).skipped_already_loaded == [FARES_KEY]
    assert spy.reads == [FARES_KEY]
    spy.reads.clear()
    load_raw_files(spy, warehouse)
    assert spy.reads == []  # the new marker was remembered

    # Same size, other bytes, and the old file time put back: the inode still differs.
    changed = data.replace(b"LH,", b"AF,")
    assert len(changed) == len(data) and changed != data
    before = (store.root / FARES_KEY).stat()
    store.write_bytes(FARES_KEY, changed)
    os.utime(store.root / FARES_KEY, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert [f.key for f in discover_new_files(store, warehouse)] == [FARES_KEY]


def test_a_just_written_file_gets_no_marker_and_is_read_until_it_settles(tmp_path, warehouse):
    store = LocalStore(tmp_path / "lake", racy_seconds=3600)  # wide, so a slow run stays inside
    store.write_bytes(FARES_KEY, csv_bytes(fare_rows(3)))  # written now: racy
    spy = CountingStore(store)
    load_raw_files(spy, warehouse)
    (mark,) = warehouse.query_df("SELECT source_fingerprint FROM RAW.LOAD_MANIFEST")[
        "source_fingerprint"]
    assert mark is None
    spy.reads.clear()
    load_raw_files(spy, warehouse)
    assert spy.reads == [FARES_KEY]  # still racy: read and found loaded

    _age(store, FARES_KEY, 7200)
    load_raw_files(spy, warehouse)  # settled: read once more, marker recorded
    spy.reads.clear()
    load_raw_files(spy, warehouse)
    assert spy.reads == []


def test_manifest_rows_from_before_markers_get_them_on_the_next_run(store, warehouse):
    store.write_bytes(FARES_KEY, csv_bytes(fare_rows(3)))
    _age(store, FARES_KEY)
    load_raw_files(store, warehouse)
    warehouse.execute("UPDATE RAW.LOAD_MANIFEST SET source_fingerprint = NULL")  # older rows
    spy = CountingStore(store)
    load_raw_files(spy, warehouse)
    assert spy.reads == [FARES_KEY]
    spy.reads.clear()
    load_raw_files(spy, warehouse)
    assert spy.reads == [] and count(warehouse, "RAW.LOAD_MANIFEST") == 1


# -- quarantine ---------------------------------------------------------------------------


def _fares(change: dict[tuple[int, str], str]) -> bytes:
    rows = fare_rows(4)
    for (row, column), value in change.items():
        rows[row][column] = value
    return csv_bytes(rows)


def _truncated_parquet() -> bytes:
    data = parquet_bytes(fare_rows(50), "fares")
    return data[: len(data) // 2]


def _parquet_with_list_price() -> bytes:
    table = pq.read_table(io.BytesIO(parquet_bytes(fare_rows(2), "fares")))
    listed = pa.array([[p] for p in table["price"].to_pylist()])
    sink = io.BytesIO()
    pq.write_table(table.set_column(table.schema.get_field_index("price"), "price", listed), sink)
    return sink.getvalue()


BAD_FILES = {
    # name: (key, content, words the reason must contain)
    "missing column": (FARES_KEY, csv_bytes(fare_rows(2), list(fare_rows(1)[0])[:-1]),
                       ["missing columns: currency"]),
    "wrong type": (FARES_KEY, _fares({(1, "price"): "abc", (3, "price"): "12,5"}),
                   ["column price: 2 rows not a finite number (rows 2, 4: 'abc', '12,5')"]),
    "NaN price": (FARES_KEY, _fares({(0, "price"): "nan"}), ["price", "not a finite number"]),
    "fractional int": (FARES_KEY, _fares({(2, "stops"): "2.5"}),
                       ["column stops: 1 row not an integer (row 3: '2.5')"]),
    "bad timestamp": (FARES_KEY, _fares({(0, "departure_at"): "15/09/2026"}),
                      ["column departure_at", "not an ISO 8601 timestamp", "'15/09/2026'"]),
    "negative price": (FARES_KEY, _fares({(1, "price"): "-5"}),
                       ["column price: 1 row not positive (row 2: '-5.0')"]),
    "zero price": (FARES_KEY, _fares({(0, "price"): "0"}), ["price", "not positive"]),
    # In USD at the seed's 2026 EUR rate (1.08): the contract bounds are USD.
    "absurd price": (FARES_KEY, _fares({(0, "price"): "250000"}),
                     ["column price: 1 row outside [1, 100000] USD",
                      "'250000.0 EUR = 270000.00 USD'"]),
    "implausibly cheap": (FARES_KEY, _fares({(0, "price"): "0.5"}),
                          ["price", "'0.5 EUR = 0.54 USD'"]),
    "bad airport": (FARES_KEY, _fares({(2, "origin"): "Fra"}),
                    ["column origin: 1 row not an airport code [A-Z]{3} (row 3: 'Fra')"]),
    "bad carrier": (FARES_KEY, _fares({(0, "carrier"): "LHX"}), ["carrier", "'LHX'"]),
    "origin is destination": (FARES_KEY, _fares({(0, "destination"): "FRA"}),
                              ["destination", "equal to origin"]),
    "unknown currency": (FARES_KEY, _fares({(3, "currency"): "XYZ"}),
                         [("column currency: 1 row with no rate on or before observed_at"
                           " (row 4: 'currency XYZ has no rate on or before 2026-08-04')")]),
    "no rate yet": (FARES_KEY, _fares({(1, "observed_at"): "2022-12-31T23:00:00"}),
                    ["'currency EUR has no rate on or before 2022-12-31'"]),
    "duplicate quote_id": (FARES_KEY, _fares({(2, "quote_id"): "Q0"}),
                           ["quote_id: 1 duplicate row", "'Q0' at rows 1, 3"]),
    "null required": (FARES_KEY, _fares({(1, "flight_number"): " "}),
                      ["column flight_number: 1 row empty (row 2"]),
    "observed after departure": (FARES_KEY, _fares({(0, "observed_at"): "2026-09-20T00:00:00"}),
                                 ["observed_at", "after departure_at"]),
    "stops": (FARES_KEY, _fares({(0, "stops"): "7"}), ["column stops", "outside 0..6"]),
    "duration": (FARES_KEY, _fares({(0, "duration_minutes"): "0"}), ["duration_minutes"]),
    "duration over the limit": (FARES_KEY, _fares({(0, "duration_minutes"): "5001"}),
                                ["column duration_minutes: 1 row outside 1..5000 (row 1: '5001')"]),
    "seats": (FARES_KEY, _fares({(0, "seats_remaining"): "1001"}), ["seats_remaining"]),
    "cabin": (FARES_KEY, _fares({(0, "cabin"): "Economy"}), ["column cabin", "'Economy'"]),
    "arrival before departure": (
        SCHEDULES_KEY,
        csv_bytes([*schedule_rows(1), {**schedule_rows(1)[0], "arrival_at": "2026-09-15T06:00:00"}]),
        ["column arrival_at: 1 row not after departure_at (row 2"]),
    "capacity": (SCHEDULES_KEY, csv_bytes([{**schedule_rows(1)[0], "capacity": "0"}]),
                 ["capacity", "not positive"]),
    "empty file": (FARES_KEY, b"", ["empty file"]),
    "header only": (FARES_KEY, csv_bytes(fare_rows(1))[: csv_bytes(fare_rows(1)).index(b"\n") + 1],
                    ["empty file (no data rows)"]),
    "truncated parquet": ("raw-data/fares/2026-09-01/f.parquet", _truncated_parquet(),
                          ["truncated or corrupt Parquet"]),
    "unfit Parquet type": ("raw-data/fares/2026-09-01/f.parquet", _parquet_with_list_price(),
                           ["column price: Parquet type DOUBLE[] cannot hold a finite number"]),
    "duplicate header": (FARES_KEY, csv_bytes(fare_rows(2), [*fare_rows(1)[0], "price"]),
                         ["duplicate column names in header: ['price']"]),
    "non-UTF-8 CSV": (FARES_KEY, _fares({(2, "flight_number"): "4\xe9"}).decode().encode("latin-1"),
                      ["not UTF-8", "Line: 4"]),
    "non-UTF-8 header": (FARES_KEY, "pr\xefce\n1\n".encode("latin-1"),
                         ["not UTF-8: header line, byte 2"]),
    "ragged CSV": (FARES_KEY, csv_bytes(fare_rows(2)) + b"Q9,2026-08-01T08:00:00\n",
                   ["malformed CSV", "Line: 4"]),
    "key layout": ("raw-data/fares/latest/fares.csv", csv_bytes(fare_rows(2)),
                   ["is not a YYYY-MM-DD date"]),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_file_is_quarantined_with_its_reason_while_good_files_load(store, warehouse, kind):
    key, content, words = BAD_FILES[kind]
    good_key = "raw-data/fares/2026-09-09/good.csv"
    store.write_bytes(key, content)
    store.write_bytes(good_key, csv_bytes(fare_rows(3, "G")))

    report = load_raw_files(store, warehouse, run_id="run-q")

    assert report.loaded == [(good_key, "fares", 3)]
    assert report.exit_code == ExitCode.QUARANTINED
    assert [k for k, _ in report.quarantined] == [key]
    reason = report.quarantined[0][1]
    for word in words:
        assert word in reason
    assert not store.exists(key) and store.read_bytes("quarantine/" + key) == content
    saved = json.loads(store.read_bytes(f"quarantine/{key}.reason.json"))
    assert saved["key"] == key and saved["reason"] == reason and saved["run_id"] == "run-q"
    assert saved["content_hash"] == sha256(content) and saved["checks"]
    log = warehouse.query_arrow("SELECT * FROM ML_PREDICTIONS.DATA_QUALITY_LOG").to_pylist()
    assert [(r["object_name"], r["check_type"], r["check_name"], r["status"], r["details"])
            for r in log] == [(key, "ingest", "ingest_contract", "fail", reason)]  # fmt: skip
    assert count(warehouse, "RAW.FARES", f"_source_file = '{key}'") == 0
    assert count(warehouse, "RAW.LOAD_MANIFEST", f"path = '{key}'") == 0


def test_rejection_counts_bad_rows_and_lists_every_failed_check(store, warehouse):
    rows = fare_rows(6)
    rows[1].update(price="abc", currency="XYZ")  # two problems in one row
    rows[4].update(origin="fra")
    rows[5].update(quote_id="Q0")
    store.write_bytes(FARES_KEY, csv_bytes(rows))

    load_raw_files(store, warehouse)

    saved = json.loads(store.read_bytes(f"quarantine/{FARES_KEY}.reason.json"))
    assert {(c["check"], c["column"], c["failures"]) for c in saved["checks"]} == {
        ("type", "price", 1), ("currency", "currency", 1), ("airport_code", "origin", 1),
        ("unique_quote_id", "quote_id", 1),
    }  # fmt: skip
    # Rows 1 and 6 share Q0: the first occurrence is kept, so 3 rows (2, 5, 6) are bad.
    assert saved["rows_checked"] == 6 and saved["bad_rows"] == 3
    (log,) = warehouse.query_arrow(
        "SELECT failures, rows_checked FROM ML_PREDICTIONS.DATA_QUALITY_LOG"
    ).to_pylist()
    assert log == {"failures": 3, "rows_checked": 6}


# -- load failures ------------------------------------------------------------------------


class FailingManifestWarehouse:
    """Fault injection: the real warehouse, except that writing a manifest row raises."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def insert_arrow(self, table: str, data: pa.Table) -> int:
        if table == "RAW.LOAD_MANIFEST":
            raise RuntimeError("injected: manifest write failed")
        return self.inner.insert_arrow(table, data)


def test_load_failure_rolls_back_the_file_and_the_run_goes_on(store, warehouse, caplog):
    store.write_bytes(FARES_KEY, csv_bytes(fare_rows(3)))
    store.write_bytes("raw-data/fares/2026-09-02/bad.csv", _fares({(0, "price"): "-1"}))

    report = load_raw_files(store, FailingManifestWarehouse(warehouse))

    assert report.failed == [(FARES_KEY, "RuntimeError: injected: manifest write failed")]
    assert report.exit_code == ExitCode.LOAD_FAILED  # a load failure outranks a quarantine
    assert [k for k, _ in report.quarantined] == ["raw-data/fares/2026-09-02/bad.csv"]
    assert count(warehouse, "RAW.FARES") == 0  # the rows inserted before the failure are gone
    assert count(warehouse, "RAW.LOAD_MANIFEST") == 0
    assert store.exists(FARES_KEY)  # valid, so not quarantined: the next run retries it
    assert "failed raw-data/fares/2026-09-01/fares.csv" in caplog.text

    retry = load_raw_files(store, warehouse)
    assert retry.loaded == [(FARES_KEY, "fares", 3)] and retry.exit_code == ExitCode.OK


def test_a_file_loaded_by_someone_else_meanwhile_is_skipped(store, warehouse):
    store.write_bytes(FARES_KEY, csv_bytes(fare_rows(3)))
    (raw_file,) = discover_new_files(store, warehouse)
    load_raw_files(store, warehouse)
    report = ingest.IngestReport(run_id="r")
    ingest._ingest_one(store, warehouse, raw_file, report)  # as a concurrent run would
    assert report.skipped_already_loaded == [FARES_KEY] and report.loaded == []
    assert count(warehouse, "RAW.FARES") == 3


# -- report, progress, logging -------------------------------------------------------------


def test_progress_report_and_one_log_line_per_file(store, warehouse, caplog):
    store.write_bytes(FARES_KEY, csv_bytes(fare_rows(3)))
    store.write_bytes(SCHEDULES_KEY, csv_bytes(schedule_rows(2)))
    store.write_bytes("raw-data/fares/2026-09-01/notes.txt", b"not a feed file")
    calls = []
    with caplog.at_level(logging.INFO, logger="flightprice.ingest.load"):
        report = load_raw_files(store, warehouse, progress=lambda *a: calls.append(a))
    assert calls == [(1, 2, FARES_KEY), (2, 2, SCHEDULES_KEY)]
    assert [r.getMessage() for r in caplog.records] == [
        f"loaded {FARES_KEY}: 3 fares rows",
        f"loaded {SCHEDULES_KEY}: 2 schedules rows",
    ]
    data = json.loads(json.dumps(report.to_dict()))
    assert data["totals"] == {"files_loaded": 2, "rows_loaded": 5, "rows_rejected": 0,
                              "files_skipped": 0, "files_quarantined": 0,
                              "files_failed": 0}  # fmt: skip
    assert data["exit_code"] == ExitCode.OK and data["run_id"].startswith("ingest-")


def test_rejection_reason_joins_its_checks(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(csv_bytes([{**schedule_rows(1)[0], "capacity": "-3", "cabin": "coach"}]))
    result = validate_file(RawFile(SCHEDULES_KEY, "schedules", "csv", "h"), path)
    assert isinstance(result, Rejection)
    assert result.reason == (
        "column cabin: 1 row not one of economy, premium_economy, business, first "
        "(row 1: 'coach'); column capacity: 1 row not positive (row 1: '-3')"
    )
