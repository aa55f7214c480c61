"""The dated currency rates ingest converts prices with, before it checks them in USD.

Validation needs, for each fare, the rate of its currency on the nearest date on or before
its observation date: the shipped history (the dbt `currency_rates` seed) overlaid by the
`currency_rates` feed rows already in RAW.CURRENCY_RATES and those loaded earlier in the same
run (rates files sort before fares files, so a day's rates load before its fares). The
feed wins over the seed for the same date and currency, a later delivery over an earlier
one, as in dbt's int_currency_rates.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

from flightprice.settings import REPO_ROOT
from flightprice.warehouse import Warehouse

RATES_TABLE = "RAW.CURRENCY_RATES"
SEED_RATES = REPO_ROOT / "dbt" / "seeds" / "currency_rates.csv"
RATES_SCHEMA = pa.schema(
    [("date", pa.date32()), ("currency", pa.string()), ("rate_to_usd", pa.float64())]
)


def shipped_rates(path: Path = SEED_RATES) -> pa.Table:
    """Return the shipped rate history (`date, currency, rate_to_usd`) of the dbt seed."""
    options = pa_csv.ConvertOptions(column_types=RATES_SCHEMA, include_columns=RATES_SCHEMA.names)
    return pa_csv.read_csv(path, convert_options=options).select(RATES_SCHEMA.names)


def warehouse_rates(warehouse: Warehouse) -> pa.Table:
    """Return the feed's rates loaded so far, oldest delivery first."""
    table = warehouse.query_arrow(
        f"SELECT date, currency, rate_to_usd FROM {RATES_TABLE} ORDER BY _loaded_at, _source_file"
    )
    return _typed(table.rename_columns(RATES_SCHEMA.names))  # Snowflake upper-cases names


def overlay(base: pa.Table, newer: pa.Table) -> pa.Table:
    """Return `base` with the rows of `newer` replacing those of the same date and currency."""
    newer = _typed(newer)
    if newer.num_rows == 0:
        return base
    # Last row of each (date, currency) wins: `newer` goes after `base`, in delivery order.
    combined = pa.concat_tables([_typed(base), newer])
    keys = zip(combined["date"].to_pylist(), combined["currency"].to_pylist(), strict=True)
    last = {key: i for i, key in enumerate(keys)}
    return combined.take(sorted(last.values()))


def _typed(table: pa.Table) -> pa.Table:
    return table.select(RATES_SCHEMA.names).cast(RATES_SCHEMA)
