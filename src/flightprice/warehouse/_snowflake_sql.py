"""Snowflake values and statements: setup-script names, connector-bindable values, Arrow types."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from flightprice.clock import naive_utc
from flightprice.settings import Settings

# What the stand-in cannot run: account-level objects and privileges (it has neither).
STAND_IN_SKIPS = re.compile(
    r"^\s*(create\s+(or\s+replace\s+)?(warehouse|role|user|resource\s+monitor)"
    r"|alter\s+(warehouse|user|role)|grant|revoke)\b",
    re.IGNORECASE,
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
# Object names in sql/snowflake_setup.sql, replaced by the configured ones.
SETUP_NAMES = {"FLIGHT_PRICING": "snowflake_database", "COMPUTE_WH": "snowflake_warehouse",
               "DATA_ENGINEER": "snowflake_role"}  # fmt: skip


def render_setup_sql(sql: str, settings: Settings) -> str:
    """Put the configured database, warehouse and role names into the setup script."""
    for default, field in SETUP_NAMES.items():
        configured = identifier(getattr(settings, field))
        if configured.upper() != default:
            sql = re.sub(rf"\b{default}\b", configured, sql)
    return sql


def statement_kind(statement: str) -> str:
    match = STAND_IN_SKIPS.match(statement)
    return " ".join(match.group(1).split()).upper() if match else statement.split()[0].upper()


def identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def normalised(table: pa.Table) -> pa.Table:
    """Lower-case names and DuckDB-like types: int64, float64, microsecond timestamps."""
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_integer(kind):
            kind = pa.int64()
        elif pa.types.is_decimal(kind):
            kind = pa.int64() if kind.scale == 0 else pa.float64()
        elif pa.types.is_timestamp(kind):
            kind = pa.timestamp("us", tz=kind.tz)
        fields.append(pa.field(field.name.lower(), kind))
    return table.rename_columns([f.name for f in fields]).cast(pa.schema(fields), safe=False)


def loadable(data: pa.Table) -> pa.Table:
    # An all-null column has no type to load; leaving it out loads NULL just the same.
    keep = [name for name, col in zip(data.column_names, data.columns, strict=True)
            if not pa.types.is_null(col.type)]  # fmt: skip
    return data.select(keep)


def bindable(params: Sequence[Any] | None) -> list[Any] | None:
    """Turn numpy / pandas values into the Python types the connector binds."""
    if params is None:
        return None
    values = []
    for value in params:
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, pd.Timestamp):
            value = None if pd.isna(value) else value.to_pydatetime()
        elif value is pd.NaT or value is pd.NA:
            value = None
        if isinstance(value, datetime):
            value = naive_utc(value)  # columns are UTC, no offset
        if isinstance(value, Decimal):
            value = float(value)
        values.append(value)
    return values
