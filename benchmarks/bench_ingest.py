"""Benchmark ingest alone: one day's raw files through `load_raw_files` vs a bare DuckDB load.

    uv run python benchmarks/bench_ingest.py --day-rows 1m --rounds 3
    # before/after in the same minutes: another checkout's sources, alternated with this one
    git archive s4 | tar -x -C /tmp/base
    uv run python benchmarks/bench_ingest.py --day-rows 1m --rounds 3 --compare /tmp/base/src

Generates two days of the synthetic market once under --workdir (not timed; seeded, the
`clean` profile as in bench_daily.py, or `--profile realistic` for a day with bad rows). Each
measurement runs in a fresh process on a fresh home: bare = DuckDB `CREATE TABLE AS SELECT *
FROM read_csv(...)` of the last day's files + CHECKPOINT, then ingest = `load_raw_files` of
the same files, each as wall and CPU seconds (process_time: all threads, DuckDB's included)
with the 1-minute load average before it. Ratios are to the bare load of the same process.
With --compare, each round measures the other sources right after this checkout and checks
that both loaded the same rows and rejects (a digest of RAW.FARES, RAW.SCHEDULES and
RAW.REJECTED_ROWS). One JSON line per measurement, then a summary line of medians.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

from flightprice.ingest.load import load_raw_files
from flightprice.project import init_project
from flightprice.settings import Settings
from flightprice.store import LocalStore
from flightprice.synth.generate import generate_market
from flightprice.warehouse import open_warehouse

ROUTES = {"1m": 1240, "200k": 250, "smoke": 4}  # as bench_daily.py: fare rows a day
DIGEST_SQL = {
    "RAW.FARES": "SELECT * EXCLUDE (_loaded_at) FROM RAW.FARES",
    "RAW.SCHEDULES": "SELECT * EXCLUDE (_loaded_at) FROM RAW.SCHEDULES",
    "RAW.REJECTED_ROWS": "SELECT path, row_number, check_name, column_name, value, reason"
    " FROM RAW.REJECTED_ROWS",
}


def market(workdir: Path, size: str, profile: str) -> Path:
    """Write two days of the market once under workdir; return its lake."""

    lake = workdir / f"market-{size}-{profile}" / "lake"
    if not (lake / "raw-data").exists():
        generate_market(LocalStore(lake), start=date(2026, 9, 1), days=2, routes=ROUTES[size],
                        seed=7, fmt="csv", quotes_per_day=1.0, schedules="new",
                        profile=profile)  # fmt: skip
    return lake


def measure(lake: Path, home: Path) -> dict:
    """Bare-load then ingest the lake's last day into a fresh home; return the figures."""

    shutil.rmtree(home, ignore_errors=True)
    settings = Settings(home=home)
    init_project(settings)
    day = max(p.name for p in (lake / "raw-data" / "fares").iterdir())
    days = {p.parent.name: p for p in (lake / "raw-data").glob(f"*/{day}")}  # feed -> folder
    for feed, source in days.items():
        shutil.copytree(source, settings.lake / "raw-data" / feed / day)
    load, cpu, wall = os.getloadavg()[0], time.process_time(), time.perf_counter()
    con = duckdb.connect(str(home / "bare.duckdb"))
    for feed in days:
        files = str(settings.lake / "raw-data" / feed / day / "*.csv")
        con.execute(f"CREATE TABLE {feed} AS SELECT * FROM read_csv(?, header = true)", [files])
    con.execute("CHECKPOINT")
    con.close()
    bare = time.perf_counter() - wall, time.process_time() - cpu
    ingest_load, cpu, wall = os.getloadavg()[0], time.process_time(), time.perf_counter()
    with open_warehouse(settings) as warehouse:
        report = load_raw_files(LocalStore(settings.lake), warehouse)
    ingest = time.perf_counter() - wall, time.process_time() - cpu
    with open_warehouse(settings, read_only=True) as warehouse:
        digest = hashlib.sha256()
        for sql in DIGEST_SQL.values():
            digest.update(repr(warehouse.query_arrow(sql + " ORDER BY ALL").to_pylist()).encode())
    totals = report.to_dict()["totals"]
    return {
        "rows_loaded": totals["rows_loaded"], "rows_rejected": totals["rows_rejected"],
        "bare_wall_s": round(bare[0], 2), "bare_cpu_s": round(bare[1], 2),
        "ingest_wall_s": round(ingest[0], 2), "ingest_cpu_s": round(ingest[1], 2),
        "wall_ratio": round(ingest[0] / bare[0], 2), "cpu_ratio": round(ingest[1] / bare[1], 2),
        "load_avg_1m": [round(load, 1), round(ingest_load, 1)], "outcome": digest.hexdigest()[:16],
    }  # fmt: skip


def run_one(src: Path | None, args: argparse.Namespace, home: Path) -> dict:
    """Measure in a fresh process, on `src` sources (PYTHONPATH) or this checkout's."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")]).rstrip(":")
    command = [sys.executable, __file__, "--measure", str(home), "--day-rows", args.day_rows,
               "--profile", args.profile, "--workdir", str(args.workdir)]  # fmt: skip
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    result = {"code": str(src) if src else "this checkout", **json.loads(out.splitlines()[-1])}
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--day-rows", choices=sorted(ROUTES), default="1m")
    parser.add_argument("--profile", choices=["clean", "realistic"], default="clean")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", type=Path, help="Other sources (a src/ folder) to alternate.")
    parser.add_argument("--workdir", type=Path, default=Path(__file__).parent / ".data-ingest")
    parser.add_argument("--keep", action="store_true", help="Keep the generated data.")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # one measurement
    args = parser.parse_args()
    lake = market(args.workdir, args.day_rows, args.profile)
    if args.measure:
        print(json.dumps(measure(lake, args.measure)))
        return
    results: dict[str, list[dict]] = {}
    for _ in range(args.rounds):
        for src in [None, args.compare] if args.compare else [None]:
            result = run_one(src, args, args.workdir / "home")
            results.setdefault(result["code"], []).append(result)
    outcomes = {r["outcome"] for runs in results.values() for r in runs}
    summary = {
        code: {key: round(statistics.median(r[key] for r in runs), 2)
               for key in ("bare_wall_s", "bare_cpu_s", "ingest_wall_s", "ingest_cpu_s",
                           "wall_ratio", "cpu_ratio")}
        for code, runs in results.items()
    }  # fmt: skip
    print(json.dumps({"medians": summary, "same_outcome": len(outcomes) == 1}))
    shutil.rmtree(args.workdir / "home", ignore_errors=True)
    if not args.keep:
        shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
