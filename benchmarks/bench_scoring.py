"""Benchmark batch scoring: local vs bare predict, api vs local, peak memory on 10M rows.

    uv run python benchmarks/bench_scoring.py --rows 1m                 # local + api, 1M rows
    uv run python benchmarks/bench_scoring.py --rows 10m --only rss     # peak RSS, 10M rows
    uv run python benchmarks/bench_scoring.py --rows 1m --only local --home KEPT_HOME  # a copy

Each run builds a fresh embedded home with ANALYTICS.ML_SCORING_FEATURES of the requested
size (generated in DuckDB: 8 carriers, 40 airports, 4 cabins, departures up to 90 days out,
10 % unknown seats) and a champion trained with the default parameters for a fixed 300
rounds (depth 5) on 200k rows of the same market (not timed). Then, in the same run:

  bare   `Booster.inplace_predict` on the feature matrix of every row (built beforehand)
  local  `run_scoring(mode="local")`: warehouse -> features -> model -> pricing -> reasons
         -> PRICE_HISTORY + FLIGHT_PRICES + SCORING_LOG, one transaction
  api    `run_scoring(mode="api")` against `flightprice serve` (1 uvicorn worker, its own
         process): the same, priced through the Arrow IPC batch endpoint
  rss    `flightprice score --mode local` in a child process; its peak RSS (ru_maxrss)

`--history-runs N` first gives the home N earlier published runs of PRICE_HISTORY (copies of
its rows, one a day before the run, each with its `success` SCORING_LOG row): a store that has
been scoring for N days, so statements that read the history show what they cost.

`local` also prints this process's CPU seconds (user + system, all threads) for bare and local:
steadier than wall time when other work shares the machine. One JSON line per measurement;
results are recorded in README.md here.
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
import zlib
from pathlib import Path

import numpy as np

from flightprice import registry
from flightprice.features import derive_request_features, to_matrix
from flightprice.project import init_project
from flightprice.score.batch import READ_SQL, run_scoring
from flightprice.serve.quoting import load_served_model
from flightprice.settings import Settings
from flightprice.store import open_store
from flightprice.train.model import save_model, train_model
from flightprice.warehouse import open_warehouse

SIZES = {"smoke": 20_000, "1m": 1_000_000, "10m": 10_000_000}
AS_OF = "2026-09-30 06:00:00"
CARRIERS = ["UA", "DL", "BA", "LH", "EK", "SQ", "WN", "FR"]
AIRPORTS = ["ATL", "LAX", "ORD", "DFW", "DEN", "JFK", "SFO", "SEA", "LAS", "MCO", "MIA", "BOS",
            "EWR", "IAH", "PHX", "MSP", "DTW", "YYZ", "YVR", "MEX", "GRU", "LHR", "CDG", "AMS",
            "FRA", "MAD", "BCN", "FCO", "MUC", "IST", "DXB", "DOH", "DEL", "BOM", "SIN", "HKG",
            "NRT", "ICN", "SYD", "JNB"]  # fmt: skip
CABINS = ["economy", "premium_economy", "business", "first"]

# One row per flight and cabin; `observed` spreads training rows over 30 days.
MARKET_SQL = """
with base as (
    select range as i, cast(hash(range + {seed}) % 1000000007 as bigint) as h
    from range({rows})
), drawn as (
    select
        i, h,
        {carriers}[i % 8 + 1] as carrier,
        cast(i // 4 as varchar) as flight_number,
        {airports}[h % 40 + 1] as origin,
        {airports}[(h % 40 + 1 + (h // 40) % 39) % 40 + 1] as destination,
        {cabins}[i % 4 + 1] as cabin,
        cast((h // 7) % 3 as integer) as stops,
        cast(60 + (h // 11) % 900 as integer) as duration_minutes,
        [150, 40, 30, 8][i % 4 + 1] as capacity,
        timestamp '{as_of}' - to_minutes(cast({observed} as bigint)) as observed_at
    from base
)
select
    *,
    observed_at + to_minutes(cast(60 + (h // 13) % (90 * 24 * 60) as bigint)) as departure_at,
    case when h % 10 = 0 then null else cast((h // 17) % capacity as integer) end
        as seats_remaining
from drawn
"""


def market_sql(rows: int, seed: int, training: bool) -> str:
    observed = "(h // 19) % (30 * 24 * 60)" if training else "0"
    return MARKET_SQL.format(
        rows=rows, seed=seed, as_of=AS_OF, observed=observed,
        carriers=_list(CARRIERS), airports=_list(AIRPORTS), cabins=_list(CABINS),
    )  # fmt: skip


def _list(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def build_home(home: Path, rows: int) -> Settings:
    """A home whose ML_SCORING_FEATURES has `rows` rows, with a registered champion."""
    settings = Settings(home=home, warehouse="duckdb", store="local", api_key="bench")
    init_project(settings)
    with open_warehouse(settings) as wh:
        wh.execute(f"""
            create or replace table ANALYTICS.ML_SCORING_FEATURES as
            select carrier || flight_number || '-' || strftime(departure_at, '%Y%m%d')
                       as flight_id,
                   carrier, flight_number, origin, destination, cabin, stops,
                   duration_minutes, departure_at, observed_at, capacity, seats_remaining,
                   observed_at as as_of
            from ({market_sql(rows, 1, training=False)})""")
        training = wh.query_df(f"select * from ({market_sql(200_000, 2, training=True)})")
    train_champion(settings, training)
    return settings


def train_champion(settings: Settings, frame) -> None:
    frame = derive_request_features(frame)
    rng = np.random.default_rng(3)
    cabin = frame["cabin"].map(dict(zip(CABINS, [1.0, 1.7, 3.8, 6.5], strict=True)))
    days = frame["days_to_departure"].to_numpy()
    curve = 1 + 0.5 * np.exp(-days / 6) + 0.3 * np.clip((days - 50) / 40, 0, None)
    route = frame["route"].map(lambda r: 80 + zlib.crc32(r.encode()) % 400)
    frame["price_usd"] = (route * cabin * curve * (1 + 0.1 * frame["stops"])
                          * np.exp(rng.normal(0, 0.1, len(frame))))  # fmt: skip
    params = {"num_boost_round": 300, "early_stopping_rounds": 300}
    trained = train_model(frame, params, holdout_days=3)
    info = save_model(trained, open_store(settings), "v-bench")
    with open_warehouse(settings) as wh:
        registry.register(wh, "v-bench", trained.metrics, info.model_uri, info.sha256, "champion")


def bare_predict_seconds(settings: Settings) -> float:
    """Time inplace_predict on the matrix of every scoring row (matrix built beforehand)."""
    model = load_served_model(settings)
    with open_warehouse(settings, read_only=True) as wh:
        frame = wh.query_arrow(READ_SQL, ["none"]).to_pandas()
    matrix = to_matrix(derive_request_features(frame), model.spec)
    del frame
    start, cpu = time.perf_counter(), time.process_time()
    model.booster.inplace_predict(matrix, missing=np.nan)
    CPU_SECONDS["bare"] = time.process_time() - cpu
    return time.perf_counter() - start


# This process's CPU seconds (user + system, all threads) per measurement: steadier than wall
# time when other work shares the machine.
CPU_SECONDS: dict[str, float] = {}


def scoring_seconds(settings: Settings, mode: str, run_id: str) -> float:
    start, cpu = time.perf_counter(), time.process_time()
    report = run_scoring(settings, mode=mode, run_id=run_id)
    seconds = time.perf_counter() - start
    CPU_SECONDS[mode] = time.process_time() - cpu
    assert report.status == "success", report
    return seconds


FEATURES = "ANALYTICS.ML_SCORING_FEATURES"
HISTORY = "ML_PREDICTIONS.PRICE_HISTORY"
LOG = "ML_PREDICTIONS.SCORING_LOG"


def add_history(settings: Settings, runs: int) -> int:
    """Give the home `runs` earlier published runs of its scoring rows; return history rows."""
    with open_warehouse(settings) as wh:
        features = f"(select flight_id, cabin from {FEATURES})"
        for day in range(runs, 0, -1):
            run_id = f"scoring-past-{day:04d}"
            started = f"(now() - interval {day} day)::timestamp"
            wh.execute(
                f"insert into {HISTORY} select features.flight_id, features.cabin, "
                "timestamp '2026-12-01', 30, 100, 100, 0, 0, 'none', '{}', null, 'v-bench', "
                f"{started}, {started}, '{run_id}', null, 'high', 'model' from {features} features"
            )
            wh.execute(
                f"insert into {LOG} (run_id, mode, model_version, rows_scored, duration_seconds, "
                f"status, started_at, finished_at) values ('{run_id}', 'local', 'v-bench', 0, 0, "
                f"'success', {started}, {started})"
            )
        return wh.query_arrow(f"select count(*) from {HISTORY}").column(0)[0].as_py()


def serve(settings: Settings, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", "from flightprice.cli import main; main()",
         "--home", str(settings.home), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import httpx

    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("flightprice serve did not come up")


def peak_rss_bytes(settings: Settings) -> tuple[float, int]:
    """Score in a child process; return its wall time and its own peak RSS."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", "from flightprice.cli import main; main()",
         "--home", str(settings.home), "score", "--mode", "local", "--json"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, f"scoring failed with exit code {child.returncode}"
    return time.perf_counter() - start, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", choices=SIZES, default="1m")
    parser.add_argument("--only", choices=["local", "api", "rss"], action="append")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", action="store_true", help="Keep the home folder.")
    parser.add_argument("--home", type=Path, help="Score a copy of this kept home (no set-up).")
    parser.add_argument(
        "--history-runs", type=int, default=0, help="Earlier published runs to add first."
    )
    args = parser.parse_args()
    benches = args.only or ["local", "api"]
    rows = SIZES[args.rows]
    home = Path(tempfile.mkdtemp(prefix="bench-scoring-")) / "home"
    try:
        start = time.perf_counter()
        if args.home:  # the same rows and champion for a before/after pair
            shutil.copytree(args.home, home, ignore=shutil.ignore_patterns("*.lock"))
            settings = Settings(home=home, warehouse="duckdb", store="local", api_key="bench")
        else:
            settings = build_home(home, rows)
        history = add_history(settings, args.history_runs) if args.history_runs else None
        print(json.dumps({"setup_seconds": round(time.perf_counter() - start, 1),
                          "rows": rows, "history_rows": history}), flush=True)  # fmt: skip
        local = None
        if "local" in benches or "api" in benches:
            bare = bare_predict_seconds(settings)
            local = scoring_seconds(settings, "local", "bench-local")
            print(json.dumps({"bench": "local_vs_bare", "rows": rows,
                              "bare_predict_seconds": round(bare, 2),
                              "local_scoring_seconds": round(local, 2),
                              "ratio": round(local / bare, 2),
                              "bare_cpu_seconds": round(CPU_SECONDS["bare"], 2),
                              "local_cpu_seconds": round(CPU_SECONDS["local"], 2),
                              "cpu_ratio": round(CPU_SECONDS["local"] / CPU_SECONDS["bare"], 2),
                              }), flush=True)  # fmt: skip
        if "api" in benches:
            server = serve(settings, args.port)
            try:
                api_settings = settings.model_copy(
                    update={"api_url": f"http://127.0.0.1:{args.port}"}
                )
                api = scoring_seconds(api_settings, "api", "bench-api")
            finally:
                server.terminate()
                server.wait(timeout=30)
            print(json.dumps({"bench": "api_vs_local", "rows": rows,
                              "local_rows_per_second": round(rows / local),
                              "api_rows_per_second": round(rows / api),
                              "throughput_ratio": round(local / api, 2)}), flush=True)  # fmt: skip
        if "rss" in benches:
            seconds, rss = peak_rss_bytes(settings)
            print(json.dumps({"bench": "peak_rss", "rows": rows,
                              "scoring_seconds": round(seconds, 1),
                              "peak_rss_mib": round(rss / 2**20)}), flush=True)  # fmt: skip
    finally:
        if not args.keep:
            shutil.rmtree(home.parent, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    main()
