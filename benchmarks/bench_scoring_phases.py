"""Benchmark where local scoring's CPU goes: each part alone, and PRICE_HISTORY appends by size.

    uv run python benchmarks/bench_scoring_phases.py parts --home KEPT_1M        # ~25 s quiet
    uv run python benchmarks/bench_scoring_phases.py appends --home KEPT_1M      # ~30 s quiet

`parts`: on a copy of a kept bench_scoring home, the steps of a local run (read, request
checks, features, encoding, predict, flags, pricing, Arrow conversion with the reasons JSON,
history rows, the history appends of `score._history.HistoryWriter`, the publishing UPDATE and
its commit) one after another, each timed by this process's CPU seconds (all threads), so
nothing overlaps. A real run overlaps pricing with the writes; the sum is what it spends.

`appends`: the kept home's 1M PRICE_HISTORY rows appended into a fresh file in appends of
250,000 rows (until session 9), of two row groups (245,760), of one, and all at once, each on
DuckDB's default threads and on one; CPU seconds of the appends and of closing the file (its
checkpoint merges partial row groups), the file's size and its row groups.
"""

from __future__ import annotations

import argparse
import collections
import gc
import os
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa

from flightprice import registry
from flightprice.clock import utc_now
from flightprice.features import derive_request_features, to_matrix
from flightprice.score import _history
from flightprice.score._memory import heap_frozen
from flightprice.score._publish import publish_prices
from flightprice.score.batch import READ_SQL
from flightprice.serve._request_table import request_frame
from flightprice.serve.quoting import quote
from flightprice.serve.unseen import unseen_inputs
from flightprice.settings import Settings
from flightprice.store import open_store
from flightprice.warehouse import open_warehouse

RUN_ID = "bench-local"


def parts(kept: Path) -> dict[str, float]:
    """Return CPU seconds per part of one local run over the kept home's rows."""
    cpu: collections.Counter[str] = collections.Counter()

    def timed(name, f, *args, **kwargs):
        start = time.process_time()
        result = f(*args, **kwargs)
        cpu[name] += time.process_time() - start
        return result

    home = Path(tempfile.mkdtemp(prefix="bench-phases-")) / "home"
    shutil.copytree(kept, home, ignore=shutil.ignore_patterns("*.lock"))
    settings = Settings(home=home, warehouse="duckdb", store="local", api_key="bench")
    try:
        with open_warehouse(settings) as wh, heap_frozen():
            wh.execute(f"SET memory_limit = '{settings.scoring_duckdb_stream_memory_limit}'")
            model = registry.load_champion(wh, open_store(settings))
            wh.execute(f"delete from {_history.HISTORY_TABLE} where run_id = ?", [RUN_ID])
            writer = _history.HistoryWriter(wh, row_group_rows=_history.ROW_GROUP_ROWS)
            chunks, rows_done = wh.query_batches(READ_SQL, [RUN_ID]), 0
            while (batch := timed("read", next, chunks, None)) is not None:
                rows = pa.Table.from_batches([batch])
                frame = timed("request_frame", request_frame, rows)
                features = timed("derive_request_features", derive_request_features, frame)
                matrix = timed("to_matrix", to_matrix, features, model.spec)
                timed("predict", model.predict_matrix, matrix)
                timed("unseen_inputs", unseen_inputs, model, features, matrix)
                # quote() again for the Quotes object: its pricing is price_flights' ~0.1 CPU-s.
                quotes = quote(model, frame, settings.pricing)
                priced = timed("to_arrow (reasons JSON)", quotes.to_arrow, mark_refused=True)
                history = timed(
                    "history_rows", _history.history_rows, rows,
                    priced.drop_columns(["refused"]), RUN_ID, utc_now(),
                )  # fmt: skip
                timed("history appends (+ collections)", writer.append, history)
                rows_done += rows.num_rows
            timed("history appends (+ collections)", writer.flush)
            chunks.close()
            wh.execute(f"SET memory_limit = '{settings.scoring_duckdb_memory_limit}'")
            wh.execute("BEGIN TRANSACTION")
            timed("publish UPDATE", publish_prices, wh, RUN_ID, rows_done)
            timed("commit", wh.execute, "COMMIT")
    finally:
        shutil.rmtree(home.parent, ignore_errors=True)
    return dict(cpu)


def appends(kept: Path) -> list[dict]:
    """Return CPU seconds, file size and row groups of 1M history rows appended by size."""
    with duckdb.connect(str(kept / "warehouse.duckdb"), read_only=True) as source:
        rows = source.sql(f"select * from {_history.HISTORY_TABLE}").to_arrow_table()
        ddl = source.execute(
            "select sql from duckdb_tables() where table_name = 'PRICE_HISTORY'"
        ).fetchone()[0]
    results = []
    for step in (250_000, 2 * _history.ROW_GROUP_ROWS, _history.ROW_GROUP_ROWS, rows.num_rows):
        for threads in (None, 1):
            folder = Path(tempfile.mkdtemp(prefix="bench-appends-"))
            con = duckdb.connect(str(folder / "w.duckdb"))
            con.execute("create schema ML_PREDICTIONS")
            con.execute(ddl)
            if threads:
                con.execute(f"SET threads = {threads}")
            start = time.process_time()
            for offset in range(0, rows.num_rows, step):
                con.register("_incoming", rows.slice(offset, step))
                con.execute(f"insert into {_history.HISTORY_TABLE} select * from _incoming")
                con.unregister("_incoming")
            appended = time.process_time() - start
            groups = con.execute(
                "select count(distinct row_group_id) from pragma_storage_info(?)",
                [_history.HISTORY_TABLE],
            ).fetchone()[0]
            start = time.process_time()
            con.close()
            closed = time.process_time() - start
            results.append({
                "append_rows": step, "threads": threads or "default",
                "append_cpu_seconds": round(appended, 2), "close_cpu_seconds": round(closed, 2),
                "row_groups": groups, "file_mib": (folder / "w.duckdb").stat().st_size >> 20,
            })  # fmt: skip
            shutil.rmtree(folder, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["parts", "appends"])
    parser.add_argument("--home", type=Path, required=True, help="A kept bench_scoring home.")
    args = parser.parse_args()
    gc.collect()
    load = os.getloadavg()[0]
    if args.what == "parts":
        cpu = parts(args.home)
        for name, seconds in cpu.items():
            print(f"{name:34s} {seconds:6.2f} CPU-s")
        beyond = sum(cpu.values()) - cpu["predict"]
        print(
            f"{'beyond predict':34s} {beyond:6.2f} CPU-s  (load {load:.1f}-{os.getloadavg()[0]:.1f})"
        )
    else:
        for row in appends(args.home):
            print(row)
        print(f"load {load:.1f}-{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
