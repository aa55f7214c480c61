"""Render dbt/profiles.yml the way dbt does and check what each target receives."""

from __future__ import annotations

from argparse import Namespace
from pathlib import Path

import pytest
from dbt.config.profile import Profile, read_profile
from dbt.config.renderer import ProfileRenderer
from dbt.exceptions import EnvVarMissingError
from dbt.flags import set_from_args
from dbt_common.context import set_invocation_context

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt"
SNOWFLAKE_ENV = {
    "FLIGHTPRICE_SNOWFLAKE_ACCOUNT": "acme-eu1",
    "FLIGHTPRICE_SNOWFLAKE_USER": "svc_flightprice",
}


def render(env: dict[str, str], target: str | None = None) -> Profile:
    """Render the flightprice profile with exactly `env` as the environment."""
    set_from_args(Namespace(), None)
    set_invocation_context(env)
    raw = read_profile(str(DBT_PROJECT_DIR))
    return Profile.from_raw_profiles(
        raw, "flightprice", ProfileRenderer({}), target_override=target
    )


def test_duckdb_is_the_default_target_and_needs_no_snowflake_settings(tmp_path):
    profile = render({"FLIGHTPRICE_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb")})
    assert profile.target_name == "duckdb"
    assert profile.credentials.path == str(tmp_path / "warehouse.duckdb")
    assert profile.credentials.schema == "ANALYTICS"
    assert profile.threads == 2
    assert profile.credentials.keep_open is False


def test_duckdb_target_requires_the_warehouse_path():
    with pytest.raises(EnvVarMissingError, match="FLIGHTPRICE_DUCKDB_PATH"):
        render({})


def test_snowflake_target_takes_defaults_for_everything_but_secrets():
    credentials = render(
        {**SNOWFLAKE_ENV, "FLIGHTPRICE_SNOWFLAKE_PASSWORD": "s3cret"}, "snowflake"
    ).credentials
    assert (credentials.account, credentials.user) == ("acme-eu1", "svc_flightprice")
    assert credentials.password == "s3cret"
    assert (credentials.role, credentials.warehouse, credentials.database) == (
        "DATA_ENGINEER",
        "COMPUTE_WH",
        "FLIGHT_PRICING",
    )
    assert credentials.schema == "ANALYTICS"
    auth = credentials.auth_args()
    assert auth["port"] == 443 and auth["protocol"] == "https"
    assert "host" not in auth  # empty host: the account's own endpoint
    assert auth["private_key"] is None


def test_snowflake_target_uses_key_pair_without_a_password_and_reaches_a_stand_in():
    credentials = render(
        {
            **SNOWFLAKE_ENV,
            "FLIGHTPRICE_SNOWFLAKE_PRIVATE_KEY_PATH": "/run/secrets/snowflake.p8",
            "FLIGHTPRICE_SNOWFLAKE_HOST": "127.0.0.1",
            "FLIGHTPRICE_SNOWFLAKE_PORT": "8765",
            "FLIGHTPRICE_SNOWFLAKE_PROTOCOL": "http",
        },
        "snowflake",
    ).credentials
    assert credentials.private_key_path == "/run/secrets/snowflake.p8"
    assert not credentials.password
    assert (credentials.host, credentials.port, credentials.protocol) == ("127.0.0.1", 8765, "http")


def test_snowflake_target_requires_the_account():
    with pytest.raises(EnvVarMissingError, match="FLIGHTPRICE_SNOWFLAKE_ACCOUNT"):
        render(
            {"FLIGHTPRICE_SNOWFLAKE_USER": "svc", "FLIGHTPRICE_SNOWFLAKE_PASSWORD": "x"},
            "snowflake",
        )
