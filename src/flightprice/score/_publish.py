"""Publish a scoring run's PRICE_HISTORY rows into FLIGHT_PRICES (one row per flight and cabin).

The caller holds the publishing transaction. Snowflake runs one MERGE. DuckDB's FLIGHT_PRICES
has no key index (sql/duckdb_setup.sql), so its MERGE joins the run to the whole table and
carries an insert branch that a run re-pricing known flights never takes: an UPDATE of the
matched rows costs ~0.35-0.45 CPU-s less per 1M matched rows (0.80-0.92 vs 1.15-1.74 in one
probe; benchmarks/README.md, session 8), and the insert of the new rows runs only
when the update matched fewer rows than the run has. Same rows, same values.

The update runs once, after the last history append. Streaming it (an UPDATE of each
append's flights as it is committed, in one transaction left open) cut the tail after the
last chunk but cost ~0.5 CPU-s more per 1M rows and was slower end to end on a quiet machine
(1.85-1.86x bare vs 1.79-1.81x; benchmarks/README.md, session 8): not kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flightprice.score._history import HISTORY_TABLE, PRICE_COLUMNS

if TYPE_CHECKING:
    from flightprice.warehouse import Warehouse

PRICES_TABLE = "ML_PREDICTIONS.FLIGHT_PRICES"
_COLS = ", ".join(PRICE_COLUMNS)
_SET = ", ".join(f"{c} = run.{c}" for c in PRICE_COLUMNS[2:])
_RUN = f"(select {_COLS} from {HISTORY_TABLE} where run_id = ?) as run"
_KEY = "prices.flight_id = run.flight_id and prices.cabin = run.cabin"
MERGE_SQL = f"""
merge into {PRICES_TABLE} as prices
using {_RUN}
    on {_KEY}
when matched then update set {_SET}
when not matched then insert ({_COLS}) values ({", ".join(f"run.{c}" for c in PRICE_COLUMNS)})
"""
UPDATE_SQL = f"update {PRICES_TABLE} as prices set {_SET} from {_RUN} where {_KEY}"
INSERT_NEW_SQL = f"""
insert into {PRICES_TABLE} ({_COLS})
select {_COLS} from {_RUN}
where not exists (select 1 from {PRICES_TABLE} as prices where {_KEY})
"""


def publish_prices(warehouse: Warehouse, run_id: str, run_rows: int) -> None:
    """Make the run's `run_rows` history rows the current prices of their flights and cabins."""
    if warehouse.dialect != "duckdb":
        warehouse.execute(MERGE_SQL, [run_id])
        return
    updated = warehouse.query_arrow(UPDATE_SQL, [run_id]).column(0)[0].as_py()
    if updated < run_rows:  # flights first priced by this run
        warehouse.execute(INSERT_NEW_SQL, [run_id])
