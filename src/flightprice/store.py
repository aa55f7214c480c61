"""Object store: a local folder laid out like the production bucket, or S3, behind one API.

Keys are POSIX paths relative to the bucket root, e.g. ``raw-data/fares/2026-09-01/a.csv``.
"""

# Why not fsspec (judged for issue 14, fsspec 2026.9): its S3 side needs s3fs, which is not
# in the lock, and boto3 already brings the Prefect credentials block, managed multipart
# transfers and the client's retries (`_aws`). Its LocalFileSystem would not keep this
# store's guarantees either: `cat_file` reads through a link pointing out of the lake (the
# quarantine of such links, tests/hardening/test_hostile_corpus.py), and `pipe_file` writes
# in place (autocommit) or through a temp file in the system temp folder, where ours renames
# a temp file beside the target (atomic; tests/test_store.py, tests/hardening/test_sigkill.py).
# The key checks would stay ours, so fsspec would add a layer without removing code.

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from flightprice.settings import Settings

RAW_PREFIX = "raw-data/"
QUARANTINE_PREFIX = "quarantine/"
MODELS_PREFIX = "models/"
MiB = 1024 * 1024
RACY_SECONDS = 2  # a local file younger than this gets no change marker yet


class UnsafeKeyError(ValueError):
    """A key that leaves the store: `..`, or a local link pointing outside the lake."""


class ObjectStore(Protocol):
    """What every store offers; ingest, training and serving use nothing else."""

    def list(self, prefix: str = "") -> list[str]: ...
    def fingerprints(self, prefix: str = "") -> dict[str, str | None]: ...
    def exists(self, key: str) -> bool: ...
    def read_bytes(self, key: str) -> bytes: ...
    def write_bytes(self, key: str, data: bytes) -> None: ...
    def move(self, src: str, dst: str) -> None: ...
    def delete(self, key: str) -> None: ...
    def uri(self, key: str) -> str: ...
    def local_copy(self, key: str) -> contextlib.AbstractContextManager[Path]: ...


