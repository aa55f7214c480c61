"""`flightprice run FLOW`: run a Prefect flow of `flows/` in this process."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import typer

from flightprice.cli._common import JsonOption, console, finish, guard, settings_from
from flightprice.exit_codes import ExitCode
from flightprice.orchestrate.runs import FLOWS, load_flow  # noqa: F401 (re-exported for tests)

AsOfOption = Annotated[
    datetime | None,
    typer.Option(
        help="Data clock: daily loads the files delivered by this day; scoring prices what "
        "was on sale then (default: the latest data).",
        show_default=False,
    ),
]


class FlowName(str, Enum):
    daily = "daily"
    training = "training"
    scoring = "scoring"


def flow_parameters(name: str, force: bool, as_of: datetime | None) -> dict:
    """The flow's keyword arguments from the command's options."""
    params: dict = {"force": force} if name == "daily" else {}
    if as_of is not None and name == "daily":
        params["as_of"] = as_of.date()
    elif as_of is not None and name == "scoring":
        params["as_of"] = f"{as_of:%Y-%m-%d %H:%M:%S}"
    return params


def run(
    ctx: typer.Context,
    name: Annotated[FlowName, typer.Argument(help="Which flow to run.")],
    force: Annotated[bool, typer.Option(help="Run every step even with no new input.")] = False,
    full_refresh: Annotated[
        bool,
        typer.Option("--full-refresh",
                     help="daily: rebuild the incremental dbt models from all history."),
    ] = False,
    as_of: AsOfOption = None,
    json_out: JsonOption = False,
) -> None:
    """Run a pipeline flow through Prefect now.

    The run reports to PREFECT_API_URL when set, else to the server `flightprice schedule`
    started when it is up (the run shows in its dashboard), else to a temporary one.
    Exit code 1 when the flow failed.
    """
    import os

    settings = settings_from(ctx)
    # The flow reads settings at its own entry; hand over an explicit --home.
    os.environ["FLIGHTPRICE_HOME"] = str(settings.home)
    from flightprice.orchestrate.runs import run_flow  # deferred: keeps --help fast
    from flightprice.settings import get_settings  # deferred: keeps --help fast

    get_settings.cache_clear()
    if as_of is not None and name.value == "training":
        raise typer.BadParameter("training has no --as-of", param_hint="--as-of")
    with guard():
        params = flow_parameters(name.value, force, as_of)
        if full_refresh and name.value == "daily":
            params["full_refresh"] = True
        flow, state = run_flow(settings, name.value, params)
    result = state.result(raise_on_failure=False)
    if not json_out:
        colour = "green" if state.is_completed() else "red"
        console.print(f"flow [bold]{flow.name}[/]: [{colour}]{state.type.value}[/]")
        if state.is_completed():
            console.print(result)
        else:
            console.print(str(result))
    finish(
        json_out,
        {"state": state.type.value, "result": result if state.is_completed() else str(result)},
        ExitCode.OK if state.is_completed() else ExitCode.FAILED,
        f"flow {flow.name} ended {state.type.value}: {result}",
        kind="FlowFailed",
    )
