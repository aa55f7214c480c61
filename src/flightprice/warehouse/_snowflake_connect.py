"""Snowflake sessions: connection arguments from settings (or a Prefect block), errors people
can act on, and bounded retries of transient failures.

The connector already retries HTTP-level failures (resets, 5xx) with back-off inside
`login_timeout`; what it surfaces as transient after that is retried here a few more times,
and only where repeating is safe: logging in, and reads outside a transaction.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from flightprice.settings import ENV_PREFIX, MissingSettingError, Settings
from flightprice.warehouse.base import WarehouseConnectionError

log = logging.getLogger(__name__)

T = TypeVar("T")

# The connector retries a failed request (reset, 5xx) until this many seconds have passed and
# cancels a statement that runs longer; unset, it would retry forever. The stand-in answers
# HTTP 500 to what it cannot run, so there the bound is short.
NETWORK_TIMEOUT_SECONDS = 3600
STAND_IN_NETWORK_TIMEOUT_SECONDS = 30
SESSION_PARAMETERS = {
    "TIMEZONE": "UTC",  # every timestamp column is UTC without an offset (docs/contracts.md)
    "QUERY_TAG": "flightprice",  # find this system's queries in QUERY_HISTORY
    "CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False,
}

# Transient: the service, not the request, failed; the same request may succeed shortly.
_TRANSIENT_ERRNOS = {250003, 251011, 251012}  # failed request, connection timeout, retryable
_TRANSIENT_CLASSES = (
    "ServiceUnavailableError", "BadGatewayError", "GatewayTimeoutError", "InternalServerError",
    "OtherHTTPRetryableError", "TooManyRequests", "RequestTimeoutError",
)  # fmt: skip
_TRANSIENT_TEXT = ("service is unavailable", "connection reset", "connection aborted",
                   "remote end closed connection")  # fmt: skip


@dataclass(frozen=True)
class RetryPolicy:
    """At most `attempts` tries, sleeping base * 2**n (capped, with jitter) between them."""

    attempts: int = 3
    base_seconds: float = 1.0
    max_seconds: float = 8.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.max_seconds, self.base_seconds * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` is a failure of the service or the network that may pass on its own."""
    if isinstance(exc, WarehouseConnectionError):
        return False  # already diagnosed: what it says will not pass by waiting
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    if type(exc).__name__ in _TRANSIENT_CLASSES or getattr(exc, "errno", None) in _TRANSIENT_ERRNOS:
        return True
    return any(text in str(exc).lower() for text in _TRANSIENT_TEXT)


def with_retries(action: Callable[[], T], policy: RetryPolicy, what: str) -> T:
    """Run `action`, repeating it on transient errors as `policy` allows."""

    def warn(state: RetryCallState) -> None:
        log.warning("%s failed (%s); retry %d of %d in %.1f s", what, state.outcome.exception(),
                    state.attempt_number, policy.attempts - 1, state.upcoming_sleep)  # fmt: skip

    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts),
        retry=retry_if_exception(is_transient),
        wait=lambda state: policy.delay(state.attempt_number - 1),
        before_sleep=warn,
        reraise=True,  # the caller maps the connector's own error, not tenacity's
    )
    return retrying(action)


# --- Errors people can act on ------------------------------------------------------------

_HINTS = {
    "account": "Check {p}SNOWFLAKE_ACCOUNT: the account identifier `<orgname>-<account_name>` "
    "(or `<locator>.<region>`), without `.snowflakecomputing.com`.",
    "credentials": "Check {p}SNOWFLAKE_USER and {p}SNOWFLAKE_PASSWORD (or the key pair: "
    "{p}SNOWFLAKE_PRIVATE_KEY_PATH, and the public key registered with "
    "ALTER USER <user> SET RSA_PUBLIC_KEY = '...'); the user may also be locked or disabled.",
    "private_key": "The private key in {p}SNOWFLAKE_PRIVATE_KEY_PATH could not be used: it must "
    "be a PKCS#8 PEM file; set {p}SNOWFLAKE_PRIVATE_KEY_PASSPHRASE if it is encrypted.",
    "role": "Role {role} is missing or not granted to the user: run sql/snowflake_setup.sql "
    "(`flightprice init` as an admin), then GRANT ROLE {role} TO USER <user>; or set "
    "{p}SNOWFLAKE_ROLE.",
    "unreachable": "No usable answer from {where} within the login timeout (retried with "
    "back-off): check the network, proxy (HTTPS_PROXY) and firewall, the account's network "
    "policy, {p}SNOWFLAKE_ACCOUNT (a wrong account name looks the same), "
    "{p}SNOWFLAKE_HOST / _PORT / _PROTOCOL if set, and status.snowflake.com.",
    "unavailable": "Snowflake answered that the service is unavailable; retry later "
    "(status.snowflake.com).",
    "warehouse": "Warehouse {warehouse} is suspended, missing or not usable by role {role}: "
    "ALTER WAREHOUSE {warehouse} RESUME (sql/snowflake_setup.sql sets AUTO_RESUME = TRUE), "
    "check its resource monitor's quota, GRANT USAGE ON WAREHOUSE {warehouse} TO ROLE {role}; "
    "or set {p}SNOWFLAKE_WAREHOUSE.",
    "session": "The Snowflake session expired or was closed; run the command again.",
}


