"""Benchmark two ways to publish a scoring run's prices into FLIGHT_PRICES (DuckDB).

    uv run python benchmarks/bench_scoring_publish.py --home KEPT_1M_HOME   # both arms, 2x

On a copy of a kept bench_scoring home (published once: FLIGHT_PRICES holds every row), the
home's PRICE_HISTORY rows are written again as a second run ("r2", prices + 1), 250k rows per
committed append as `score._history` does, and published in one transaction either

  at-end    one MERGE from the run's PRICE_HISTORY rows after the last append (until session 8)
  update    after the last append, an UPDATE of the matched rows, the insert of new flights
            only if some were new (`score._publish.publish_prices`, DuckDB since session 8)
  streamed-update  an UPDATE per appended batch from its Arrow (second connection, one open
            transaction), then the insert of new flights only if some were new, and the commit
  streamed  one MERGE per appended batch, from the Arrow batch, on a second connection whose
            transaction stays open from the first append to the commit (session 7's idea 1)

Each arm runs in its own process. Printed per arm: CPU seconds (this process, all threads)
and wall seconds of the whole write, the part left after the last append (what a scoring run
cannot overlap with pricing), and the peak RSS above the RSS before the first append.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa

from flightprice.score._history import HISTORY_TABLE, PRICE_COLUMNS
from flightprice.score._publish import INSERT_NEW_SQL, UPDATE_SQL, publish_prices
from flightprice.score._publish import MERGE_SQL as PUBLISH_SQL

APPEND_ROWS = 250_000
ARMS = ("at-end", "update", "streamed-update", "streamed")
_COLS = ", ".join(PRICE_COLUMNS)
BATCH_UPDATE_SQL = UPDATE_SQL.replace(
    f"(select {_COLS} from {HISTORY_TABLE} where run_id = ?)", "_batch"
)
BATCH_SQL = PUBLISH_SQL.replace(f"(select {_COLS} from {HISTORY_TABLE} where run_id = ?)", "_batch")


class _Warehouse:
    """The part of the Warehouse protocol `publish_prices` uses, over this arm's connection."""

    dialect = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def execute(self, sql: str, params: list) -> None:
        self.con.execute(sql, params).fetchall()

    def query_arrow(self, sql: str, params: list) -> pa.Table:
        return self.con.sql(sql, params=params).to_arrow_table()


def _status_mib(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    return int(status.split(f"{field}:")[1].split()[0]) // 1024


def run_arm(home: Path, arm: str) -> dict:
    """Write and publish the second run into a copy of `home`'s warehouse; return the figures."""
    folder = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    try:
        path = folder / "warehouse.duckdb"
        shutil.copy(home / "warehouse.duckdb", path)
        con = duckdb.connect(str(path))
        con.execute("SET memory_limit = '384MB'")  # the streaming limit of a scoring run
        run = con.sql(
            f"select * replace ('r2' as run_id, price_usd + 1 as price_usd) from {HISTORY_TABLE}"
        ).to_arrow_table()
        run = pa.table({name: run.column(name).combine_chunks() for name in run.column_names})
        rss0, start, cpu = _status_mib("VmRSS"), time.perf_counter(), time.process_time()
        publisher = con.cursor() if arm.startswith("streamed") else None
        updated = 0
        if publisher is not None:
            publisher.execute("BEGIN TRANSACTION")
        for offset in range(0, run.num_rows, APPEND_ROWS):
            batch = run.slice(offset, APPEND_ROWS)
            con.register("_incoming", batch)
            con.execute(f"insert into {HISTORY_TABLE} select * from _incoming")
            con.unregister("_incoming")
            if publisher is not None:
                publisher.register("_batch", batch)
                if arm == "streamed":
                    publisher.execute(BATCH_SQL)
                else:
                    updated += publisher.execute(BATCH_UPDATE_SQL).fetchone()[0]
                publisher.unregister("_batch")
        tail, tail_cpu = time.perf_counter(), time.process_time()
        con.execute("SET memory_limit = '512MB'")  # the publish limit
        if arm == "update":
            con.execute("BEGIN TRANSACTION")
            publish_prices(_Warehouse(con), "r2", run.num_rows)
            con.execute("COMMIT")
        elif publisher is None:
            con.execute("BEGIN TRANSACTION")
            con.execute(PUBLISH_SQL, ["r2"])
            con.execute("COMMIT")
        else:
            if arm == "streamed-update" and updated < run.num_rows:
                publisher.execute(INSERT_NEW_SQL, ["r2"])
            publisher.execute("COMMIT")
            publisher.close()
        end, end_cpu = time.perf_counter(), time.process_time()
        con.close()
        return {
            "arm": arm, "rows": run.num_rows,
            "cpu_seconds": round(end_cpu - cpu, 2), "wall_seconds": round(end - start, 2),
            "after_last_append_cpu": round(end_cpu - tail_cpu, 2),
            "after_last_append_wall": round(end - tail, 2),
            "peak_rss_above_start_mib": _status_mib("VmHWM") - rss0,
            "load_average": round(os.getloadavg()[0], 1),
        }  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, required=True, help="A kept bench_scoring home.")
    parser.add_argument("--arm", choices=ARMS, help="Run one arm, here.")
    parser.add_argument("--repeat", type=int, default=2, help="Alternated pairs of arms.")
    args = parser.parse_args()
    if args.arm:
        print(json.dumps(run_arm(args.home, args.arm)), flush=True)
        return
    for _ in range(args.repeat):
        for arm in ARMS:  # alternated: other load hits both alike
            subprocess.run(
                [sys.executable, __file__, "--home", str(args.home), "--arm", arm], check=True
            )


if __name__ == "__main__":
    main()