class LocalStore:
    """A folder standing in for the bucket; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path, racy_seconds: float = RACY_SECONDS) -> None:
        self.root = Path(root)
        self.racy_seconds = racy_seconds

    def _path(self, key: str) -> Path:
        """Return the file `key` names, links followed; raise UnsafeKeyError outside the root."""
        path = (self.root / key).resolve()
        if self.root.resolve() not in (path, *path.parents):
            raise UnsafeKeyError(f"key escapes the store (a link out of the lake?): {key!r}")
        return path

    def _entry(self, key: str) -> Path:
        """Return the directory entry `key` names, itself (a link is not followed)."""
        entry = self._path(key.rsplit("/", 1)[0] if "/" in key else "") / key.rsplit("/", 1)[-1]
        if entry.name in ("", ".", ".."):
            raise UnsafeKeyError(f"not a store key: {key!r}")
        return entry

    def list(self, prefix: str = "") -> list[str]:
        """Return the keys under `prefix`: files, and links (followed or not, see `_path`)."""
        base = self.root / prefix
        start = base if base.is_dir() else base.parent
        if not start.exists():
            return []
        keys = (
            p.relative_to(self.root).as_posix()
            for p in start.rglob("*")
            if p.is_file() or p.is_symlink()
        )
        return sorted(k for k in keys if k.startswith(prefix) and not k.endswith(".tmp"))

    def fingerprints(self, prefix: str = "") -> dict[str, str | None]:
        """Return `list(prefix)` with a cheap change marker per key: size, mtime and inode.

        A file changed within the last `racy_seconds` gets None (no marker): file times tick
        coarsely, so a same-size rewrite that soon could keep the marker (git's "racy" case).
        """
        marks: dict[str, str | None] = {}
        now = time.time_ns()
        for key in self.list(prefix):
            try:
                stat = self._path(key).stat()
            except FileNotFoundError:  # moved away since the listing
                continue
            except UnsafeKeyError:  # a link out of the lake: listed, never read (ingest)
                marks[key] = None
                continue
            settled = now - stat.st_mtime_ns > self.racy_seconds * 1e9
            marks[key] = (
                f"size={stat.st_size};mtime_ns={stat.st_mtime_ns};ino={stat.st_ino}"
                if settled else None
            )  # fmt: skip
        return marks

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
        target = self._entry(dst)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(self._entry(src), target)  # a link moves as a link

    def delete(self, key: str) -> None:
        self._entry(key).unlink(missing_ok=True)  # a link, not what it points to

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        yield self._path(key)


class S3Store:
    """The production bucket over boto3 (any S3-compatible endpoint), same API as LocalStore.

    Missing keys raise FileNotFoundError as a folder does; large bodies go up and across in
    parts (managed transfers); transient errors are retried by the client (see `_aws`).
    """

    def __init__(self, bucket: str, client: Any, multipart_threshold: int = 64 * MiB) -> None:
        from boto3.s3.transfer import TransferConfig

        self.bucket = bucket
        self.client = client
        self._transfer = TransferConfig(multipart_threshold=multipart_threshold,
                                        multipart_chunksize=max(8 * MiB, multipart_threshold))

    def __repr__(self) -> str:
        return f"S3Store(s3://{self.bucket}/)"

    def check_access(self) -> None:
        """Raise a clear error unless the bucket exists and these credentials may use it."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            raise PermissionError(f"bucket s3://{self.bucket}/ is not usable: {code}") from exc

    def list(self, prefix: str = "") -> list[str]:
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            # A key ending in "/" is a console "folder" marker, not an object of ours.
            keys.extend(o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/"))
        return sorted(keys)

    def fingerprints(self, prefix: str = "") -> dict[str, str | None]:
        """Return the keys under `prefix` with size and ETag, from the listing alone."""
        marks: dict[str, str | None] = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            for o in page.get("Contents", []):
                if not o["Key"].endswith("/"):
                    marks[o["Key"]] = f"size={o['Size']};etag={o['ETag'].strip(chr(34))}"
        return dict(sorted(marks.items()))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=_check_key(key))
        except Exception as exc:
            if _missing(exc):
                return False
            raise
        return True

    def read_bytes(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=_check_key(key))["Body"].read()
        except Exception as exc:
            raise self._not_found(exc, key) from exc

    def write_bytes(self, key: str, data: bytes) -> None:
        # One PUT is atomic: readers see the old object or the new one, never a part.
        self.client.upload_fileobj(
            io.BytesIO(data), self.bucket, _check_key(key), Config=self._transfer
        )

    def move(self, src: str, dst: str) -> None:
        source = {"Bucket": self.bucket, "Key": _check_key(src)}
        try:
            self.client.copy(source, self.bucket, _check_key(dst), Config=self._transfer)
        except Exception as exc:
            raise self._not_found(exc, src) from exc
        self.client.delete_object(Bucket=self.bucket, Key=src)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_check_key(key))

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="flightprice-") as tmp:
            path = Path(tmp) / PurePosixPath(_check_key(key)).name
            try:
                self.client.download_file(self.bucket, key, str(path), Config=self._transfer)
            except Exception as exc:
                raise self._not_found(exc, key) from exc
            yield path

    def _not_found(self, exc: Exception, key: str) -> Exception:
        return FileNotFoundError(f"{self.uri(key)} not found") if _missing(exc) else exc


def _check_key(key: str) -> str:
    """Return `key` if it is a relative POSIX key inside the bucket, else raise UnsafeKeyError."""
    parts = key.split("/")
    if not key or key.startswith("/") or "\\" in key or any(p in (".", "..") for p in parts):
        raise UnsafeKeyError(f"not a store key: {key!r}")
    return key


def _missing(exc: Exception) -> bool:
    """Whether a botocore error means "no such object" (HEAD answers a bare 404)."""
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


def open_store(settings: Settings) -> ObjectStore:
    """Build the store that `settings` select (S3 credentials: see `flightprice._aws`)."""
    if settings.store == "s3":
        from flightprice._aws import aws_client  # deferred: boto3 only for S3

        settings.require("s3_bucket")
        client = aws_client(settings, "s3", settings.s3_endpoint_url)
        return S3Store(settings.s3_bucket, client)
    return LocalStore(settings.lake)
