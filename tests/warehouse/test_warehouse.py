"""The DuckDB warehouse: setup, transactions, Arrow/pandas round trips, the writer lock."""

import pandas as pd
import pyarrow as pa
import pytest
from filelock import Timeout

from flightprice.warehouse import setup_warehouse
from flightprice.warehouse.duckdb import DuckDBWarehouse, writer_lock

LOG_TABLES = {"DATA_QUALITY_LOG", "MODEL_REGISTRY", "SCORING_LOG", "TRAINING_LOG",
              "FLIGHT_PRICES", "PRICE_HISTORY", "MODEL_MONITORING"}


def test_setup_creates_schemas_and_tables_and_is_idempotent(warehouse, settings):
    setup_warehouse(warehouse, settings)  # second time: nothing changes, nothing fails
    tables = warehouse.query_df(
        "SELECT table_schema, table_name FROM information_schema.tables"
    )
    by_schema = tables.groupby("table_schema")["table_name"].apply(set).to_dict()
    assert by_schema["RAW"] == {"FARES", "SCHEDULES", "CURRENCY_RATES", "BOOKINGS", "LOAD_MANIFEST",
                                "REJECTED_ROWS"}
    assert by_schema["ML_PREDICTIONS"] == LOG_TABLES
    schemas = set(warehouse.query_df("SELECT schema_name FROM information_schema.schemata")
                  ["schema_name"])
    assert {"RAW", "STAGING", "ANALYTICS", "ML_PREDICTIONS"} <= schemas


def test_transaction_rolls_back_on_error(warehouse):
    row = pa.table({"path": ["a"], "content_hash": ["h"], "feed": ["fares"],
                    "rows_loaded": [1], "loaded_at": [pd.Timestamp("2026-09-01")]})
    with pytest.raises(RuntimeError), warehouse.transaction():
        warehouse.insert_arrow("RAW.LOAD_MANIFEST", row)
        raise RuntimeError("boom")
    assert warehouse.query_df("SELECT COUNT(*) AS n FROM RAW.LOAD_MANIFEST")["n"][0] == 0
    with warehouse.transaction():
        assert warehouse.insert_arrow("RAW.LOAD_MANIFEST", row) == 1
    assert warehouse.query_arrow("SELECT path FROM RAW.LOAD_MANIFEST").column(0).to_pylist() == ["a"]


def test_write_frame_append_and_replace(warehouse):
    frame = pd.DataFrame({"run_id": ["r"], "checked_at": [pd.Timestamp("2026-09-01")],
                          "check_name": ["c"], "check_type": ["row_count"], "status": ["pass"]})
    warehouse.write_frame("ML_PREDICTIONS.DATA_QUALITY_LOG", frame)
    warehouse.write_frame("ML_PREDICTIONS.DATA_QUALITY_LOG", frame)
    assert len(warehouse.query_df("SELECT * FROM ML_PREDICTIONS.DATA_QUALITY_LOG")) == 2
    warehouse.write_frame("ML_PREDICTIONS.DATA_QUALITY_LOG", frame, mode="replace")
    assert len(warehouse.query_df("SELECT * FROM ML_PREDICTIONS.DATA_QUALITY_LOG")) == 1


def test_second_writer_waits_for_the_first(tmp_path):
    path = tmp_path / "w.duckdb"
    first = DuckDBWarehouse(path)
    first.execute("CREATE TABLE t (x INT)")
    with pytest.raises(Timeout):
        writer_lock(path, timeout=0.2).acquire()
    first.close()
    with writer_lock(path, timeout=0.2):
        pass
    with DuckDBWarehouse(path, read_only=True) as reader:
        assert reader.query_df("SELECT COUNT(*) AS n FROM t")["n"][0] == 0


def test_query_batches_streams_bounded_batches_while_the_caller_writes(warehouse):
    warehouse.execute("CREATE TABLE ANALYTICS.SRC AS SELECT range AS i FROM range(25000)")
    warehouse.execute("CREATE TABLE ANALYTICS.DST (i BIGINT)")
    sizes = []
    with warehouse.transaction():
        for batch in warehouse.query_batches("SELECT i FROM ANALYTICS.SRC WHERE i >= ?", [5000],
                                             batch_rows=4096):
            sizes.append(batch.num_rows)
            warehouse.insert_arrow("ANALYTICS.DST", pa.Table.from_batches([batch]))
    assert sum(sizes) == 20000 and max(sizes) <= 4096 and len(sizes) >= 5
    assert warehouse.query_df("SELECT COUNT(*) AS n, MIN(i) AS lo FROM ANALYTICS.DST").values.tolist() == [[20000, 5000]]


def test_setup_adds_the_manifest_marker_column_to_an_older_warehouse(tmp_path, settings):
    wh = DuckDBWarehouse(tmp_path / "old.duckdb")
    try:
        wh.execute("CREATE SCHEMA RAW")
        wh.execute("CREATE TABLE RAW.LOAD_MANIFEST (path VARCHAR NOT NULL, content_hash VARCHAR "
                   "NOT NULL, feed VARCHAR NOT NULL, rows_loaded BIGINT NOT NULL, loaded_at "
                   "TIMESTAMP NOT NULL, PRIMARY KEY (path, content_hash))")
        wh.execute("INSERT INTO RAW.LOAD_MANIFEST VALUES ('k', 'h', 'fares', 1, now())")
        setup_warehouse(wh, settings)
        setup_warehouse(wh, settings)  # and again: nothing changes
        rows = wh.query_df("SELECT path, source_fingerprint FROM RAW.LOAD_MANIFEST")
    finally:
        wh.close()
    assert rows["path"].tolist() == ["k"] and rows["source_fingerprint"].isna().all()


def test_setup_adds_the_quality_severity_column_to_an_older_warehouse(tmp_path, settings):
    wh = DuckDBWarehouse(tmp_path / "old.duckdb")
    try:
        wh.execute("CREATE SCHEMA ML_PREDICTIONS")
        wh.execute("CREATE TABLE ML_PREDICTIONS.DATA_QUALITY_LOG (run_id VARCHAR NOT NULL, "
                   "checked_at TIMESTAMP NOT NULL, check_name VARCHAR NOT NULL, check_type "
                   "VARCHAR NOT NULL, object_name VARCHAR, status VARCHAR NOT NULL, failures "
                   "BIGINT, rows_checked BIGINT, metric_value DOUBLE, details VARCHAR)")
        wh.execute("INSERT INTO ML_PREDICTIONS.DATA_QUALITY_LOG (run_id, checked_at, check_name, "
                   "check_type, status) VALUES ('q', now(), 'x', 'row_count', 'pass')")
        setup_warehouse(wh, settings)
        setup_warehouse(wh, settings)  # and again: nothing changes
        rows = wh.query_df("SELECT run_id, severity FROM ML_PREDICTIONS.DATA_QUALITY_LOG")
    finally:
        wh.close()
    assert rows["run_id"].tolist() == ["q"] and rows["severity"].isna().all()


def test_a_reader_waits_while_this_process_has_the_file_open_for_writing(tmp_path):
    import threading

    path = tmp_path / "busy.duckdb"
    writer = DuckDBWarehouse(path)
    writer.execute("CREATE TABLE t AS SELECT 42 AS x")
    threading.Timer(0.5, writer.close).start()  # an API thread and a CLI call, in one process
    reader = DuckDBWarehouse(path, read_only=True)
    try:
        assert reader.query_df("SELECT x FROM t")["x"].tolist() == [42]
    finally:
        reader.close()
