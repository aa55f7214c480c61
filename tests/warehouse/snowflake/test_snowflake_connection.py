"""Connection hygiene: key pair or password, clear errors that name what to check, bounded
retries of transient failures — through the real connector, at the stand-in or at a scripted
endpoint for the failures the stand-in cannot make."""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fakesnow_standin import scripted_snowflake, stand_in_env
from pydantic import SecretStr
from snowflake.connector.errors import ProgrammingError, ServiceUnavailableError
from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.settings import MissingSettingError
from flightprice.transform.dbt import dbt_env
from flightprice.warehouse import WarehouseConnectionError, open_warehouse
from flightprice.warehouse._snowflake_connect import (
    RetryPolicy,
    classify,
    connect_kwargs,
    settings_with_credentials,
)
from flightprice.warehouse.snowflake import SnowflakeWarehouse

pytestmark = pytest.mark.snowflake

FAST_RETRY = RetryPolicy(attempts=3, base_seconds=0.01, max_seconds=0.02)


def at(settings, port: int, **update):
    return settings.model_copy(update={"snowflake_port": port, **update})


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_password_session_reads_and_writes_at_the_stand_in(sf_settings):
    kwargs = connect_kwargs(sf_settings)
    assert kwargs["paramstyle"] == "qmark" and kwargs["password"] == "snow"
    assert kwargs["session_parameters"]["TIMEZONE"] == "UTC"
    with open_warehouse(sf_settings) as wh:
        assert wh.dialect == "snowflake"
        assert wh.query_df("SELECT ? + 1 AS answer", [41])["answer"].tolist() == [42]


def test_key_pair_session_with_an_encrypted_key(sf_settings, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "rsa_key.p8"
    path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"s3cret"),
    ))  # fmt: skip
    settings = sf_settings.model_copy(update={
        "snowflake_password": None, "snowflake_private_key_path": path,
        "snowflake_private_key_passphrase": SecretStr("s3cret"),
    })  # fmt: skip
    kwargs = connect_kwargs(settings)
    assert "password" not in kwargs
    assert (kwargs["private_key_file"], kwargs["private_key_file_pwd"]) == (str(path), "s3cret")
    with open_warehouse(settings) as wh:  # the connector signs its login JWT with the key
        assert wh.query_df("SELECT 1 AS one")["one"].tolist() == [1]
    env = dbt_env(settings)
    assert env["FLIGHTPRICE_SNOWFLAKE_PRIVATE_KEY_PATH"] == str(path)
    assert env["FLIGHTPRICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"] == "s3cret"
    assert "FLIGHTPRICE_SNOWFLAKE_PASSWORD" not in env


def test_a_wrong_key_passphrase_is_a_clear_error(sf_settings, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "rsa_key.p8"
    path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"right"),
    ))  # fmt: skip
    settings = sf_settings.model_copy(update={
        "snowflake_password": None, "snowflake_private_key_path": path,
        "snowflake_private_key_passphrase": SecretStr("wrong"),
    })  # fmt: skip
    with pytest.raises(WarehouseConnectionError) as err, open_warehouse(settings) as wh:
        wh.execute("SELECT 1")
    assert "could not decrypt key" in str(err.value)
    assert "FLIGHTPRICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE" in str(err.value)


def test_missing_variables_stop_every_command_with_exit_2_naming_them(sf_settings, tmp_path):
    env = stand_in_env(sf_settings)
    runner = CliRunner()
    no_account = {**env, "FLIGHTPRICE_SNOWFLAKE_ACCOUNT": None}
    for command in (["init"], ["ingest"], ["transform"], ["quality"], ["status"]):
        result = runner.invoke(app, command, env=no_account)
        assert result.exit_code == 2, (command, result.output)
        assert "FLIGHTPRICE_SNOWFLAKE_ACCOUNT" in result.output, command
    no_secret = {**env, "FLIGHTPRICE_SNOWFLAKE_PASSWORD": None}
    result = runner.invoke(app, ["ingest"], env=no_secret)
    assert result.exit_code == 2
    assert "FLIGHTPRICE_SNOWFLAKE_PASSWORD or FLIGHTPRICE_SNOWFLAKE_PRIVATE_KEY_PATH" in result.output
    no_key_file = {**no_secret, "FLIGHTPRICE_SNOWFLAKE_PRIVATE_KEY_PATH": str(tmp_path / "nope.p8")}
    result = runner.invoke(app, ["transform"], env=no_key_file)
    assert result.exit_code == 2 and "FLIGHTPRICE_SNOWFLAKE_PRIVATE_KEY_PATH" in result.output


def test_an_unreachable_host_fails_fast_with_what_to_check(sf_settings):
    settings = at(sf_settings, closed_port(), snowflake_login_timeout_seconds=2)
    started = time.monotonic()
    with pytest.raises(WarehouseConnectionError) as err, open_warehouse(settings) as wh:
        wh.execute("SELECT 1")
    assert time.monotonic() - started < 15
    message = str(err.value)
    assert "unreachable" in message and f"http://127.0.0.1:{settings.snowflake_port}" in message
    assert "FLIGHTPRICE_SNOWFLAKE_ACCOUNT" in message and "FLIGHTPRICE_SNOWFLAKE_HOST" in message


