"""Benchmark the daily data pipeline against a bare DuckDB load of the same files.

    uv run python benchmarks/bench_pipeline.py --rows 1m      # ~1M fare rows
    uv run python benchmarks/bench_pipeline.py --rows 10m     # ~10M fare rows

For each size: generate the synthetic market (not timed), then time
  pipeline = `load_raw_files` (hash + validate + load + manifest) + `dbt build` (all models and
             tests, including the ML feature tables)
  bare     = `CREATE TABLE AS SELECT * FROM read_csv(...)` of the same fare and schedule files
             into a fresh DuckDB file
in the same process, and print one JSON line per size. Results are recorded in README.md here.
`--slowest N` adds the N slowest dbt nodes; `--keep` keeps the data and dbt's
run_results.json (under `.data/<size>/dbt/target/`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from datetime import date
from pathlib import Path

import duckdb

from flightprice.ingest.load import load_raw_files
from flightprice.project import init_project
from flightprice.settings import Settings
from flightprice.store import LocalStore
from flightprice.synth.generate import generate_market
from flightprice.transform.dbt import run_dbt
from flightprice.warehouse import open_warehouse

SIZES = {  # name -> generate_market arguments
    "1m": {"routes": 40, "days": 31, "quotes_per_day": 1.0},
    "10m": {"routes": 200, "days": 60, "quotes_per_day": 1.0},
    "smoke": {"routes": 4, "days": 5, "quotes_per_day": 1.0},
}


def bare_load(lake: Path, target: Path) -> float:
    """Load every raw CSV with DuckDB's own reader; return seconds."""
    con = duckdb.connect(str(target))
    start = time.perf_counter()
    for feed in ("fares", "schedules"):
        con.execute(
            f"CREATE TABLE {feed} AS SELECT * FROM read_csv(?, header = true)",
            [str(lake / "raw-data" / feed / "*" / "*.csv")],
        )
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - start
    con.close()
    return seconds


def run(size: str, workdir: Path, slowest: int = 0) -> dict:
    home = workdir / size
    shutil.rmtree(home, ignore_errors=True)
    settings = Settings(home=home)
    init_project(settings)
    store = LocalStore(settings.lake)
    market = generate_market(store, start=date(2026, 9, 1), seed=7, fmt="csv",
                             schedules="new", **SIZES[size])

    bare = bare_load(settings.lake, home / "bare.duckdb")

    start = time.perf_counter()
    with open_warehouse(settings) as warehouse:
        report = load_raw_files(store, warehouse)
    ingest_s = time.perf_counter() - start
    start = time.perf_counter()
    dbt = run_dbt(settings, ["build"])
    dbt_s = time.perf_counter() - start
    assert not report.quarantined and not report.failed and dbt.success, "pipeline failed"
    pipeline = ingest_s + dbt_s
    return {
        "size": size, "fare_rows": market.fare_rows, "schedule_rows": market.schedule_rows,
        "bare_load_s": round(bare, 2), "ingest_s": round(ingest_s, 2), "dbt_build_s": round(dbt_s, 2),
        "pipeline_s": round(pipeline, 2), "ratio_to_bare": round(pipeline / bare, 2),
        "dbt_nodes": len(dbt.nodes),
        **({"slowest_dbt_nodes": slowest_nodes(dbt.nodes, slowest)} if slowest else {}),
    }


def slowest_nodes(nodes: list, count: int) -> list[list]:
    """Return [name, seconds] of the `count` dbt nodes that ran longest."""
    ranked = sorted(nodes, key=lambda node: node.seconds, reverse=True)
    return [[node.name, node.seconds] for node in ranked[:count]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", choices=sorted(SIZES), action="append", required=True)
    parser.add_argument("--workdir", type=Path, default=Path(__file__).parent / ".data")
    parser.add_argument("--keep", action="store_true", help="Keep the generated data.")
    parser.add_argument("--slowest", type=int, default=0, metavar="N",
                        help="Also list the N slowest dbt nodes with their seconds.")
    args = parser.parse_args()
    results = [run(size, args.workdir, args.slowest) for size in args.rows]
    for result in results:
        print(json.dumps(result))
    if len(results) == 2:
        small, large = results
        print(json.dumps({
            "rows_factor": round(large["fare_rows"] / small["fare_rows"], 2),
            "pipeline_time_factor": round(large["pipeline_s"] / small["pipeline_s"], 2),
        }))
    if not args.keep:
        shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
