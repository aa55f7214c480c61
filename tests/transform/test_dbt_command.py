"""What dbt is asked to do: the lookback var from the settings, --full-refresh once."""

from __future__ import annotations

import json

from flightprice.settings import Settings
from flightprice.transform.dbt import dbt_command, with_full_refresh


def _vars(command: list[str]) -> dict:
    return json.loads(command[command.index("--vars") + 1])


def test_every_run_passes_the_lookback_setting_as_a_dbt_var(tmp_path):
    settings = Settings(home=tmp_path, transform_lookback_hours=12)
    assert _vars(dbt_command(settings, ["build"])) == {"lookback_hours": 12.0}
    # A caller's vars go on top, and the same settings give the same text (partial parse).
    command = dbt_command(settings, ["run", "--select", "ml"], '{"scoring_as_of": "2026-09-01"}')
    assert _vars(command) == {"lookback_hours": 12.0, "scoring_as_of": "2026-09-01"}
    assert dbt_command(settings, ["test"]) == dbt_command(settings, ["test"])


def test_full_refresh_is_added_once_and_only_to_commands_that_build(tmp_path):
    assert with_full_refresh(["build", "--select", "ml"]) == [
        "build",
        "--select",
        "ml",
        "--full-refresh",
    ]
    assert with_full_refresh(["build", "--full-refresh"]) == ["build", "--full-refresh"]
    assert with_full_refresh(["test"]) == ["test"]
    stand_in = Settings(
        home=tmp_path,
        warehouse="snowflake",
        snowflake_stand_in=True,
        snowflake_account="a",
        snowflake_user="u",
        snowflake_password="p",
    )
    command = dbt_command(stand_in, with_full_refresh(["build"]))
    assert command.count("--full-refresh") == 1


def test_a_second_run_reuses_the_saved_parse(tmp_path):
    # Deferred: importing dbt costs seconds; the other tests here do not need it.
    from flightprice.transform.dbt import run_dbt

    settings = Settings(home=tmp_path)
    for _ in range(2):
        assert run_dbt(settings, ["ls", "--select", "ml"], echo=True).success  # echo: a log file
    assert (tmp_path / "dbt" / "target" / "partial_parse.msgpack").exists()
    log = (tmp_path / "dbt" / "logs" / "dbt.log").read_text()
    # The first run parses the project in full; the second finds nothing changed.
    assert log.count("Unable to do partial parsing") == 1
    assert "Partial parsing enabled, no changes found" in log
