"""Benchmark the incremental daily run: one new day on top of short and long histories.

    uv run python benchmarks/bench_daily.py --day-rows 1m --history 3 --history 30
    uv run python benchmarks/bench_daily.py --day-rows smoke --history 1 --history 3
    uv run python benchmarks/bench_daily.py --day-rows 200k --history 3 --history 30 \
        --generated-days 3 --schedules full

Generates `max(history) + 1` days of the synthetic market once (not timed). For each history
length H: a fresh warehouse ingests the H days before the last one and builds everything
(`dbt build`, timed as the full rebuild at that size); the history's load stamps are then
moved back to 06:00 of each file's day, as if each day had been loaded on its own morning
(else the lookback window would re-read the whole history, loaded seconds earlier). Then
the timed daily run: `load_raw_files` of the new day + what `flightprice transform` runs
(`dbt build`: incremental models and every data test; unit tests are left to CI, or run
with `--unit-tests`), against bare = DuckDB `CREATE TABLE AS SELECT * FROM read_csv(...)`
of the same day's files into a fresh file, in the same process. One JSON line per history;
results in README.md here. CPU seconds of this process (all threads) are printed beside wall
seconds: other work on the machine skews wall time far more. Before/after a change: run it once with
`PYTHONPATH=<old checkout>/src` and once without, back to back (the ratios to bare compare).

`--generated-days N` generates only N + 1 days (the new day and N history days) and makes a
longer history of copies of the N history days in RAW, shifted back N, 2N, ... days (dates,
file names and load stamps; quote ids suffixed): 31M rows of history are generated in the
time of 4M, and every copy is still a full day of distinct quotes and flights.

`--schedules full` has every day's schedule file re-publish every flight on sale (the 90-day
horizon), as a real feed and the generator's default do; `new` (the default here) publishes
the horizon on the first day and then only the flights new each day.
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

START = date(2026, 9, 1)
# What `flightprice transform` runs (transform.dbt.without_unit_tests, spelled out so that
# this script also runs against older sources: PYTHONPATH=<old checkout>/src).
DAILY = ["build", "--exclude-resource-type", "unit_test"]
DAILY_WITH_UNIT_TESTS = ["build"]  # `transform --unit-tests`, and every daily run before
ROUTES = {"1m": 1240, "200k": 250, "smoke": 4}  # fare rows a day, at 1 quote per flight-cabin a day
RESTAMP = """
UPDATE RAW.{table}
SET _loaded_at = CAST(regexp_extract(_source_file, '/(\\d{{4}}-\\d{{2}}-\\d{{2}})/', 1) AS TIMESTAMP)
                 + INTERVAL 6 HOUR
