"""The S3 store against moto's HTTP server: the LocalStore API, ingest and model artifacts.

Library code runs unchanged: only settings choose S3 (store=s3, bucket, endpoint URL).
"""

from __future__ import annotations

import json
import os
from datetime import date

import pytest

from flightprice.ingest.load import load_raw_files
from flightprice.project import init_project
from flightprice.settings import MissingSettingError, Settings
from flightprice.store import S3Store, open_store
from flightprice.synth.generate import generate_market
from flightprice.train.model import ArtifactChecksumError, load_model, save_model, train_model
from flightprice.train.run import load_training_frame
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.aws

BUCKET = "flightprice-test"


@pytest.fixture
def s3_settings(settings, aws) -> Settings:
    """Settings selecting the S3 store on moto, with the bucket created."""
    from moto_aws import client

    client(aws, "s3").create_bucket(Bucket=BUCKET)
    return settings.model_copy(update={"store": "s3", "s3_bucket": BUCKET, "s3_endpoint_url": aws})


def test_s3_store_has_the_local_store_api(s3_settings):
    store = open_store(s3_settings)
    assert isinstance(store, S3Store)
    store.write_bytes("raw-data/fares/2026-09-01/a.csv", b"x")
    store.write_bytes("raw-data/fares/2026-09-02/b.csv", b"yy")
    store.write_bytes("models/v1/model.ubj", b"m")
    store.client.put_object(Bucket=BUCKET, Key="raw-data/fares/", Body=b"")  # a console folder
    assert store.list("raw-data/") == [
        "raw-data/fares/2026-09-01/a.csv", "raw-data/fares/2026-09-02/b.csv"]
    assert store.list("raw-data/fares/2026-09-02") == ["raw-data/fares/2026-09-02/b.csv"]
    assert store.read_bytes("raw-data/fares/2026-09-02/b.csv") == b"yy"
    assert store.exists("models/v1/model.ubj") and not store.exists("models/v2/model.ubj")

    store.move("raw-data/fares/2026-09-01/a.csv", "quarantine/raw-data/fares/2026-09-01/a.csv")
    assert not store.exists("raw-data/fares/2026-09-01/a.csv")
    assert store.read_bytes("quarantine/raw-data/fares/2026-09-01/a.csv") == b"x"
    with store.local_copy("raw-data/fares/2026-09-02/b.csv") as path:
        assert path.name == "b.csv" and path.read_bytes() == b"yy"
    assert not path.exists()  # the download is removed with the context
    assert store.uri("models/v1/model.ubj") == f"s3://{BUCKET}/models/v1/model.ubj"

    store.delete("models/v1/model.ubj")
    store.delete("models/v1/model.ubj")  # deleting what is gone is fine, as in a folder
    assert store.list("models/") == [] and store.list("nothing/") == []


def test_missing_keys_and_bad_keys_fail_like_a_folder(s3_settings):
    store = open_store(s3_settings)
    with pytest.raises(FileNotFoundError, match="s3://"):
        store.read_bytes("models/none/model.ubj")
    with pytest.raises(FileNotFoundError):
        store.move("raw-data/none.csv", "quarantine/none.csv")
    with pytest.raises(FileNotFoundError), store.local_copy("raw-data/none.csv"):
        pass
    for key in ("../outside", "/abs", "a/./b", ""):
        with pytest.raises(ValueError, match="not a store key"):
            store.write_bytes(key, b"no")
    assert store.list() == []


def test_large_bodies_go_up_and_move_in_parts(s3_settings, aws):
    from moto_aws import client

    store = S3Store(BUCKET, client(aws, "s3"), multipart_threshold=5 * 1024 * 1024)
    body = os.urandom(6 * 1024 * 1024 + 17)
    store.write_bytes("raw-data/fares/2026-09-01/big.parquet", body)
    head = store.client.head_object(Bucket=BUCKET, Key="raw-data/fares/2026-09-01/big.parquet")
    assert "-" in head["ETag"]  # a multipart upload's ETag is "<md5>-<parts>"
    store.move("raw-data/fares/2026-09-01/big.parquet", "quarantine/big.parquet")
    assert store.read_bytes("quarantine/big.parquet") == body


def test_missing_bucket_setting_and_missing_bucket_are_named(settings, aws):
    with pytest.raises(MissingSettingError, match="FLIGHTPRICE_S3_BUCKET"):
        open_store(settings.model_copy(update={"store": "s3"}))
    absent = settings.model_copy(update={"store": "s3", "s3_bucket": "no-such-bucket",
                                         "s3_endpoint_url": aws})
    with pytest.raises(PermissionError, match="s3://no-such-bucket/"):
        init_project(absent)


def test_ingest_loads_and_quarantines_files_from_s3(s3_settings):
    assert init_project(s3_settings)["lake"] == f"s3://{BUCKET}/"
    store = open_store(s3_settings)
    generate_market(store, start=date(2026, 9, 1), days=2, routes=2, seed=3, fmt="parquet")
    bad = "raw-data/fares/2026-09-03/bad.csv"
    store.write_bytes(bad, b"quote_id,price\nQ1,-5\n")

    with open_warehouse(s3_settings) as wh:
        report = load_raw_files(store, wh, run_id="s3-1")
        again = load_raw_files(store, wh, run_id="s3-2")
        rows = wh.query_df("SELECT COUNT(*) AS n, MIN(_source_file) AS f FROM RAW.FARES")
    assert len(report.loaded) == 4 and [k for k, _ in report.quarantined] == [bad]
    assert rows["n"][0] == sum(n for _, feed, n in report.loaded if feed == "fares") > 0
    assert rows["f"][0].startswith("raw-data/fares/")  # the store key, not a temp path
    assert not store.exists(bad) and store.exists("quarantine/" + bad)
    reason = json.loads(store.read_bytes(f"quarantine/{bad}.reason.json"))
    assert "missing columns" in json.dumps(reason)
    assert again.loaded == [] and again.quarantined == []  # nothing new, nothing twice
    # The second run decided on the listing's size + ETag: it downloaded nothing.
    downloads = []
    store.client.meta.events.register(
        "before-call.s3.GetObject", lambda **kw: downloads.append(kw["params"]["Key"]))
    with open_warehouse(s3_settings) as wh:
        third = load_raw_files(store, wh, run_id="s3-3")
    assert len(third.skipped_already_loaded) == 4 and downloads == []
    marks = store.fingerprints("raw-data/")
    assert all(m and m.startswith("size=") and "etag=" in m for m in marks.values())


def test_model_artifacts_save_and_load_on_s3_with_checksums(s3_settings, market_template,
                                                            make_settings):
    with open_warehouse(make_settings(market_template), read_only=True) as wh:
        frame = load_training_frame(wh)
    trained = train_model(frame, {"num_boost_round": 10, "learning_rate": 0.3}, holdout_days=2)
    store = open_store(s3_settings)
    info = save_model(trained, store, "v-s3-1")

    assert info.model_uri.startswith(f"s3://{BUCKET}/models/v-s3-1/")
    assert all(k.startswith("models/v-s3-1/") for k in store.list("models/"))
    loaded = load_model(store, "v-s3-1", expected_sha256=info.sha256)
    assert loaded.version == "v-s3-1"
    sample = frame.head(50)
    assert (loaded.predict(sample) == trained.predict(sample)).all()

    model_key = info.model_uri.removeprefix(f"s3://{BUCKET}/")
    store.write_bytes(model_key, store.read_bytes(model_key)[:-1] + b"\0")
    with pytest.raises(ArtifactChecksumError, match="checksum"):
        load_model(store, "v-s3-1", expected_sha256=info.sha256)
