"""Create the embedded home: lake folders like the bucket, warehouse schemas, the admin key."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from flightprice.settings import Settings
from flightprice.store import MODELS_PREFIX, QUARANTINE_PREFIX, RAW_PREFIX
from flightprice.warehouse import open_warehouse, setup_warehouse


class NotInitialisedError(RuntimeError):
    """The home was never set up: the command would otherwise create an empty warehouse."""

    hint = "run `flightprice init` first"


def require_initialised(settings: Settings) -> None:
    """Raise NotInitialisedError unless `flightprice init` created the embedded warehouse.

    Checked before anything opens the file: opening a missing DuckDB file creates it, which
    would leave an empty warehouse behind. Snowflake and S3 say what is missing themselves.
    """
    if settings.warehouse == "duckdb" and not settings.duckdb_file.exists():
        raise NotInitialisedError(
            f"no warehouse at {settings.duckdb_file}: this home has not been set up yet"
        )


def init_project(settings: Settings, target: str | None = None) -> dict[str, str]:
    """Create what the configured backends need; safe to run again.

    `target` ("duckdb" or "snowflake") sets up that warehouse instead of the configured one.
    """
    if target is not None:
        settings = settings.model_copy(update={"warehouse": target})
    settings.check_production()
    created: dict[str, str] = {}
    if settings.store == "local":
        for prefix in (RAW_PREFIX, QUARANTINE_PREFIX, MODELS_PREFIX):
            folder = settings.lake / prefix
            folder.mkdir(parents=True, exist_ok=True)
        created["lake"] = str(settings.lake.resolve())
    else:
        from flightprice.store import open_store  # deferred: boto3 for an S3 store

        open_store(settings).check_access()  # fail now, not at the first ingest
        created["lake"] = f"s3://{settings.s3_bucket}/"
    if settings.api_key is None:
        created["admin key"] = str(create_admin_key(settings).resolve())
    with open_warehouse(settings) as warehouse:
        setup_warehouse(warehouse, settings)
        skipped = getattr(warehouse, "skipped_statements", [])
    created["warehouse"] = (
        str(settings.duckdb_file.resolve())
        if settings.warehouse == "duckdb"
        else f"snowflake://{settings.snowflake_account}/{settings.snowflake_database}"
    )
    if skipped:  # the stand-in has no warehouses, roles or grants (sql/snowflake_setup.sql)
        created["skipped on the stand-in"] = f"{len(skipped)} account-level statements"
    return created


def create_admin_key(settings: Settings) -> Path:
    """Write a random admin key to `settings.admin_key_file`, readable by its owner only.

    The API's POST /admin/reload needs a key, and the training flow's local deploy calls it:
    a generated key makes the default set-up run every scheduled job without configuring one.
    FLIGHTPRICE_API_KEY, when set, wins over the file.
    """
    path = settings.admin_key_file
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # keep a key the running API already uses
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32) + "\n")
    return path
