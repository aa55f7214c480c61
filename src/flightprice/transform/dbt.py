"""Run dbt against the configured warehouse and return its node results."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import yaml

from flightprice.settings import Settings
from flightprice.warehouse._snowflake_connect import with_block_credentials

log = logging.getLogger(__name__)

# The daily pipeline's dbt steps, in order; each is one dbt invocation: every seed and model
# (a failed model skips its children), then every data test, so that a failing test never
# keeps a model from being built and the quality gate sees the whole day. Two invocations,
# not one per layer: each costs a partial parse, a manifest write and a warehouse
# open/close (benchmarks/README.md, "Session 6").
# Leaves dbt's unit tests out of a `build` or `test` (see without_unit_tests).
NO_UNIT_TESTS = ("--exclude-resource-type", "unit_test")

DBT_STEPS: dict[str, list[str]] = {
    "models": [
        "build", "--select", "resource_type:seed", "resource_type:model",
        "--exclude", "resource_type:test", "resource_type:unit_test",
    ],
    # Unit tests check the SQL on fixed rows, not the day's data: CI and
    # `flightprice transform --unit-tests` run them (without_unit_tests).
    "tests": ["test", *NO_UNIT_TESTS],
}

PASSING = {"pass", "success"}


class DbtError(RuntimeError):
    """dbt itself could not run (bad project, no connection), as opposed to failing tests."""


@dataclass(frozen=True)
class NodeResult:
    """One dbt node's outcome."""

    unique_id: str
    name: str
    resource_type: str
    status: str
    failures: int | None
    message: str | None
    seconds: float
    severity: str | None = None  # a test's configured severity: "error" or "warn"

    @property
    def ok(self) -> bool:
        return self.status in PASSING


@dataclass
class DbtRun:
    """The outcome of one dbt invocation."""

    args: list[str]
    success: bool
    nodes: list[NodeResult] = field(default_factory=list)
    error: str | None = None

    @property
    def tests(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.resource_type == "test"]

    @property
    def failed(self) -> list[NodeResult]:
        return [n for n in self.nodes if not n.ok and n.status != "skipped"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "args": self.args,
            "success": self.success,
            "error": self.error,
            "nodes": [asdict(n) for n in self.nodes],
        }


def dbt_target(settings: Settings) -> str:
    return "snowflake" if settings.warehouse == "snowflake" else "duckdb"


def dbt_env(settings: Settings) -> dict[str, str]:
    """Return the environment dbt's profiles.yml reads (`env_var(...)`)."""
    if settings.warehouse == "snowflake" and settings.snowflake_credentials_block:
        settings = with_block_credentials(settings)
    env = {"FLIGHTPRICE_DUCKDB_PATH": str(settings.duckdb_file.resolve())}
    for name in ("account", "user", "role", "warehouse", "database", "host", "protocol"):
        value = getattr(settings, f"snowflake_{name}")
        if value:
            env[f"FLIGHTPRICE_SNOWFLAKE_{name.upper()}"] = str(value)
    if settings.snowflake_port:
        env["FLIGHTPRICE_SNOWFLAKE_PORT"] = str(settings.snowflake_port)
    if settings.snowflake_password is not None:
        env["FLIGHTPRICE_SNOWFLAKE_PASSWORD"] = settings.snowflake_password.get_secret_value()
    if settings.snowflake_private_key_path:
        env["FLIGHTPRICE_SNOWFLAKE_PRIVATE_KEY_PATH"] = str(settings.snowflake_private_key_path)
    if settings.snowflake_private_key_passphrase is not None:
        env["FLIGHTPRICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"] = (
            settings.snowflake_private_key_passphrase.get_secret_value()
        )
    return env


def stand_in_args(settings: Settings, args: Sequence[str]) -> list[str]:
    """What dbt needs against the fakesnow stand-in: no unit tests, no incremental runs.

    There, unit tests fail ("TEMPORARY table names can only use the temp catalog") and an
    incremental model fails on its second run; production runs both as written.
    """
    if settings.warehouse != "snowflake" or not settings.snowflake_stand_in or not args:
        return []
    extra = []
    if args[0] in ("build", "test") and "unit_test" not in args:
        extra += NO_UNIT_TESTS
    if args[0] in ("build", "run") and "--full-refresh" not in args:
        extra.append("--full-refresh")
    return extra


def with_full_refresh(args: Sequence[str]) -> list[str]:
    """Return `args` rebuilding incremental models from all history (`build`/`run` only)."""
    if args and args[0] in ("build", "run") and "--full-refresh" not in args:
        return [*args, "--full-refresh"]
    return list(args)


def without_unit_tests(args: Sequence[str]) -> list[str]:
    """Return `args` leaving dbt's unit tests out (`build`/`test` only).

    A daily run checks the data (every data test); unit tests check the SQL on fixed rows
    (~2 s each, a fifth of a small build), which changes only with the code: CI runs them.
    """
    if args and args[0] in ("build", "test") and "unit_test" not in args:
        return [*args, *NO_UNIT_TESTS]
    return list(args)


