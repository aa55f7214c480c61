"""Warehouse backends behind one protocol; `open_warehouse` picks one from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flightprice.warehouse.base import Warehouse, WarehouseConnectionError

if TYPE_CHECKING:
    from flightprice.settings import Settings

__all__ = ["Warehouse", "WarehouseConnectionError", "open_warehouse", "setup_warehouse"]


def open_warehouse(settings: Settings, read_only: bool = False) -> Warehouse:
    """Open the warehouse that `settings` select; close it (or use `with`) when done."""
    if settings.warehouse == "snowflake":
        # deferred: the backend's driver
        from flightprice.warehouse.snowflake import SnowflakeWarehouse

        settings.check_production()
        return SnowflakeWarehouse.from_settings(settings)
    from flightprice.warehouse.duckdb import DuckDBWarehouse  # deferred: the backend's driver

    return DuckDBWarehouse(settings.duckdb_file, read_only=read_only)


def setup_warehouse(warehouse: Warehouse, settings: Settings) -> None:
    """Create schemas and log tables (idempotent)."""
    script = (settings.sql_dir / f"{warehouse.dialect}_setup.sql").read_text()
    if warehouse.dialect == "snowflake":
        # deferred: the backend's driver
        from flightprice.warehouse._snowflake_sql import render_setup_sql

        script = render_setup_sql(script, settings)
    warehouse.run_script(script)
