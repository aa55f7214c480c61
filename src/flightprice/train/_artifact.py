"""The model artifact: `models/<version>/model.ubj` + `metadata.json`, sha256-verified on load."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import xgboost as xgb

from flightprice._json import dumps
from flightprice.clock import utc_now
from flightprice.features import FeatureSpec
from flightprice.store import MODELS_PREFIX, ObjectStore
from flightprice.train._predictor import LoadedModel, TrainedModel

MODEL_FILE = "model.ubj"
METADATA_FILE = "metadata.json"
_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")



class ArtifactChecksumError(RuntimeError):
    """The model bytes in the store do not hash to the recorded sha256."""


class ArtifactNotFoundError(FileNotFoundError):
    """No model artifact is stored under the requested version."""


@dataclass(frozen=True)
class ArtifactInfo:
    version: str
    model_key: str
    metadata_key: str
    model_uri: str
    metadata_uri: str
    sha256: str
    size_bytes: int
    created_at: datetime


def new_version(now: datetime | None = None) -> str:
    """Return a sortable, unique model version such as `v20261126T070102Z-3fa9c1`."""
    now = (now or utc_now()).astimezone(UTC)
    return f"v{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def save_model(trained: TrainedModel, store: ObjectStore, version: str) -> ArtifactInfo:
    """Write `models/<version>/model.ubj` and its `metadata.json`; never overwrite a version."""
    model_key, metadata_key = _keys(version)
    if store.exists(model_key) or store.exists(metadata_key):
        raise FileExistsError(f"model version {version} already exists at {store.uri(model_key)}")
    raw = bytes(trained.booster.save_raw("ubj"))
    digest = hashlib.sha256(raw).hexdigest()
    created_at = utc_now()
    meta = {
        "version": version,
        "created_at": created_at.isoformat(),
        "model_file": MODEL_FILE,
        "model_bytes": len(raw),
        "sha256": digest,
        **trained.metadata,
    }
    store.write_bytes(model_key, raw)
    # Metadata last: a version with metadata is complete.
    store.write_bytes(metadata_key, dumps(meta, indent=2).encode())
    return ArtifactInfo(
        version=version,
        model_key=model_key,
        metadata_key=metadata_key,
        model_uri=store.uri(model_key),
        metadata_uri=store.uri(metadata_key),
        sha256=digest,
        size_bytes=len(raw),
        created_at=created_at,
    )


def load_model(store: ObjectStore, version: str, expected_sha256: str | None = None) -> LoadedModel:
    """Load a stored version after checking its bytes against the recorded sha256."""
    model_key, metadata_key = _keys(version)
    for key in (model_key, metadata_key):
        if not store.exists(key):
            raise ArtifactNotFoundError(f"model version {version}: {store.uri(key)} not found")
    meta = json.loads(store.read_bytes(metadata_key))
    raw = store.read_bytes(model_key)
    actual = hashlib.sha256(raw).hexdigest()
    for source, expected in (("registry", expected_sha256), ("metadata.json", meta.get("sha256"))):
        if expected is not None and expected != actual:
            raise ArtifactChecksumError(
                f"model version {version}: checksum mismatch for {store.uri(model_key)}: "
                f"expected sha256 {expected} (from {source}), actual {actual}. "
                "The artifact was modified or corrupted; refusing to load it."
            )
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    return LoadedModel(
        booster,
        FeatureSpec.from_dict(meta),
        meta["target_transform"],
        version=version,
        sha256=actual,
        metadata=meta,
    )


def _keys(version: str) -> tuple[str, str]:
    if not _VERSION_RE.match(version):
        raise ValueError(f"invalid model version {version!r}")
    base = f"{MODELS_PREFIX}{version}/"
    return base + MODEL_FILE, base + METADATA_FILE
