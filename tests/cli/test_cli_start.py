"""CLI start-up: `--help` loads no heavy library (timings are in benchmarks/README.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# What a command imports where it is used, never at start-up.
HEAVY = (
    "numpy", "pandas", "pyarrow", "xgboost", "duckdb", "prefect", "dbt", "boto3", "fastapi",
    "matplotlib", "snowflake.connector", "pydantic_settings", "optuna",
)  # fmt: skip

# Run the console script's `main` in a fresh interpreter, then list what it loaded.
SCRIPT = f"""
import json, sys
from flightprice.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({{"code": code, "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


@pytest.mark.parametrize(
    "args",
    [["--help"], ["status", "--help"], ["score", "--help"], ["train", "--help"]],
    ids=" ".join,
)
def test_help_loads_no_heavy_library(args: list[str]) -> None:
    command = [sys.executable, "-c", SCRIPT, *args]
    done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)
    help_text, _, last_line = done.stdout.rstrip().rpartition("\n")
    outcome = json.loads(last_line)
    assert outcome["code"] == 0 and "Usage" in help_text
    assert outcome["loaded"] == []


def test_settings_load_without_numpy_pandas_or_pyarrow() -> None:
    # Every command reads settings first; the pricing policy in them is plain pydantic.
    script = (
        "import json, sys; from flightprice.settings import Settings; Settings(); "
        "print(json.dumps([m for m in ('numpy', 'pandas', 'pyarrow') if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True, timeout=60
    )
    assert json.loads(done.stdout) == []