def test_a_wrong_account_is_named_and_the_cli_exits_1(sf_settings):
    # Snowflake answers a login for an account it does not know with HTTP 403.
    with scripted_snowflake(login_status=403) as (port, seen):
        settings = at(sf_settings, port, snowflake_login_timeout_seconds=5)
        with pytest.raises(WarehouseConnectionError) as err, open_warehouse(settings) as wh:
            wh.execute("SELECT 1")
        assert "account" in str(err.value) and "FLIGHTPRICE_SNOWFLAKE_ACCOUNT" in str(err.value)
        assert seen.count("/session/v1/login-request") == 1  # not retried: it will not pass
        env = {**stand_in_env(settings), "FLIGHTPRICE_SNOWFLAKE_LOGIN_TIMEOUT_SECONDS": "5"}
        result = CliRunner().invoke(app, ["status"], env=env)
    assert result.exit_code == 1
    assert "FLIGHTPRICE_SNOWFLAKE_ACCOUNT" in result.output and "Traceback" not in result.output


def test_a_suspended_warehouse_is_named_with_the_fix(sf_settings):
    message = ("No active warehouse selected in the current session.  Select an active "
               "warehouse with the 'use warehouse' command.")  # fmt: skip
    with (
        scripted_snowflake(query_error=("000606", message)) as (port, _),
        pytest.raises(WarehouseConnectionError) as err,
        open_warehouse(at(sf_settings, port)) as wh,
    ):
        wh.query_df("SELECT 1")
    text = str(err.value)
    assert "warehouse" in text and "ALTER WAREHOUSE COMPUTE_WH RESUME" in text
    assert "GRANT USAGE ON WAREHOUSE COMPUTE_WH TO ROLE DATA_ENGINEER" in text
    assert "FLIGHTPRICE_SNOWFLAKE_WAREHOUSE" in text


def test_an_unavailable_service_is_retried_with_back_off_within_the_login_timeout(sf_settings):
    # The connector retries 5xx answers to a login until login_timeout, then gives up.
    with scripted_snowflake(login_status=503) as (port, seen):
        settings = at(sf_settings, port, snowflake_login_timeout_seconds=2)
        started = time.monotonic()
        with pytest.raises(WarehouseConnectionError) as err, open_warehouse(settings) as wh:
            wh.execute("SELECT 1")
    assert time.monotonic() - started < 10
    assert seen.count("/session/v1/login-request") >= 2
    assert str(err.value).count("Snowflake (") == 1 and "login timeout" in str(err.value)


def test_transient_login_failures_are_retried_then_succeed(sf_settings):
    import snowflake.connector

    calls = []

    def flaky_connect(**kwargs):
        calls.append(kwargs)
        if len(calls) < 3:
            raise ServiceUnavailableError(msg="HTTP 503: Service Unavailable")
        return snowflake.connector.connect(**kwargs)

    wh = SnowflakeWarehouse(connect_kwargs(sf_settings), retry=FAST_RETRY, connect=flaky_connect)
    with wh:
        assert wh.query_df("SELECT 7 AS n")["n"].tolist() == [7]
    assert len(calls) == 3


def test_sql_errors_are_neither_retried_nor_disguised(sf_settings):
    with open_warehouse(sf_settings) as wh, pytest.raises(ProgrammingError):
        wh.query_df("SELECT * FROM RAW.NO_SUCH_TABLE")


@pytest.mark.parametrize(
    ("errno", "message", "kind"),
    [
        (390100, "Failed to connect to DB: x:443. Incorrect username or password was specified.",
         "credentials"),
        (250001, "Failed to connect to DB. Verify the account name is correct: x:443. 403",
         "account"),
        (390189, ("Role 'DATA_ENGINEER' specified in the connect string is not granted to this "
                  "user."), "role"),
        (390144, "JWT token is invalid.", "credentials"),
        (251008, "Failed to load private key: Could not deserialize key data.", "private_key"),
        (630, ("Warehouse 'COMPUTE_WH' cannot be resumed because resource monitor 'RM' has "
               "exceeded its quota."), "warehouse"),
        (250001, "Could not connect to Snowflake backend after 2 attempt(s).Aborting",
         "unreachable"),
        (2003, "SQL compilation error: Object 'RAW.NOPE' does not exist or not authorized.",
         None),
    ],
)  # fmt: skip
def test_connector_errors_are_classified(errno, message, kind):
    assert classify(ProgrammingError(msg=message, errno=errno)) == kind


def snowflake_credentials(**fields):
    """What a prefect_snowflake.SnowflakeCredentials block holds (without importing Prefect,
    ~10 s here): its fields, unset ones None."""
    names = ("account", "user", "password", "private_key", "private_key_path",
             "private_key_passphrase", "role")  # fmt: skip
    values = {name: None for name in names} | fields
    for secret in ("password", "private_key_passphrase"):
        if values[secret] is not None:
            values[secret] = SecretStr(values[secret])
    return SimpleNamespace(**values)


def test_credentials_can_come_from_a_prefect_block(sf_settings):
    block = snowflake_credentials(account="acme-eu1", user="svc", password="from-block",
                                  role="LOADER")  # fmt: skip
    named = sf_settings.model_copy(update={
        "snowflake_account": None, "snowflake_user": None, "snowflake_password": None,
        "snowflake_credentials_block": "snowflake-prod",
    })  # fmt: skip
    named.check_production()  # the block supplies what the variables would
    resolved = settings_with_credentials(named, block)
    kwargs = connect_kwargs(resolved)
    assert (kwargs["account"], kwargs["user"], kwargs["password"]) == ("acme-eu1", "svc",
                                                                       "from-block")
    assert kwargs["role"] == "LOADER" and kwargs["host"] == sf_settings.snowflake_host
    inline = snowflake_credentials(account="a", user="u", private_key=b"-----BEGIN PRIVATE KEY")
    with pytest.raises(MissingSettingError, match="private_key_path"):
        settings_with_credentials(named, inline)
