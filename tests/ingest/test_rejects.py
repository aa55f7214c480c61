"""Row-level rejects: bad rows set aside with a reason, the file quarantined only over a share."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import pytest
from test_ingest import FARES_KEY, count, csv_bytes, fare_rows, sha256
from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.exit_codes import ExitCode
from flightprice.ingest import load as ingest
from flightprice.ingest.load import IngestPolicy, discover_new_files, load_raw_files
from flightprice.synth import BAD_ROWS_KEY, generate_market

NOW = datetime(2026, 12, 1)
POLICY = IngestPolicy(now=NOW)


def _fares(n: int, change: dict[tuple[int, str], str]) -> bytes:
    rows = fare_rows(n)
    for (row, column), value in change.items():
        rows[row][column] = value
    return csv_bytes(rows)


def _rejected(warehouse) -> list[tuple]:
    return [tuple(r.values()) for r in warehouse.query_arrow(
        "SELECT row_number, check_name, column_name, value, reason FROM RAW.REJECTED_ROWS"
        " ORDER BY path, row_number").to_pylist()]  # fmt: skip


# -- rejects and the file threshold ---------------------------------------------------------


def test_bad_rows_are_rejected_with_their_reason_and_the_rest_loads(store, warehouse):
    data = _fares(20, {(4, "price"): "-5", (11, "origin"): "fra"})
    store.write_bytes(FARES_KEY, data)

    report = load_raw_files(store, warehouse, run_id="run-r", policy=POLICY)

    assert report.loaded == [(FARES_KEY, "fares", 18)] and report.quarantined == []
    assert report.exit_code == ExitCode.OK and store.exists(FARES_KEY)
    assert count(warehouse, "RAW.FARES") == 18
    assert count(warehouse, "RAW.FARES", "quote_id IN ('Q4', 'Q11')") == 0
    assert _rejected(warehouse) == [
        (5, "price_positive", "price", "-5.0", "column price: not positive ('-5.0')"),
        (12, "airport_code", "origin", "fra",
         "column origin: not an airport code [A-Z]{3} ('fra')"),
    ]  # fmt: skip
    (meta,) = warehouse.query_arrow(
        "SELECT DISTINCT path, content_hash, run_id FROM RAW.REJECTED_ROWS"
    ).to_pylist()
    assert meta == {"path": FARES_KEY, "content_hash": sha256(data), "run_id": "run-r"}
    listed = list(csv.DictReader(io.StringIO(
        store.read_bytes(f"quarantine/{FARES_KEY}.rejects.csv").decode())))  # fmt: skip
    assert [(r["row_number"], r["column_name"], r["value"]) for r in listed] == [
        ("5", "price", "-5.0"),
        ("12", "origin", "fra"),
    ]
    (log,) = warehouse.query_arrow("SELECT * FROM ML_PREDICTIONS.DATA_QUALITY_LOG").to_pylist()
    assert (log["object_name"], log["check_name"], log["status"], log["failures"],
            log["rows_checked"]) == (FARES_KEY, "ingest_rejects", "warn", 2, 20)  # fmt: skip
    assert "column price: 1 row not positive (row 5: '-5.0')" in log["details"]
    data = json.loads(json.dumps(report.to_dict()))
    assert data["totals"]["rows_rejected"] == 2 and data["loaded"] == [{
        "key": FARES_KEY, "feed": "fares", "rows": 18, "rows_rejected": 2,
        "top_reasons": [{"check": "airport_code", "column": "origin", "rows": 1},
                        {"check": "price_positive", "column": "price", "rows": 1}]}]  # fmt: skip


@pytest.mark.parametrize(("bad", "share", "loaded"), [(2, None, 18), (3, None, None),
                                                      (3, 0.2, 17), (1, 0.0, None)])  # fmt: skip
def test_a_file_is_quarantined_whole_only_over_the_reject_share(store, warehouse, bad, share,
                                                                 loaded):  # fmt: skip
    store.write_bytes(FARES_KEY, _fares(20, {(i, "cabin"): "coach" for i in range(bad)}))
    policy = POLICY if share is None else IngestPolicy(max_reject_share=share, now=NOW)

    report = load_raw_files(store, warehouse, policy=policy)

    if loaded is not None:
        assert report.loaded == [(FARES_KEY, "fares", loaded)]
        assert count(warehouse, "RAW.REJECTED_ROWS") == bad
        return
    assert [k for k, _ in report.quarantined] == [FARES_KEY] and report.loaded == []
    saved = json.loads(store.read_bytes(f"quarantine/{FARES_KEY}.reason.json"))
    assert saved["bad_rows"] == bad and saved["rows_checked"] == 20
    assert saved["max_reject_share"] == (0.1 if share is None else share)
    assert count(warehouse, "RAW.FARES") == 0 and count(warehouse, "RAW.REJECTED_ROWS") == 0


def test_a_later_duplicate_quote_id_is_rejected_and_the_first_kept(store, warehouse):
    store.write_bytes(FARES_KEY, _fares(20, {(15, "quote_id"): "Q3"}))
    load_raw_files(store, warehouse, policy=POLICY)
    assert _rejected(warehouse) == [
        (16, "unique_quote_id", "quote_id", "Q3", "column quote_id: duplicate of row 4 ('Q3')")
    ]
    kept = warehouse.query_arrow("SELECT flight_number FROM RAW.FARES WHERE quote_id = 'Q3'")
    assert kept.column(0).to_pylist() == ["403"]  # row 4's own values


def test_rerunning_records_good_rows_and_rejects_once(store, warehouse):
    store.write_bytes(FARES_KEY, _fares(20, {(2, "stops"): "2.5"}))
    (raw_file,) = discover_new_files(store, warehouse)
    load_raw_files(store, warehouse, policy=POLICY)
    again = load_raw_files(store, warehouse, policy=POLICY)
    assert again.skipped_already_loaded == [FARES_KEY] and again.rejected == {}
    report = ingest.IngestReport(run_id="concurrent")
    ingest._ingest_one(
        store, warehouse, raw_file, report, policy=POLICY
    )  # as a concurrent run would
    assert report.skipped_already_loaded == [FARES_KEY]
    assert count(warehouse, "RAW.FARES") == 19 and count(warehouse, "RAW.REJECTED_ROWS") == 1
    assert count(warehouse, "ML_PREDICTIONS.DATA_QUALITY_LOG") == 1


# -- temporal sanity -----------------------------------------------------------------------


TEMPORAL = {
    # name: (changes, policy, expected check or None when the row loads)
    "observed a day after its folder": (
        {(0, "observed_at"): "2026-09-03T00:00:01"}, POLICY, "observed_after_delivery"),
    "within the folder's tolerance": ({(0, "observed_at"): "2026-09-02T23:00:00"}, POLICY, None),
    "no tolerance": ({(0, "observed_at"): "2026-09-02T00:00:01"},
                     IngestPolicy(future_tolerance_hours=0, now=NOW), "observed_after_delivery"),
    "observed after now": ({(0, "observed_at"): "2026-08-31T12:00:00"},
                           IngestPolicy(now=datetime(2026, 8, 25)), "observed_in_future"),
    "an offset keeps it before now": ({(0, "observed_at"): "2026-08-25T01:00:00+02:00"},
                                      IngestPolicy(now=datetime(2026, 8, 25)), None),
    "departs beyond the horizon": ({(0, "departure_at"): "2027-10-01T10:00:00"}, POLICY,
                                   "departure_horizon"),
    "a longer horizon": ({(0, "departure_at"): "2027-10-01T10:00:00"},
                         IngestPolicy(max_days_ahead=500, now=NOW), None),
}  # fmt: skip


@pytest.mark.parametrize("name", list(TEMPORAL))
def test_temporal_checks_reject_rows_by_delivery_now_and_horizon(store, warehouse, name):
    changes, policy, check = TEMPORAL[name]
    store.write_bytes(FARES_KEY, _fares(20, changes))
    report = load_raw_files(store, warehouse, policy=policy)
    if check is None:
        assert report.loaded == [(FARES_KEY, "fares", 20)], report.to_dict()
        return
    ((row, found, column, value, reason),) = _rejected(warehouse)
    ((changed_column, raw),) = ((c, v) for (_, c), v in changes.items())
    assert (row, found, column) == (1, check, changed_column)
    assert raw in value and f"column {changed_column}: " in reason and raw in reason


def test_a_row_from_2099_is_rejected_and_does_not_move_the_data_clock(store, warehouse):
    store.write_bytes(
        FARES_KEY,
        _fares(
            20,
            {(7, "observed_at"): "2099-09-01T08:00:00", (7, "departure_at"): "2099-09-15T10:30:00"},
        ),
    )
    load_raw_files(store, warehouse)  # the real clock: 2099 is after now too
    ((row, check, *_),) = _rejected(warehouse)
    assert (row, check) == (8, "observed_after_delivery")
    # The data clock of scoring (dbt ml_scoring_features) is max(observed_at) of the loaded
    # fares; the latest good row of this file is observed 2026-08-20.
    as_of = warehouse.query_arrow("SELECT max(observed_at) FROM RAW.FARES").column(0)[0]
    assert as_of.as_py() == datetime(2026, 8, 20, 8, 0)


# -- the realistic profile ------------------------------------------------------------------


@pytest.fixture
def realistic(store, warehouse):
    """A realistic market of 10 days on 12 routes (every bad-row kind planted) and its key."""
    report = generate_market(store, start=date(2026, 9, 1), days=10, routes=12,
                             profile="realistic")  # fmt: skip
    return report, json.loads(store.read_bytes(BAD_ROWS_KEY))["rows"]


def test_every_planted_bad_row_is_rejected_naming_column_and_value(store, warehouse, realistic):
    _, answer = realistic
    # Every file loads whatever its share, so each row's own reject can be compared.
    load_raw_files(store, warehouse, policy=IngestPolicy(max_reject_share=1.0, now=NOW))
    got = {(r["path"], r["row_number"]): r for r in warehouse.query_arrow(
        "SELECT path, row_number, check_name, column_name, value, reason"
        " FROM RAW.REJECTED_ROWS").to_pylist()}  # fmt: skip
    assert len({a["kind"] for a in answer}) == 19
    for planted in answer:
        reject = got.get((planted["key"], planted["row"]))
        assert reject is not None, planted
        assert reject["column_name"] == planted["column"], (planted, reject)
        value = planted["value"]
        named = (
            ["NULL"] if value is None else [value, str(float(value))] if _number(value) else [value]
        )
        assert f"column {planted['column']}: " in reject["reason"], (planted, reject)
        assert any(v in reject["reason"] for v in named), (planted, reject)
    planted_rows = {(a["key"], a["row"]) for a in answer}
    assert [r for key, r in got.items() if key not in planted_rows] == []  # no good row


def test_at_least_99_percent_of_good_rows_load(store, warehouse, realistic):
    report, answer = realistic
    load_raw_files(store, warehouse, policy=POLICY)
    good = report.fare_rows - len(answer)
    assert count(warehouse, "RAW.FARES") >= 0.99 * good


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- status and --json ----------------------------------------------------------------------


def test_ingest_json_and_status_show_rows_loaded_and_rejected_per_file(settings, monkeypatch):
    monkeypatch.setenv("FLIGHTPRICE_INGEST_MAX_REJECT_SHARE", "0.2")  # 3 of 20 rows are bad
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, ["--home", str(settings.home), *args], catch_exceptions=False)

    assert invoke("init").exit_code == 0
    lake = settings.lake
    (lake / FARES_KEY).parent.mkdir(parents=True)
    (lake / FARES_KEY).write_bytes(_fares(20, {(1, "cabin"): "coach", (5, "cabin"): "J",
                                               (9, "price"): "0"}))  # fmt: skip

    result = invoke("ingest", "--json")
    assert result.exit_code == 0, result.output
    (loaded,) = json.loads(result.stdout)["loaded"]
    assert (loaded["rows"], loaded["rows_rejected"]) == (17, 3)
    assert loaded["top_reasons"][0] == {"check": "cabin", "column": "cabin", "rows": 2}

    status = json.loads(invoke("status", "--json").stdout)
    (row,) = status["file_rows"]
    assert (row["path"], row["rows_loaded"], row["rows_rejected"]) == (FARES_KEY, 17, 3)
    assert row["top_reasons"] == "cabin cabin (2); price price_positive (1)"

    other = "raw-data/fares/2026-09-02/fares.csv"
    (lake / other).parent.mkdir(parents=True)
    (lake / other).write_bytes(_fares(20, {(3, "stops"): "9"}))
    text = invoke("ingest")
    assert text.exit_code == 0 and f"rejected 1 rows of {other}: stops stops_range (1)" in " ".join(
        text.output.split()
    )