def classify(exc: BaseException) -> str | None:
    """Name the kind of connection problem `exc` is (a key of the hints), or None."""
    errno = getattr(exc, "errno", None)
    text = str(exc).lower()
    if errno == 390100 or "incorrect username or password" in text or errno in (390101, 390102):
        return "credentials"
    if errno in (390144, 394304) or "jwt token is invalid" in text:
        return "credentials"
    if errno == 251008 or any(w in text for w in ("could not decrypt key",
                                                   "could not deserialize key")):
        return "private_key"  # the connector lets cryptography's ValueError through
    if errno == 390189 or ("role" in text and "not granted" in text):
        return "role"
    if "verify the account name" in text:
        return "account"
    if "service is unavailable" in text:
        return "unavailable"
    if errno == 606 or "warehouse" in text and any(
        w in text for w in ("suspended", "cannot be resumed", "no active warehouse",
                            "resource monitor", "does not exist or not authorized")
    ):  # fmt: skip
        return "warehouse"
    if errno in (390112, 390114, 250002) or "session no longer exists" in text:
        return "session"
    if errno in (250001, 250003, 251011) or any(
        w in text for w in ("could not connect", "connection refused", "name or service not known",
                            "max retries exceeded", "timed out")
    ):  # fmt: skip
        return "unreachable"
    return None


def connection_error(exc: BaseException, kwargs: dict[str, Any]) -> WarehouseConnectionError | None:
    """Turn a connector error into a WarehouseConnectionError with hints, if it is one."""
    if isinstance(exc, WarehouseConnectionError):
        return None  # already explained
    kind = classify(exc)
    if kind is None:
        return None
    where = f"{kwargs.get('protocol', 'https')}://{kwargs.get('host') or _default_host(kwargs)}"
    if kwargs.get("port"):
        where += f":{kwargs['port']}"
    hint = _HINTS[kind].format(
        p=ENV_PREFIX, where=where, role=kwargs.get("role"), warehouse=kwargs.get("warehouse")
    )
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return WarehouseConnectionError(
        f"Snowflake ({kind.replace('_', ' ')}): {first_line}\n  hint: {hint}"
    )


def _default_host(kwargs: dict[str, Any]) -> str:
    return f"{kwargs.get('account')}.snowflakecomputing.com"


# --- Connection arguments ----------------------------------------------------------------


def connect_kwargs(settings: Settings) -> dict[str, Any]:
    """Return `snowflake.connector.connect` arguments for `settings` (password or key pair)."""
    settings.check_production()
    kwargs: dict[str, Any] = {
        "account": settings.snowflake_account,
        "user": settings.snowflake_user,
        "role": settings.snowflake_role,
        "warehouse": settings.snowflake_warehouse,
        "database": settings.snowflake_database,
        # Every statement here names its schema; a current one is for what Snowflake (and the
        # stand-in's MERGE) create implicitly. dbt builds into the same one.
        "schema": "ANALYTICS",
        "protocol": settings.snowflake_protocol,
        "paramstyle": "qmark",  # the `?` placeholders the library writes, bound server-side
        "application": "flightprice",
        "login_timeout": settings.snowflake_login_timeout_seconds,
        "network_timeout": (
            STAND_IN_NETWORK_TIMEOUT_SECONDS if settings.snowflake_stand_in
            else NETWORK_TIMEOUT_SECONDS
        ),
        "client_session_keep_alive": False,
        "session_parameters": dict(SESSION_PARAMETERS),
    }
    if settings.snowflake_host:
        kwargs["host"] = settings.snowflake_host
    if settings.snowflake_port:
        kwargs["port"] = settings.snowflake_port
    if settings.snowflake_private_key_path is not None:
        kwargs["private_key_file"] = str(settings.snowflake_private_key_path.expanduser())
        if settings.snowflake_private_key_passphrase is not None:
            kwargs["private_key_file_pwd"] = (
                settings.snowflake_private_key_passphrase.get_secret_value()
            )
    else:
        assert settings.snowflake_password is not None  # check_production guarantees one
        kwargs["password"] = settings.snowflake_password.get_secret_value()
    return kwargs


def with_block_credentials(settings: Settings) -> Settings:
    """Fill the credentials from the SnowflakeCredentials block the settings name, if any."""
    if not settings.snowflake_credentials_block:
        return settings
    from prefect_snowflake import SnowflakeCredentials

    block = SnowflakeCredentials.load(settings.snowflake_credentials_block)
    return settings_with_credentials(settings, block)


def settings_with_credentials(settings: Settings, block: Any) -> Settings:
    """Return `settings` with account, user, password or key (and role) taken from `block`."""
    name = settings.snowflake_credentials_block or "the credentials block"
    if block.private_key is not None and block.private_key_path is None:
        raise MissingSettingError(
            f"Snowflake block {name} holds an inline private_key; flightprice needs "
            "private_key_path instead (dbt reads the key from a file)"
        )
    update: dict[str, Any] = {
        "snowflake_account": block.account,
        "snowflake_user": block.user,
        "snowflake_password": block.password,
        "snowflake_private_key_path": block.private_key_path,
        "snowflake_private_key_passphrase": block.private_key_passphrase,
        "snowflake_credentials_block": None,  # resolved: nothing else loads it again
    }
    if block.role:
        update["snowflake_role"] = block.role
    return settings.model_copy(update=update)