def dbt_vars_arg(settings: Settings, dbt_vars: str | None = None) -> str:
    """Return dbt's `--vars`: the settings' lookback, then `dbt_vars` (YAML) over it.

    Always passed with the same settings, so that dbt's partial parse (which re-parses the
    whole project when vars change) keeps working between runs.
    """
    values: dict[str, Any] = {"lookback_hours": settings.transform_lookback_hours}
    if dbt_vars:
        values |= yaml.safe_load(dbt_vars) or {}
    return json.dumps(values, sort_keys=True)


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    # dbt reads profile values from os.environ; set them only for the invocation.
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def dbt_command(settings: Settings, args: Sequence[str], dbt_vars: str | None = None) -> list[str]:
    """Complete `args` with project, profiles, target and the state folders under home."""
    state = (settings.home / "dbt").resolve()
    full = [
        *args,
        "--project-dir", str(settings.dbt_project_dir),
        "--profiles-dir", str(settings.dbt_project_dir),
        "--target", dbt_target(settings),
        "--target-path", str(state / "target"),
        "--log-path", str(state / "logs"),
        *stand_in_args(settings, args),
    ]
    if args and args[0] not in ("clean", "deps", "debug"):
        full += ["--vars", dbt_vars_arg(settings, dbt_vars)]
    return full


def close_dbt_duckdb() -> None:
    """Close the DuckDB handle dbt-duckdb keeps for the process (profiles.yml `keep_open`)."""
    # Deferred: the adapter is imported by dbt itself, and only with the DuckDB warehouse.
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        env, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
    if env is not None:
        env.close()  # no public API closes it; close_all_connections() only drops the reference


def _node_results(result: Any) -> list[NodeResult]:
    nodes = []
    for item in getattr(result, "results", None) or []:
        node = item.node
        nodes.append(
            NodeResult(
                unique_id=node.unique_id,
                name=node.name,
                resource_type=str(getattr(node.resource_type, "value", node.resource_type)),
                status=str(getattr(item.status, "value", item.status)),
                failures=item.failures,
                message=item.message,
                seconds=round(float(item.execution_time or 0.0), 3),
                severity=_severity(node),
            )
        )
    return nodes


def _severity(node: Any) -> str | None:
    severity = getattr(getattr(node, "config", None), "severity", None)
    return str(severity).lower() if severity else None


def run_dbt(
    settings: Settings,
    args: Sequence[str],
    *,
    runner: Literal["dbt", "prefect"] = "dbt",
    dbt_vars: str | None = None,
    scoring_as_of: str | None = None,
    echo: bool | None = None,
) -> DbtRun:
    """Run one dbt command; `runner="prefect"` makes each dbt node a Prefect task run.

    dbt's own console log is shown only when `echo` is true (default: when this module logs
    at INFO), so that `--json` output stays clean; the results are returned either way.
    `scoring_as_of` is ml_scoring_features' data clock (env_var, unlike `dbt_vars`, keeps
    dbt's partial parse: only the files reading it are parsed again).
    """
    settings.check_production()  # dbt would send a missing password as literal template text
    full = dbt_command(settings, args, dbt_vars)
    if echo is None:
        echo = log.isEnabledFor(logging.INFO)
    if runner == "dbt" and not echo:
        full += ["--log-level", "none"]
    log.info("dbt %s", " ".join(args))
    with contextlib.ExitStack() as stack:
        stack.enter_context(_environ(dbt_env(settings)))
        stack.enter_context(_environ({"FLIGHTPRICE_SCORING_AS_OF": scoring_as_of or ""}))
        if settings.warehouse == "duckdb":
            # One file handle for the whole invocation, closed below (profiles.yml).
            stack.enter_context(_environ({"FLIGHTPRICE_DBT_KEEP_OPEN": "True"}))
            # dbt-duckdb is a writer: hold the same lock as every other writer of the file.
            # Deferred: the duckdb package is only needed with the DuckDB warehouse.
            from flightprice.warehouse.duckdb import writer_lock

            settings.duckdb_file.parent.mkdir(parents=True, exist_ok=True)
            stack.enter_context(writer_lock(settings.duckdb_file))
            # Before the lock is released (exit order): profiles.yml keeps the file open.
            stack.callback(close_dbt_duckdb)
        if runner == "prefect":
            from prefect_dbt import PrefectDbtSettings

            # Deferred, like prefect_dbt: only flows need it.
            from flightprice.transform._prefect_dbt import NamedNodeRunner

            dbt_settings = PrefectDbtSettings(
                project_dir=settings.dbt_project_dir, profiles_dir=settings.dbt_project_dir
            )
            res = NamedNodeRunner(settings=dbt_settings, raise_on_failure=False).invoke(full)
        else:
            from dbt.cli.main import dbtRunner

            res = dbtRunner().invoke(full)
    if res.exception is not None and res.result is None:
        raise DbtError(f"dbt {' '.join(args)} could not run: {res.exception}")
    run = DbtRun(list(args), bool(res.success), _node_results(res.result))
    if res.exception is not None:
        run.error = str(res.exception)
    log.info(
        "dbt %s: %s (%d nodes, %d failed)",
        args[0], "ok" if run.success else "FAILED", len(run.nodes), len(run.failed),
    )
    return run
