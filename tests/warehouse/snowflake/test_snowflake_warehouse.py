"""SnowflakeWarehouse at the stand-in: setup, the two insert paths, transactions, reads."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from snowflake.connector.errors import ProgrammingError

from flightprice.warehouse import open_warehouse, setup_warehouse
from flightprice.warehouse._snowflake_sql import render_setup_sql
from flightprice.warehouse.snowflake import MAX_BOUND_VALUES, SnowflakeWarehouse

pytestmark = pytest.mark.snowflake

MANIFEST = "RAW.LOAD_MANIFEST"


def manifest_rows(n: int, prefix: str = "p") -> pa.Table:
    """`n` manifest rows; more than MAX_BOUND_VALUES / 5 of them go through PUT + COPY."""
    return pa.table({
        "path": [f"{prefix}{i}" for i in range(n)], "content_hash": ["h"] * n,
        "feed": ["fares"] * n, "rows_loaded": pa.array(range(n), pa.int64()),
        "loaded_at": pa.array([datetime(2026, 9, 1, 6, 30, 0, 123456)] * n, pa.timestamp("us")),
    })  # fmt: skip


@pytest.fixture
def wh(sf_settings):
    with open_warehouse(sf_settings) as warehouse:
        setup_warehouse(warehouse, sf_settings)
        yield warehouse


def count(wh, table: str = MANIFEST) -> int:
    return int(wh.query_arrow(f"SELECT COUNT(*) AS n FROM {table}").column("n")[0].as_py())


def test_setup_is_complete_idempotent_and_skips_only_account_statements(wh, sf_settings):
    setup_warehouse(wh, sf_settings)  # again: nothing fails, nothing doubles
    tables = wh.query_df("SELECT table_schema, table_name FROM information_schema.tables "
                         "WHERE table_catalog = ?", [sf_settings.snowflake_database])
    by_schema = tables.groupby("table_schema")["table_name"].apply(set).to_dict()
    assert by_schema["RAW"] == {"FARES", "SCHEDULES", "CURRENCY_RATES", "BOOKINGS", "LOAD_MANIFEST",
                                "REJECTED_ROWS"}
    assert by_schema["ML_PREDICTIONS"] == {"DATA_QUALITY_LOG", "MODEL_REGISTRY", "SCORING_LOG",
                                           "TRAINING_LOG", "FLIGHT_PRICES", "PRICE_HISTORY",
                                           "MODEL_MONITORING"}
    assert {"STAGING", "ANALYTICS"} <= set(wh.query_df(
        "SELECT schema_name FROM information_schema.schemata")["schema_name"])
    assert wh.query_df("LIST @RAW.RAW_STAGE").empty  # the stage exists (and is empty)
    kinds = {" ".join(s.split()[:2 if s.startswith("CREATE") else 1]).upper()
             for s in wh.skipped_statements}
    assert kinds == {"CREATE WAREHOUSE", "CREATE ROLE", "GRANT"}
    script = (sf_settings.sql_dir / "snowflake_setup.sql").read_text()
    assert len(wh.skipped_statements) == script.count("\nGRANT ") + 2


def test_account_statements_reach_the_server_unless_it_is_the_stand_in(sf_settings):
    not_flagged = SnowflakeWarehouse(
        {**SnowflakeWarehouse.from_settings(sf_settings).connect_args}, stand_in=False
    )
    with not_flagged, pytest.raises(ProgrammingError):
        not_flagged.run_script("CREATE ROLE IF NOT EXISTS DATA_ENGINEER;")


def test_setup_names_follow_the_settings(sf_settings):
    script = (sf_settings.sql_dir / "snowflake_setup.sql").read_text()
    custom = sf_settings.model_copy(update={"snowflake_database": "FP_DEV",
                                            "snowflake_warehouse": "LOAD_WH"})
    rendered = render_setup_sql(script, custom)
    assert "FLIGHT_PRICING" not in rendered and "COMPUTE_WH" not in rendered
    assert "CREATE DATABASE IF NOT EXISTS FP_DEV;" in rendered
    assert "GRANT USAGE ON WAREHOUSE LOAD_WH TO ROLE DATA_ENGINEER;" in rendered
    assert render_setup_sql(script, sf_settings.model_copy(
        update={"snowflake_database": "FLIGHT_PRICING"})) == script


@pytest.mark.parametrize("rows", [3, MAX_BOUND_VALUES])  # bound INSERT, then PUT + COPY
def test_inserts_commit_or_roll_back_with_the_transaction(wh, rows):
    with pytest.raises(RuntimeError, match="boom"), wh.transaction():
        assert wh.insert_arrow(MANIFEST, manifest_rows(rows)) == rows
        raise RuntimeError("boom")
    assert count(wh) == 0
    with wh.transaction():
        assert wh.insert_arrow(MANIFEST, manifest_rows(rows)) == rows
    assert count(wh) == rows
    assert wh.query_df("LIST @RAW.RAW_STAGE").empty  # COPY ... PURGE left nothing staged


def test_reads_have_lower_case_names_and_duckdb_like_types(wh):
    wh.insert_arrow(MANIFEST, manifest_rows(2))
    table = wh.query_arrow(
        "SELECT path, rows_loaded, loaded_at, rows_loaded * 1.5 AS share, path = 'p0' AS first, "
        "CAST(NULL AS TIMESTAMP_NTZ) AS never, COUNT(*) OVER () AS n FROM RAW.LOAD_MANIFEST "
        "WHERE feed = ? ORDER BY path", ["fares"])
    assert table.column_names == ["path", "rows_loaded", "loaded_at", "share", "first", "never", "n"]
    types = dict(zip(table.column_names, table.schema.types, strict=True))
    assert types["rows_loaded"] == types["n"] == pa.int64()
    assert types["share"] == pa.float64() and types["first"] == pa.bool_()
    assert types["loaded_at"] == pa.timestamp("us")
    assert table.column("loaded_at")[0].as_py() == datetime(2026, 9, 1, 6, 30, 0, 123456)
    assert table.column("never").to_pylist() == [None, None]
    assert table.column("share").to_pylist() == [0.0, 1.5]
    empty = wh.query_df("SELECT path FROM RAW.LOAD_MANIFEST WHERE 1 = 0")
    assert list(empty.columns) == ["path"] and empty.empty


def test_parameters_bind_numpy_pandas_and_aware_values(wh):
    aware = datetime(2026, 9, 1, 8, 30, tzinfo=UTC)
    wh.execute(
        "INSERT INTO RAW.LOAD_MANIFEST (path, content_hash, feed, rows_loaded, loaded_at) "
        "VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)",
        ["a", "h", "fares", np.int64(7), aware,
         "b", "h", "fares", 8, pd.Timestamp("2026-09-02 01:02:03")],
    )  # fmt: skip
    frame = wh.query_df("SELECT path, rows_loaded, loaded_at FROM RAW.LOAD_MANIFEST ORDER BY path")
    assert frame["rows_loaded"].tolist() == [7, 8]
    assert frame["loaded_at"].tolist() == [pd.Timestamp("2026-09-01 08:30"),
                                           pd.Timestamp("2026-09-02 01:02:03")]


def test_batches_are_bounded_and_reading_does_not_block_writing(wh):
    wh.insert_arrow(MANIFEST, manifest_rows(450))
    batches = wh.query_batches("SELECT path FROM RAW.LOAD_MANIFEST", batch_rows=100)
    first = next(batches)
    wh.insert_arrow(MANIFEST, manifest_rows(5, prefix="late"))  # while the cursor is open
    sizes = [first.num_rows] + [b.num_rows for b in batches]
    assert max(sizes) <= 100 and sum(sizes) == 450
    assert count(wh) == 455


def test_write_frame_appends_and_replaces(wh):
    frame = pd.DataFrame({"run_id": ["r"], "checked_at": [pd.Timestamp("2026-09-01")],
                          "check_name": ["c"], "check_type": ["row_count"], "status": ["pass"],
                          "failures": pd.array([None], dtype="Int64"), "details": [None]})
    log = "ML_PREDICTIONS.DATA_QUALITY_LOG"
    wh.write_frame(log, frame)
    wh.write_frame(log, frame)
    assert count(wh, log) == 2
    wh.write_frame(log, frame, mode="replace")
    assert count(wh, log) == 1
    wide = pd.concat([frame] * 200, ignore_index=True)  # through the stage this time
    assert wh.write_frame(log, wide) == 200 and count(wh, log) == 201


def test_load_file_copies_a_parquet_file_or_the_named_columns(wh, tmp_path):
    path = tmp_path / "manifest.parquet"
    pq.write_table(manifest_rows(4), path)
    assert wh.load_file(MANIFEST, path, manifest_rows(1).column_names) == 4
    extra = tmp_path / "extra.parquet"
    pq.write_table(manifest_rows(3, prefix="x").append_column("junk", pa.array([1, 2, 3])), extra)
    assert wh.load_file(MANIFEST, extra, manifest_rows(1).column_names) == 3
    assert count(wh) == 7


def test_guards(wh):
    with pytest.raises(ValueError, match="identifier"):
        wh.insert_arrow(MANIFEST, pa.table({'path"; DROP TABLE x; --': ["a"]}))
    with wh.transaction(), pytest.raises(RuntimeError, match="nest"), wh.transaction():
        pass


def test_load_file_puts_only_the_named_file_whatever_its_name(wh, tmp_path):
    # PUT expands * and ? in a local path: `*.parquet` would upload every file beside it.
    for name, n in [("m_a.parquet", 1), ("m_b.parquet", 2), ("m_?.parquet", 3),
                    ("*.parquet", 4), ("m_[ab] 'q'.parquet", 5)]:  # fmt: skip
        pq.write_table(manifest_rows(n, prefix=name), tmp_path / name)
    columns = manifest_rows(1).column_names
    assert wh.load_file(MANIFEST, tmp_path / "m_?.parquet", columns) == 3
    assert wh.load_file(MANIFEST, tmp_path / "*.parquet", columns) == 4
    assert wh.load_file(MANIFEST, tmp_path / "m_[ab] 'q'.parquet", columns) == 5
    assert count(wh) == 12
