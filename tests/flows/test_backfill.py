"""Backfill over real flows, a real DuckDB file and real dbt: as 5 daily runs; resumes after a kill."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import IO

import pandas as pd
import pytest

from flightprice.ingest.load import load_raw_files
from flightprice.orchestrate.backfill import completed, dates, parameters
from flightprice.orchestrate.writer_slot import WRITER_LIMIT
from flightprice.settings import Settings, get_settings
from flightprice.store import LocalStore, open_store
from flightprice.synth.generate import generate_market
from flightprice.transform.dbt import run_dbt
from flightprice.warehouse import open_warehouse

START, DAYS = date(2026, 9, 1), 5
# Columns that say when or by which run a row was loaded or written (transformed_at: the
# incremental models' stamp), not what the data is.
BOOKKEEPING = ("load", "run_id", "ingest", "file", "source", "transformed_at")


def _home(tmp_path: Path, name: str) -> Settings:
    from flightprice.project import init_project  # deferred like the CLI's

    settings = Settings(home=tmp_path / name)
    init_project(settings)
    return settings


def _warehouse_contents(settings: Settings) -> dict[str, pd.DataFrame]:
    """Every ANALYTICS table, bookkeeping columns left out, rows in a canonical order."""
    tables = {}
    with open_warehouse(settings, read_only=True) as wh:
        names = wh.query_df("SELECT table_name FROM information_schema.tables "
                            "WHERE table_schema = 'ANALYTICS' AND table_type = 'BASE TABLE'")  # fmt: skip
        for name in sorted(names["table_name"]):
            df = wh.query_df(f"SELECT * FROM ANALYTICS.{name}")
            df = df[[c for c in df.columns if not any(b in c.lower() for b in BOOKKEEPING)]]
            tables[name] = df.sort_values(list(df.columns)).reset_index(drop=True)
    return tables


def _backfill(home: Path, stdout: IO[bytes], stderr: IO[bytes]) -> subprocess.Popen:
    """Start `flightprice backfill daily` writing to files: nobody reads a pipe while it runs,
    and a full pipe blocks its log handler (every thread that logs then waits on its lock)."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(),  # the session's server
           "FLIGHTPRICE_HOME": str(home)}  # fmt: skip
    last = START + timedelta(days=DAYS - 1)
    args = [str(Path(sys.executable).with_name("flightprice")), "--home", str(home), "backfill", "daily",
            "--from", str(START), "--to", str(last), "--json"]  # fmt: skip
    return subprocess.Popen(args, env=env, stdout=stdout, stderr=stderr,
                            start_new_session=True)  # fmt: skip


