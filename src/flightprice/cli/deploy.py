"""`flightprice deploy`: ship a model version to the local API or the ECS service."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer
from rich.table import Table

from flightprice.cli._common import (
    JsonOption,
    console,
    err_console,
    fail,
    finish,
    guard,
    settings_from,
)
from flightprice.exit_codes import ExitCode


class Target(str, Enum):
    local = "local"
    ecs = "ecs"


def deploy(
    ctx: typer.Context,
    target: Annotated[
        Target | None,
        typer.Option(help="local: champion pointer + API reload; ecs: a new ECS task-definition "
                     "revision (env FLIGHTPRICE_DEPLOY_TARGET, default local).",
                     show_default=False),
    ] = None,
    version: Annotated[
        str | None, typer.Option(help="Model version (default: the champion).", show_default=False)
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Deploy a model version, smoke-test it, and roll it back when the test fails.

    A version that is not the champion is promoted first. On failure the target returns to
    what it served before, the previous champion is reinstated and MODEL_REGISTRY and
    TRAINING_LOG say why; the exit code is then 1.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from flightprice.deploy._ecs import TaskDefinitionError  # deferred: keeps --help fast
    from flightprice.deploy.rollout import deploy as run_deploy  # deferred: keeps --help fast
    from flightprice.registry import RegistryError  # deferred: keeps --help fast

    settings = settings_from(ctx)
    chosen = target.value if target else settings.deploy_target
    if not json_out:
        err_console.print(f"deploying {version or 'the champion'} to {chosen} …")
    with guard():
        try:
            result = run_deploy(settings, version, target=chosen)
        except (RegistryError, TaskDefinitionError, LookupError) as exc:
            raise fail(str(exc), cause=exc) from None
        except (BotoCoreError, ClientError) as exc:
            raise fail(f"AWS: {exc}", cause=exc) from None
    if not json_out:
        table = Table(title=f"deploy to {result.target}", title_justify="left")
        table.add_column("what")
        table.add_column("value", overflow="fold")
        for key in ("version", "previous_version", "url", "task_definition",
                    "previous_task_definition", "detail"):
            value = getattr(result, key)
            if value is not None:
                table.add_row(key, str(value))
        if result.smoke is not None:
            table.add_row("smoke test", "passed" if result.smoke.get("passed") else "FAILED")
        console.print(table)
        verdict = "[red]rolled back[/]" if result.rolled_back else "[green]deployed[/]"
        console.print(f"{result.version}: {verdict}")
    finish(json_out, result.to_dict(), ExitCode.OK if result.passed else ExitCode.FAILED,
           f"deploy of {result.version} to {result.target} failed"
           + (" and was rolled back" if result.rolled_back else "")
           + (f": {result.detail}" if result.detail else ""), kind="DeployFailed")


def register(app: typer.Typer) -> None:
    """Attach `deploy` to `app`."""
    app.command()(deploy)
