"""dbt keeps one DuckDB handle per invocation, and the file is free once run_dbt returns."""

from __future__ import annotations

import subprocess
import sys
from argparse import Namespace
from pathlib import Path

from dbt.config.profile import Profile, read_profile
from dbt.config.renderer import ProfileRenderer
from dbt.flags import set_from_args
from dbt_common.context import set_invocation_context

from flightprice.project import init_project
from flightprice.settings import Settings
from flightprice.transform.dbt import run_dbt

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt"
WRITE_FROM_ANOTHER_PROCESS = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE other_writer AS SELECT 1 AS one")
print(con.execute("SELECT COUNT(*) FROM STAGING.airports").fetchone()[0])
"""


def keep_open(env: dict[str, str]) -> bool:
    set_from_args(Namespace(), None)
    set_invocation_context({"FLIGHTPRICE_DUCKDB_PATH": "warehouse.duckdb", **env})
    raw = read_profile(str(DBT_PROJECT_DIR))
    return Profile.from_raw_profiles(raw, "flightprice", ProfileRenderer({})).credentials.keep_open


def test_only_run_dbt_asks_for_one_handle_per_invocation():
    # A plain `dbt` command line keeps the per-node open/close (it cannot close afterwards).
    assert keep_open({}) is False
    assert keep_open({"FLIGHTPRICE_DBT_KEEP_OPEN": "True"}) is True


def test_another_process_can_write_the_file_after_run_dbt(tmp_path):
    settings = Settings(home=tmp_path / "home")
    init_project(settings)
    assert run_dbt(settings, ["seed"]).success
    # Run in this process, dbt-duckdb would hold the file (and its lock) until exit.
    written = subprocess.run(
        [sys.executable, "-c", WRITE_FROM_ANOTHER_PROCESS, str(settings.duckdb_file)],
        check=False, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    assert int(written.stdout) > 0
