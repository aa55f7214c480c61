"""A scoring run's priced chunks as PRICE_HISTORY rows: built, counted and appended in batches.

`score.batch` streams chunks through a scorer; each priced chunk becomes history rows here
(refused rows dropped), its unseen-input and guardrail counts go to the run's report, and the
rows are appended a few chunks at a time.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from flightprice.score._memory import release_freed_memory
from flightprice.serve.quoting import PRICED_SCHEMA, model_version_of

if TYPE_CHECKING:
    from flightprice.warehouse import Warehouse

HISTORY_TABLE = "ML_PREDICTIONS.PRICE_HISTORY"
# DuckDB's row group; an append writes its whole row groups straight to the file, its last
# partial one too, and the next checkpoint merges (rewrites and recompresses) runs of such
# partial row groups with their neighbours.
ROW_GROUP_ROWS = 122_880
PRICE_COLUMNS = (
    "flight_id", "cabin", "departure_at", "days_to_departure", "price_usd", "market_fare_usd",
    "demand_adjustment", "urgency_adjustment", "guardrail", "reasons", "previous_price_usd",
    "model_version", "as_of", "scored_at", "run_id", "unseen", "confidence", "fare_source",
)  # fmt: skip


class HistoryWriter:
    """Append PRICE_HISTORY rows in batches of at least `append_rows`.

    Each batch but the last is a whole number of `row_group_rows`; the rows beyond wait for
    the next batch. By default a batch is one row group, appended as soon as one is pending:
    a whole row group is written straight to the file (the write-ahead log holds only its
    block pointers, 3 KiB per append), so one-row-group appends cost what two-row-group ones
    do (0.84 CPU-s per 1M rows each; 100k-row appends went through the log, 1.25x), and less
    is left for the append after the last chunk, which runs with nothing beside it. Whole row
    groups only: 1M rows appended 250,000 at a time left a 4,240-row group after every two
    full ones, and the checkpoint merging them cost 0.87 CPU-s (file 91 MiB) against 0.03
    (48 MiB) (benchmarks/README.md, sessions 9 and 10 scoring).
    """

    def __init__(
        self,
        warehouse: Warehouse,
        append_rows: int = ROW_GROUP_ROWS,
        row_group_rows: int = ROW_GROUP_ROWS,
    ) -> None:
        self.warehouse, self.append_rows = warehouse, append_rows
        self.row_group_rows = row_group_rows
        self.pending: list[pa.Table] = []
        self.rows = 0

    def append(self, history: pa.Table) -> None:
        self.pending.append(history)
        self.rows += history.num_rows
        whole = self.rows - self.rows % self.row_group_rows
        if self.rows >= self.append_rows and whole:
            self._append(whole)

    def flush(self) -> None:
        if self.pending:
            self._append(self.rows)

    def _append(self, rows: int) -> None:
        pending = pa.concat_tables(self.pending)
        self._insert(pending.slice(0, rows))
        rest = pending.slice(rows)
        self.pending, self.rows = ([rest] if rest.num_rows else []), rest.num_rows
        del pending
        release_freed_memory()  # the appended rows' buffers (see _memory)

    def _insert(self, rows: pa.Table) -> None:
        if self.warehouse.dialect != "duckdb":
            self.warehouse.insert_arrow(HISTORY_TABLE, rows)
            return
        # DuckDB's parallel insert cuts a row group where one thread's share ends (108,480 +
        # 14,400 seen), which the next checkpoint merges again (0.36 CPU-s per 1M rows); one
        # thread keeps whole row groups whole and took 0.82 CPU-s against 0.93 for two.
        threads = self.warehouse.query_arrow("SELECT current_setting('threads') AS n")
        self.warehouse.execute("SET threads = 1")
        try:
            self.warehouse.insert_arrow(HISTORY_TABLE, rows)
        finally:
            self.warehouse.execute(f"SET threads = {int(threads.column(0)[0].as_py())}")


def history_rows(rows: pa.Table, priced: pa.Table, run_id: str, scored_at: datetime) -> pa.Table:
    """Return a chunk's PRICE_HISTORY rows: its scoring rows' keys beside their priced columns."""
    n = rows.num_rows
    if "model_version" in priced.column_names:
        version = priced.column("model_version")
    else:
        version = pa.repeat(pa.scalar(model_version_of(priced)), n)
    columns = {
        "flight_id": rows.column("flight_id"),
        "cabin": rows.column("cabin"),
        "departure_at": rows.column("departure_at"),
        **{name: priced.column(name) for name in PRICED_SCHEMA.names},
        "previous_price_usd": rows.column("last_price"),
        "model_version": version,
        "as_of": rows.column("as_of"),
        "scored_at": pa.repeat(pa.scalar(scored_at, pa.timestamp("us")), n),
        "run_id": pa.repeat(pa.scalar(run_id), n),
    }
    return pa.table({name: columns[name] for name in PRICE_COLUMNS})


def unseen_counts(priced: pa.Table) -> Counter[str]:
    """Count a chunk's rows with unseen inputs, by input, from the baseline, and refused."""
    counts: Counter[str] = Counter()
    for pattern, n in value_counts(priced.column("unseen")).items():
        if pattern:
            counts["unseen_rows"] += n
            counts.update({f"unseen:{name}": n for name in pattern.split(",")})
    counts["baseline_rows"] += value_counts(priced.column("fare_source")).get("baseline", 0)
    if "refused" in priced.column_names:
        counts["refused_rows"] += int(pc.sum(priced.column("refused")).as_py() or 0)
    return counts


def without_refused(rows: pa.Table, priced: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Drop the rows the unseen policy refuses (`refused`, LocalScorer under `refuse`)."""
    if "refused" not in priced.column_names:
        return rows, priced
    refused = priced.column("refused")
    if not pc.any(refused).as_py():
        # The usual chunk: filtering every column by an all-true mask copied the whole chunk.
        return rows, priced.drop_columns(["refused"])
    keep = pc.invert(refused)
    return rows.filter(keep), priced.filter(keep).drop_columns(["refused"])


def log_details(unseen: Counter[str]) -> dict[str, Any]:
    """Return SCORING_LOG.details from a run's unseen-input counts."""
    by_input = {k.split(":", 1)[1]: v for k, v in sorted(unseen.items()) if ":" in k}
    totals = {k: unseen[k] for k in ("unseen_rows", "baseline_rows", "refused_rows")}
    return {**totals, "unseen_inputs": by_input}


def versions(priced: pa.Table) -> set[str]:
    """Return the model versions that priced a chunk."""
    if "model_version" in priced.column_names:
        return {str(v) for v in pc.unique(priced.column("model_version")).to_pylist()}
    return {model_version_of(priced)}


def value_counts(column: pa.ChunkedArray) -> dict[str, int]:
    """Return how many rows hold each value of a column."""
    return {row["values"]: row["counts"] for row in pc.value_counts(column).to_pylist()}
