"""Object store: a local folder laid out like the production bucket, or S3, behind one API.

Keys are POSIX paths relative to the bucket root, e.g. ``raw-data/fares/2026-09-01/a.csv``.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from flightprice.settings import Settings

RAW_PREFIX = "raw-data/"
QUARANTINE_PREFIX = "quarantine/"
MODELS_PREFIX = "models/"


class ObjectStore(Protocol):
    """What every store offers; ingest, training and serving use nothing else."""

    def list(self, prefix: str = "") -> list[str]: ...
    def exists(self, key: str) -> bool: ...
    def read_bytes(self, key: str) -> bytes: ...
    def write_bytes(self, key: str, data: bytes) -> None: ...
    def move(self, src: str, dst: str) -> None: ...
    def delete(self, key: str) -> None: ...
    def uri(self, key: str) -> str: ...
    def local_copy(self, key: str) -> contextlib.AbstractContextManager[Path]: ...


class LocalStore:
    """A folder standing in for the bucket; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in (path, *path.parents):
            raise ValueError(f"key escapes the store: {key!r}")
        return path

    def list(self, prefix: str = "") -> list[str]:
        base = self.root / prefix
        start = base if base.is_dir() else base.parent
        if not start.exists():
            return []
        keys = (p.relative_to(self.root).as_posix() for p in start.rglob("*") if p.is_file())
        return sorted(k for k in keys if k.startswith(prefix) and not k.endswith(".tmp"))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def read_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def write_bytes(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    def move(self, src: str, dst: str) -> None:
        target = self._path(dst)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(self._path(src), target)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        yield self._path(key)


class S3Store:
    """The production bucket over boto3 (any S3-compatible endpoint)."""

    def __init__(self, bucket: str, client) -> None:  # noqa: ANN001 - boto3 client is untyped
        self.bucket = bucket
        self.client = client

    def list(self, prefix: str = "") -> list[str]:
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return sorted(keys)

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def read_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def write_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data)

    def move(self, src: str, dst: str) -> None:
        self.client.copy_object(
            Bucket=self.bucket, Key=dst, CopySource={"Bucket": self.bucket, "Key": src}
        )
        self.client.delete_object(Bucket=self.bucket, Key=src)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="flightprice-") as tmp:
            path = Path(tmp) / Path(key).name
            self.client.download_file(self.bucket, key, str(path))
            yield path


def open_store(settings: Settings) -> ObjectStore:
    """Build the store that `settings` select."""
    if settings.store == "s3":
        import boto3

        settings.require("s3_bucket")
        client = boto3.client(
            "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.aws_region
        )
        return S3Store(settings.s3_bucket, client)
    return LocalStore(settings.lake)
