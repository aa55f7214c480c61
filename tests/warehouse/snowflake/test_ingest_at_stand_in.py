"""Ingest, unchanged, against Snowflake: the DuckDB ingest tests run again on the stand-in.

Same contract: a file loads whole (rows and manifest row in one transaction, bulk rows by
PUT + COPY INTO) or not at all; re-running adds nothing; a bad file is quarantined with its
reason and a DATA_QUALITY_LOG row while the others load.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tests/ingest/test_ingest.py holds the same assertions; its folder is not on sys.path unless
# pytest happened to collect it first, so put it there explicitly.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "ingest"))
import test_ingest as embedded
import test_rejects as rejects

from flightprice.warehouse import open_warehouse, setup_warehouse

pytestmark = pytest.mark.snowflake


@pytest.fixture
def warehouse(sf_settings):
    """Overrides the DuckDB `warehouse` fixture: a fresh database at the stand-in, set up."""
    with open_warehouse(sf_settings) as wh:
        setup_warehouse(wh, sf_settings)
        yield wh


def test_good_csv_and_parquet_files_load_with_contract_types(store, warehouse):
    embedded.test_good_csv_and_parquet_files_load_with_contract_types(store, warehouse)


def test_reingest_adds_nothing(store, warehouse):
    embedded.test_reingest_adds_nothing(store, warehouse)


def test_same_content_elsewhere_or_new_content_here_is_a_new_delivery(store, warehouse):
    embedded.test_same_content_elsewhere_or_new_content_here_is_a_new_delivery(store, warehouse)


@pytest.mark.parametrize("kind", ["wrong type", "duplicate quote_id", "truncated parquet",
                                  "arrival before departure"])  # fmt: skip
def test_bad_file_is_quarantined_with_its_reason_while_good_files_load(store, warehouse, kind):
    embedded.test_bad_file_is_quarantined_with_its_reason_while_good_files_load(
        store, warehouse, kind
    )


def test_rejection_counts_bad_rows_and_lists_every_failed_check(store, warehouse):
    embedded.test_rejection_counts_bad_rows_and_lists_every_failed_check(store, warehouse)


def test_load_failure_rolls_back_the_file_and_the_run_goes_on(store, warehouse, caplog):
    embedded.test_load_failure_rolls_back_the_file_and_the_run_goes_on(store, warehouse, caplog)


def test_a_file_loaded_by_someone_else_meanwhile_is_skipped(store, warehouse):
    embedded.test_a_file_loaded_by_someone_else_meanwhile_is_skipped(store, warehouse)


def test_a_big_file_goes_through_the_stage_and_rolls_back_whole(store, warehouse):
    # 400 rows: more than one bound INSERT carries, so the rows travel by PUT + COPY INTO.
    store.write_bytes(embedded.FARES_KEY, embedded.csv_bytes(embedded.fare_rows(400)))
    failed = embedded.load_raw_files(store, embedded.FailingManifestWarehouse(warehouse))
    assert [k for k, _ in failed.failed] == [embedded.FARES_KEY]
    assert embedded.count(warehouse, "RAW.FARES") == 0  # the COPY was rolled back with it
    report = embedded.load_raw_files(store, warehouse)
    assert report.loaded == [(embedded.FARES_KEY, "fares", 400)]
    assert embedded.count(warehouse, "RAW.FARES") == 400
    assert warehouse.query_df("LIST @RAW.RAW_STAGE").empty


# Row-level rejects (issue 10 item 1): loaded rows, rejects and the manifest in one transaction.


def test_bad_rows_are_rejected_with_their_reason_and_the_rest_loads(store, warehouse):
    rejects.test_bad_rows_are_rejected_with_their_reason_and_the_rest_loads(store, warehouse)


def test_rerunning_records_good_rows_and_rejects_once(store, warehouse):
    rejects.test_rerunning_records_good_rows_and_rejects_once(store, warehouse)
