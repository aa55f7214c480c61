"""Time reading the training frame: DuckDB's own pandas conversion against Arrow, then pandas.

    uv run python benchmarks/bench_read_frame.py --home W/training --repeats 3

On a kept home (`bench_training.py --keep`; the warehouse is opened read-only), reads every
row of ML_TRAINING_FEATURES and derives the features as `load_training_frame` does, each
variant `--repeats` times, alternated: `df` = `.df()` (the read before Session 8), `arrow` =
`to_arrow_table().to_pandas()` (`load_training_frame` now), `arrow_self_destruct` = the same
freeing Arrow's buffers as it converts. Wall and CPU seconds (this process, every thread) and
whether each frame equals `df`'s (values and dtypes). Prints one JSON line per read.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import duckdb
import pandas as pd

from flightprice.features import derive_request_features
from flightprice.train.run import training_sql


def _frame(raw: pd.DataFrame) -> pd.DataFrame:
    raw.columns = [c.lower() for c in raw.columns]
    return derive_request_features(raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="a kept bench_training home")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    con = duckdb.connect(str(args.home / "warehouse.duckdb"), read_only=True)
    sql = training_sql()
    variants = {
        "df": lambda: _frame(con.execute(sql).df()),
        "arrow": lambda: _frame(con.sql(sql).to_arrow_table().to_pandas()),
        "arrow_self_destruct": lambda: _frame(
            con.sql(sql).to_arrow_table().to_pandas(split_blocks=True, self_destruct=True)
        ),
    }
    reference = variants["df"]()
    for repeat in range(args.repeats):
        for name, read in variants.items():
            wall, cpu = time.perf_counter(), time.process_time()
            frame = read()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(json.dumps({
                "variant": name, "repeat": repeat, "rows": len(frame),
                "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                "same_frame_as_df": frame.equals(reference),
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
