"""Every command with --json prints one JSON document on failure too, with the README's exit code."""

from __future__ import annotations

import json
import os
import socket

import pytest
from typer.testing import CliRunner

from flightprice.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("FLIGHTPRICE_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A home after `init`: empty lake, warehouse schemas, no data, no model."""
    home = tmp_path_factory.mktemp("json-errors") / "home"
    result = runner.invoke(app, ["--home", str(home), "init", "--json"])
    assert result.exit_code == 0, result.output
    return home


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def failure(args: list[str], exit_code: int, error_type: str | None = None) -> dict:
    """Run the CLI, check the exit code and that stdout is exactly one error document."""
    result = runner.invoke(app, args)
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    document = json.loads(result.stdout)
    assert document["status"] == "error" and document["exit_code"] == exit_code
    assert document["error"]["message"]
    if error_type:
        assert document["error"]["type"] == error_type, document
    return document


def test_ingest_before_init_says_to_run_init(tmp_path):
    document = failure(["--home", str(tmp_path / "new"), "ingest", "--json"], 1)
    assert "flightprice init" in document["error"]["hint"]


def test_status_with_a_home_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    failure(["--home", str(tmp_path / "file"), "status", "--json"], 1)


def test_init_without_a_required_setting_exits_2_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIGHTPRICE_STORE", "s3")
    document = failure(["--home", str(tmp_path), "init", "--json"], 2, "MissingSettingError")
    assert "FLIGHTPRICE_S3_BUCKET" in document["error"]["message"]


def test_invalid_setting_exits_2(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIGHTPRICE_HOLDOUT_DAYS", "0")
    document = failure(["--home", str(tmp_path), "init", "--json"], 2)
    assert "holdout_days" in document["error"]["message"]


def test_bad_option_value_is_a_json_usage_error():
    document = failure(["generate", "--days", "x", "--json"], 2, "BadParameter")
    assert "--days" in document["error"]["message"]
    assert "flightprice generate --help" in document["error"]["hint"]


def test_bookings_with_the_realistic_profile_is_a_usage_error_naming_the_option(tmp_path):
    args = ["--home", str(tmp_path / "home"), "generate", "--profile", "realistic", "--bookings"]
    document = failure([*args, "--json"], 2, "BadParameter")
    assert "--bookings" in document["error"]["message"]
    assert not (tmp_path / "home").exists()  # refused before anything is written


def test_unknown_flow_is_a_json_usage_error():
    failure(["run", "nope", "--json"], 2)


def test_bad_option_value_without_json_keeps_the_usage_message():
    result = runner.invoke(app, ["generate", "--days", "x"])
    assert result.exit_code == 2 and "Invalid value" in result.output
    assert not result.stdout.lstrip().startswith("{")


def test_models_show_unknown_version(home):
    document = failure(["--home", str(home), "models", "show", "nope", "--json"], 1)
    assert "nope" in document["error"]["message"]
    assert "models list" in document["error"]["hint"]


@pytest.mark.parametrize("args", [["models", "rollback"], ["models", "promote", "nope"],
                                  ["compare", "nope-a", "nope-b"], ["report"]])
def test_registry_errors(home, args):
    failure(["--home", str(home), *args, "--json"], 1, "RegistryError")


def test_deploy_unknown_version(home):
    document = failure(["--home", str(home), "deploy", "--version", "nope", "--json"], 1,
                       "RegistryError")
    assert "nope" in document["error"]["message"]


def test_score_without_a_champion(home):
    document = failure(["--home", str(home), "score", "--mode", "local", "--json"], 1,
                       "ScoringError")
    assert "no champion" in document["error"]["message"]


def test_smoke_test_of_a_closed_port_keeps_the_report(home):
    url = f"http://127.0.0.1:{closed_port()}"
    document = failure(["--home", str(home), "smoke-test", url, "--json"], 1, "SmokeTestFailed")
    assert document["passed"] is False and document["checks"][0]["name"] == "health"


def test_schedule_status_without_a_server(home, monkeypatch):
    monkeypatch.setenv("FLIGHTPRICE_PREFECT_PORT", str(closed_port()))
    document = failure(["--home", str(home), "schedule", "status", "--json"], 1,
                       "ServerNotHealthy")
    assert document["server_healthy"] is False and "schedule start" in document["error"]["hint"]


def test_train_before_transform_is_a_clean_error(home):
    document = failure(["--home", str(home), "train", "--no-quality-gate", "--json"], 1)
    assert "ML_TRAINING_FEATURES" in document["error"]["message"]


def test_training_skipped_by_the_gate_exits_7_with_its_outcome(home):
    result = runner.invoke(app, ["--home", str(home), "train", "--json"])
    assert result.exit_code == 7
    document = json.loads(result.stdout)
    assert document["status"] == "skipped" and document["exit_code"] == 7


def test_unexpected_error_has_no_traceback_unless_verbose(tmp_path):
    home = tmp_path / "new"
    assert runner.invoke(app, ["--home", str(home), "init"]).exit_code == 0
    (home / "warehouse.duckdb").write_bytes(b"not a duckdb file" * 100)  # nobody expects this
    args = ["--home", str(home), "models", "list", "--json"]
    quiet = runner.invoke(app, args)
    assert quiet.exit_code == 1 and "Traceback" not in quiet.output
    json.loads(quiet.stdout)
    verbose = runner.invoke(app, ["-v", *args])
    assert verbose.exit_code == 1 and "Traceback" in verbose.stderr
    assert json.loads(verbose.stdout)["status"] == "error"


def test_success_documents_say_status_ok(home):
    result = runner.invoke(app, ["--home", str(home), "status", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "ok"


@pytest.mark.slow
def test_train_on_too_few_days_names_the_setting(tmp_path):
    """One day of data: the holdout (never less than a day) leaves nothing to train on."""
    base = ["--home", str(tmp_path / "home")]
    for step in (["init"], ["generate", "--days", "1", "--routes", "2"], ["ingest"],
                 ["transform"]):
        result = runner.invoke(app, [*base, *step, "--json"])
        assert result.exit_code == 0, (step, result.output)
    document = failure([*base, "train", "--no-quality-gate", "--json"], 1,
                       "InsufficientDataError")
    message = document["error"]["message"]
    assert "0 train" in message and "1 day(s)" in message
    assert "FLIGHTPRICE_HOLDOUT_DAYS" in document["error"]["hint"]


@pytest.mark.slow
def test_quality_and_transform_failures_keep_their_results(tmp_path):
    base = ["--home", str(tmp_path / "home")]
    assert runner.invoke(app, [*base, "init"]).exit_code == 0
    document = failure([*base, "quality", "--no-tests", "--json"], 6, "QualityFailed")
    assert document["failed"] > 0 and document["checks"]
