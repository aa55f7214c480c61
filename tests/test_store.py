"""The local object store: the same API the S3 store has."""

import pytest

from flightprice.store import LocalStore


def test_write_list_read_move_delete(tmp_path):
    store = LocalStore(tmp_path)
    store.write_bytes("raw-data/fares/2026-09-01/a.csv", b"x")
    store.write_bytes("raw-data/fares/2026-09-02/b.csv", b"yy")
    store.write_bytes("models/v1/model.ubj", b"m")
    assert store.list("raw-data/") == [
        "raw-data/fares/2026-09-01/a.csv",
        "raw-data/fares/2026-09-02/b.csv",
    ]
    assert store.list("raw-data/fares/2026-09-02") == ["raw-data/fares/2026-09-02/b.csv"]
    assert store.read_bytes("raw-data/fares/2026-09-02/b.csv") == b"yy"
    store.move("raw-data/fares/2026-09-01/a.csv", "quarantine/raw-data/fares/2026-09-01/a.csv")
    assert not store.exists("raw-data/fares/2026-09-01/a.csv")
    assert store.exists("quarantine/raw-data/fares/2026-09-01/a.csv")
    store.delete("models/v1/model.ubj")
    assert store.list("models/") == []
    assert store.list("nothing/") == []


def test_local_copy_is_the_file_and_uri_points_at_it(tmp_path):
    store = LocalStore(tmp_path)
    store.write_bytes("k/f.txt", b"hello")
    with store.local_copy("k/f.txt") as path:
        assert path.read_bytes() == b"hello"
    assert store.uri("k/f.txt").startswith("file://")


def test_keys_cannot_escape_the_root(tmp_path):
    store = LocalStore(tmp_path / "lake")
    with pytest.raises(ValueError, match="escapes"):
        store.write_bytes("../outside.txt", b"no")
    assert not (tmp_path / "outside.txt").exists()


def test_write_is_atomic_no_temp_left_behind(tmp_path):
    store = LocalStore(tmp_path)
    store.write_bytes("a/b.bin", b"1" * 1000)
    store.write_bytes("a/b.bin", b"2")
    assert store.read_bytes("a/b.bin") == b"2"
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.bin"]
