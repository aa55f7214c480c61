"""Create the embedded home: lake folders laid out like the bucket, and the warehouse schemas."""

from __future__ import annotations

from flightprice.settings import Settings
from flightprice.store import MODELS_PREFIX, QUARANTINE_PREFIX, RAW_PREFIX
from flightprice.warehouse import open_warehouse, setup_warehouse


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
