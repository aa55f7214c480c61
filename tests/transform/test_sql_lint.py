"""Lint the project's SQL with sqlfluff as `make lint` does, so that CI catches style drift."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]


def sqlfluff_lint(tmp_path: Path, *args: str) -> dict[str, list[dict]]:
    """Run `sqlfluff lint` from the repo root; map each linted file to its violations."""
    env = {
        **os.environ,
        # The dbt templater compiles the project; nothing is read from a warehouse.
        "FLIGHTPRICE_DUCKDB_PATH": ":memory:",
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", "--format", "json", "--nofail", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    return {Path(f["filepath"]).as_posix(): f["violations"] for f in report}


def sql_files(folder: str) -> set[str]:
    """Return the .sql files under `folder` that .sqlfluffignore (folders only) leaves in."""
    ignore = REPO_ROOT / ".sqlfluffignore"
    lines = ignore.read_text().splitlines() if ignore.exists() else []
    ignored = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    files = {p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / folder).rglob("*.sql")}
    return {f for f in files if not any(f.startswith(prefix) for prefix in ignored)}


def summary(linted: dict[str, list[dict]]) -> dict[str, list[str]]:
    return {
        path: [f"L{v['start_line_no']} {v['code']}: {v['description']}" for v in violations]
        for path, violations in linted.items()
        if violations
    }


def test_dbt_models_follow_the_sql_style(tmp_path):
    linted = sqlfluff_lint(tmp_path, "dbt/models")
    # Every model was linted, not skipped by the templater.
    assert set(linted) == sql_files("dbt/models")
    assert summary(linted) == {}


def test_warehouse_setup_sql_follows_the_sql_style(tmp_path):
    linted = sqlfluff_lint(tmp_path, "--templater", "raw", "sql")
    assert set(linted) == sql_files("sql")
    assert summary(linted) == {}