def _daily_reference(tmp_path: Path, staging: LocalStore) -> Settings:
    """Deliver the files day by day, load each day's and rebuild the models: what a daily run
    does, through the library calls (a Prefect run per day would double the test's time; the
    backfill runs the real flow)."""
    reference = _home(tmp_path, "reference")
    for day in dates(START, START + timedelta(days=DAYS - 1)):
        for path in staging.root.rglob(f"{day}/*"):
            target = reference.lake / path.relative_to(staging.root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        with open_warehouse(reference) as wh:
            load_raw_files(open_store(reference), wh, run_id=f"reference-{day}")
        run = run_dbt(reference, ["build", "--exclude", "resource_type:test",
                                  "resource_type:unit_test"])  # fmt: skip
        assert run.success, [n.message for n in run.failed]
    return reference


def _free_the_killed_runs_writer_slot() -> None:
    """Free the warehouse-writer slot the killed run may hold, as Prefect's lease repossessor
    does on a real server once the lease (writer_slot.LEASE_SECONDS) runs out. The test
    harness's server runs no repossessor (Prefect leaves it out of its in-process servers), so
    a kill that lands while the slot is held would leave the resumed backfill waiting for ever.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate

    with get_client(sync_client=True) as client:
        client.update_global_concurrency_limit(
            WRITER_LIMIT, GlobalConcurrencyLimitUpdate(active_slots=0)
        )


@pytest.mark.slow
@pytest.mark.timeout(1500)  # five real flow runs: about 4 min on an idle 2-core machine
def test_backfill_daily_equals_five_daily_runs_and_resumes_after_a_kill(tmp_path, settings):
    # The data: five delivery days, generated once, the same files for both homes.
    staging = LocalStore(tmp_path / "staging")
    generate_market(staging, start=START, days=DAYS, routes=2, seed=5)

    # Backfill: every file is there from the start; each date loads what was delivered by then.
    filled = _home(tmp_path, "filled")
    shutil.copytree(staging.root / "raw-data", filled.lake / "raw-data", dirs_exist_ok=True)
    first_log = (tmp_path / "first-backfill.log").open("wb")
    first = _backfill(filled.home, first_log, first_log)
    deadline = time.monotonic() + 900
    while len(completed(filled, "daily")) < 2 and first.poll() is None:
        assert time.monotonic() < deadline, "the first two dates took over 15 minutes"
        time.sleep(0.5)
    os.killpg(first.pid, signal.SIGKILL)  # the CLI and any child it started
    first.wait()
    first_log.close()
    killed_after = len(completed(filled, "daily"))
    _free_the_killed_runs_writer_slot()
    assert 2 <= killed_after < DAYS, "the kill came too late to test a resume"

    # The resumed backfill runs in its own process while this one builds the reference (two
    # cores, half the wait); its output goes to files for the reason _backfill gives.
    out_path, err_path = tmp_path / "resumed.out", tmp_path / "resumed.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        resumed = _backfill(filled.home, out, err)
    try:
        reference = _daily_reference(tmp_path, staging)
        resumed.wait(timeout=900)
    finally:
        if resumed.poll() is None:  # the reference failed, or the backfill overran
            os.killpg(resumed.pid, signal.SIGKILL)
    assert resumed.returncode == 0, err_path.read_text()[-2000:]
    report = json.loads(out_path.read_text())
    assert report["counts"] == {"done": DAYS - killed_after, "skipped": killed_after, "failed": 0}
    every_date = dates(START, START + timedelta(days=DAYS - 1))
    assert sorted(completed(filled, "daily")) == [str(d) for d in every_date]

    want, got = _warehouse_contents(reference), _warehouse_contents(filled)
    assert set(got) == set(want) and {"FCT_FARE_OBSERVATION", "ML_TRAINING_FEATURES"} <= {
        n.upper() for n in got
    }
    for name, frame in want.items():
        # Empty in both homes: the scoring features (nothing on sale after the last date)
        # and the bookings marts (this market has no bookings feed).
        empty_ok = ("ml_scoring", "fct_booking", "fct_flight_load")
        assert len(frame) > 0 or name.lower().startswith(empty_ok), name
        pd.testing.assert_frame_equal(got[name], frame, check_dtype=False, obj=name)


def test_backfill_parameters_pin_each_date():
    assert parameters("daily", date(2026, 9, 3)) == {"as_of": date(2026, 9, 3), "force": True}
    scoring = parameters("scoring", date(2026, 9, 3))
    assert scoring == {"as_of": "2026-09-03 23:59:59", "run_id": "scoring-backfill-20260903"}
    with pytest.raises(ValueError, match="before"):
        dates(date(2026, 9, 3), date(2026, 9, 1))


def test_a_failed_date_stops_the_backfill_and_is_not_recorded(settings):
    from typer.testing import CliRunner

    from flightprice.cli import app
    from flightprice.project import init_project

    init_project(settings)  # an empty warehouse: no champion, nothing to score
    ran = CliRunner().invoke(app, ["--home", str(settings.home), "backfill", "scoring",
                                   "--from", "2026-09-01", "--to", "2026-09-03", "--json"])  # fmt: skip
    get_settings.cache_clear()
    assert ran.exit_code == 1, ran.output
    document = json.loads(ran.stdout)
    assert document["status"] == "error" and "2026-09-01" in document["error"]["message"]
    days = document["days"]  # the partial result sits beside status and error
    assert [(d["day"], d["status"]) for d in days] == [("2026-09-01", "failed")]
    assert completed(settings, "scoring") == {}