"""


# A shifted copy of the generated history: `{shift}` days earlier, under another quote id.
REPLICA_SQL = {
    "FARES": """
        SELECT * REPLACE (
            quote_id || '~' || {copy} AS quote_id,
            observed_at - to_days({shift}) AS observed_at,
            departure_at - to_days({shift}) AS departure_at,
            {source_file} AS _source_file)
        FROM RAW.FARES
    """,
    "SCHEDULES": """
        SELECT * REPLACE (
            departure_at - to_days({shift}) AS departure_at,
            arrival_at - to_days({shift}) AS arrival_at,
            {source_file} AS _source_file)
        FROM RAW.SCHEDULES
    """,
}
SHIFTED_FILE = r"""regexp_replace(_source_file, '\d{{4}}-\d{{2}}-\d{{2}}', strftime(
    CAST(regexp_extract(_source_file, '(\d{{4}}-\d{{2}}-\d{{2}})', 1) AS DATE)
    - to_days({shift}), '%Y-%m-%d'))"""


def replicate_history(warehouse, generated: int, history: int) -> None:
    """Extend the `generated` loaded days to `history` days with shifted copies of them."""
    copies = -(-history // generated) - 1  # ceil: whole copies, then trim to `history` days
    first_day = warehouse.query_df(
        "SELECT MIN(CAST(observed_at AS DATE)) AS d FROM RAW.FARES").iloc[0, 0]  # fmt: skip
    oldest = f"DATE '{first_day}' - to_days({history - generated})"
    for table, sql in REPLICA_SQL.items():
        copied = [
            sql.format(copy=copy, shift=copy * generated,
                       source_file=SHIFTED_FILE.format(shift=copy * generated))
            for copy in range(1, copies + 1)
        ]  # fmt: skip
        warehouse.execute(f"INSERT INTO RAW.{table} " + " UNION ALL ".join(copied))
    # The last copy may reach past `history` days: its older days are dropped.
    warehouse.execute(f"DELETE FROM RAW.FARES WHERE CAST(observed_at AS DATE) < {oldest}")


def bare_load(day_dir: dict[str, Path], target: Path) -> float:
    """Load the day's raw CSVs with DuckDB's own reader; return seconds."""
    con = duckdb.connect(str(target))
    start = time.perf_counter()
    for feed, folder in day_dir.items():
        con.execute(
            f"CREATE TABLE {feed} AS SELECT * FROM read_csv(?, header = true)",
            [str(folder / "*.csv")],
        )
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - start
    con.close()
    return seconds


def market(workdir: Path, size: str, days: int, schedules: str = "new") -> Path:
    """Write the market once under workdir/market-<schedules>/lake; return the lake."""
    lake = workdir / f"market-{schedules}" / "lake"
    if not (lake / "raw-data").exists():
        generate_market(LocalStore(lake), start=START, days=days, routes=ROUTES[size], seed=7,
                        fmt="csv", quotes_per_day=1.0, schedules=schedules)  # fmt: skip
    return lake


def day_folders(lake: Path) -> list[str]:
    return sorted(p.name for p in (lake / "raw-data" / "fares").iterdir())


def copy_days(lake: Path, target_lake: Path, days: list[str]) -> dict[str, Path]:
    copied = {}
    for feed in ("fares", "schedules"):
        for day in days:
            source = lake / "raw-data" / feed / day
            if source.exists():
                shutil.copytree(source, target_lake / "raw-data" / feed / day)
                copied[feed] = target_lake / "raw-data" / feed / day
    return copied


def run(
    lake: Path, workdir: Path, history: int, unit_tests: bool = False, generated: int = 0
) -> dict:
    home = workdir / f"history-{history}"
    shutil.rmtree(home, ignore_errors=True)
    settings = Settings(home=home)
    init_project(settings)
    days = day_folders(lake)
    new_day, past = days[-1], days[-1 - min(history, generated or history) : -1]
    copy_days(lake, settings.lake, past)
    store = LocalStore(settings.lake)
    with open_warehouse(settings) as warehouse:
        load_raw_files(store, warehouse)
        if generated and history > generated:
            replicate_history(warehouse, generated, history)
        for table in ("FARES", "SCHEDULES"):
            warehouse.execute(RESTAMP.format(table=table))
    start = time.perf_counter()
    full = run_dbt(settings, ["build"])
    full_s = time.perf_counter() - start
    assert full.success, [n.name for n in full.failed]

    new = copy_days(lake, settings.lake, [new_day])
    cpu = time.process_time()  # this process's CPU seconds, all threads (DuckDB's included)
    bare = bare_load(new, home / "bare.duckdb")
    bare_cpu = time.process_time() - cpu
    cpu = time.process_time()
    start = time.perf_counter()
    with open_warehouse(settings) as warehouse:
        report = load_raw_files(store, warehouse)
    ingest_s = time.perf_counter() - start
    start = time.perf_counter()
    dbt = run_dbt(settings, DAILY_WITH_UNIT_TESTS if unit_tests else DAILY)
    dbt_s = time.perf_counter() - start
    daily_cpu = time.process_time() - cpu
    assert not report.quarantined and not report.failed and dbt.success, "daily run failed"
    with open_warehouse(settings, read_only=True) as warehouse:
        rows = warehouse.query_df("SELECT COUNT(*) AS n FROM RAW.FARES").iloc[0, 0]
    daily = ingest_s + dbt_s
    slowest = sorted(dbt.nodes, key=lambda node: node.seconds, reverse=True)[:5]
    by_type: dict[str, list] = {}  # resource type -> [nodes, summed node seconds]
    for node in dbt.nodes:
        count_seconds = by_type.setdefault(node.resource_type, [0, 0.0])
        count_seconds[0] += 1
        count_seconds[1] = round(count_seconds[1] + node.seconds, 2)
    return {
        "history_days": history, "new_day": new_day, "new_day_fare_rows": sum(
            row["rows"] for row in report.to_dict()["loaded"] if row["feed"] == "fares"),
        "raw_fare_rows": int(rows), "full_build_s": round(full_s, 2),
        "bare_load_s": round(bare, 2), "ingest_s": round(ingest_s, 2),
        "dbt_build_s": round(dbt_s, 2), "daily_s": round(daily, 2),
        "ratio_to_bare": round(daily / bare, 2), "bare_cpu_s": round(bare_cpu, 2),
        "daily_cpu_s": round(daily_cpu, 2), "cpu_ratio_to_bare": round(daily_cpu / bare_cpu, 2),
        "dbt_nodes": len(dbt.nodes),
        "dbt_node_seconds_by_type": by_type,
        "slowest_dbt_nodes": [[node.name, node.seconds] for node in slowest],
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--day-rows", choices=sorted(ROUTES), default="1m")
    parser.add_argument("--history", type=int, action="append", required=True)
    parser.add_argument("--workdir", type=Path, default=Path(__file__).parent / ".data-daily")
    parser.add_argument("--keep", action="store_true", help="Keep the generated data.")
    parser.add_argument("--unit-tests", action="store_true", help="Daily run with unit tests.")
    parser.add_argument("--generated-days", type=int, default=0,
                        help="Generate this many history days; copy them for longer ones.")  # fmt: skip
    parser.add_argument("--schedules", choices=("new", "full"), default="new",
                        help="Each day's schedule file: the new flights, or every flight on sale.")  # fmt: skip
    args = parser.parse_args()
    days = (args.generated_days or max(args.history)) + 1
    lake = market(args.workdir, args.day_rows, days, args.schedules)
    results = []
    for history in args.history:
        results.append(run(lake, args.workdir, history, args.unit_tests, args.generated_days))
        print(json.dumps(results[-1]), flush=True)
        shutil.rmtree(args.workdir / f"history-{history}", ignore_errors=True)
    if len(results) == 2:
        short, long = results
        print(json.dumps({"daily_time_factor": round(long["daily_s"] / short["daily_s"], 2)}))
    if not args.keep:
        shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
