"""Commands before `flightprice init` say what to run, exit 1, and create nothing."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.exit_codes import ExitCode

runner = CliRunner()

COMMANDS = [["ingest"], ["status"], ["serve", "--port", "9"], ["transform"], ["quality"],
            ["train"], ["score", "--mode", "local"], ["models", "show", "v1"], ["models", "list"],
            ["report"]]  # fmt: skip


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("FLIGHTPRICE_"):
            monkeypatch.delenv(key)


def files_under(path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_command_before_init_says_run_init_and_creates_nothing(tmp_path, command):
    home = tmp_path / "home"

    text = runner.invoke(app, ["--home", str(home), *command])
    as_json = runner.invoke(app, ["--home", str(home), *command, "--json"])

    assert text.exit_code == ExitCode.FAILED, (text.stdout, text.stderr)
    assert "flightprice init" in text.stderr and "Error:" not in text.stderr
    if command[0] != "serve":  # serve has no --json option
        assert as_json.exit_code == ExitCode.FAILED, as_json.stdout
        document = json.loads(as_json.stdout)
        assert document["error"]["type"] == "NotInitialisedError"
        assert document["error"]["hint"] == "run `flightprice init` first"
        assert "Catalog" not in as_json.stdout and "IO Error" not in as_json.stdout
    assert files_under(home) == []


def test_after_init_the_same_commands_get_past_the_check(tmp_path):
    home = tmp_path / "home"
    assert runner.invoke(app, ["--home", str(home), "init"]).exit_code == 0
    result = runner.invoke(app, ["--home", str(home), "status", "--json"])
    assert result.exit_code == 0, result.stdout
