"""dbt's transformed_at stamp in ML_TRAINING_FEATURES never reaches the model's features."""

from __future__ import annotations

import pytest
from distributed import Client

from flightprice.features import FEATURE_COLUMNS, TRAINING_TABLE_COLUMNS
from flightprice.train._dask import load_partitions
from flightprice.train.model import train_model
from flightprice.train.run import load_training_frame, training_sql
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow

STAMP = "transformed_at"


def _table_columns(wh) -> list[str]:
    frame = wh.query_df("SELECT * FROM ANALYTICS.ML_TRAINING_FEATURES LIMIT 1")
    return [c.lower() for c in frame.columns]


def test_training_reads_the_contract_columns_not_the_build_stamp(market_template, make_settings):
    settings = make_settings(market_template)
    with open_warehouse(settings, read_only=True) as wh:
        columns = _table_columns(wh)
        frame = load_training_frame(wh)
        latest = load_training_frame(wh, max_rows=100)
    # The real dbt build stamps its rows, and holds nothing else beside the contract.
    assert STAMP in columns and set(columns) - {STAMP} == set(TRAINING_TABLE_COLUMNS)
    assert STAMP not in frame.columns and STAMP not in latest.columns
    assert set(TRAINING_TABLE_COLUMNS) <= set(frame.columns)
    model = train_model(frame, {"num_boost_round": 3}, holdout_days=2)
    assert list(model.spec.columns) == list(FEATURE_COLUMNS)


def test_dask_export_leaves_the_build_stamp_out(dask_cluster, market_template, make_settings):
    settings = make_settings(market_template)
    with open_warehouse(settings, read_only=True) as wh, Client(dask_cluster) as client:
        parts = load_partitions(client, wh, training_sql(), batch_rows=5000)
        columns = client.gather(client.map(lambda f: list(f.columns), parts.futures))
    assert columns and all(STAMP not in c for c in columns)
