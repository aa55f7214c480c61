"""`flightprice run FLOW`: run a Prefect flow of `flows/` in this process."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from flightprice.cli._common import JsonOption, console, finish, guard, settings_from
from flightprice.exit_codes import ExitCode

# flow name -> "file:function" under settings.flows_dir
FLOWS = {
    "daily": "daily_pipeline.py:daily_pipeline",
    "training": "training_pipeline.py:training_pipeline",
    "scoring": "batch_scoring.py:batch_scoring",
}


class FlowName(str, Enum):
    daily = "daily"
    training = "training"
    scoring = "scoring"


def load_flow(flows_dir, name: str):
    """Load a flow from its file the way a Prefect deployment does (by entrypoint)."""
    from prefect.flows import load_flow_from_entrypoint

    return load_flow_from_entrypoint(f"{flows_dir / FLOWS[name]}")


def run(
    ctx: typer.Context,
    name: Annotated[FlowName, typer.Argument(help="Which flow to run.")],
    force: Annotated[bool, typer.Option(help="Run every step even with no new input.")] = False,
    full_refresh: Annotated[
        bool,
        typer.Option("--full-refresh",
                     help="daily: rebuild the incremental dbt models from all history."),
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Run a pipeline flow through Prefect now (a temporary Prefect server starts if none is set).

    Exit code 1 when the flow failed.
    """
    import os

    settings = settings_from(ctx)
    # The flow reads settings at its own entry; hand over an explicit --home.
    os.environ["FLIGHTPRICE_HOME"] = str(settings.home)
    from flightprice.settings import get_settings  # deferred: keeps --help fast

    get_settings.cache_clear()
    with guard():
        flow = load_flow(settings.flows_dir, name.value)
        kwargs = {"force": force, "full_refresh": full_refresh} if name.value == "daily" else {}
        state = flow(**kwargs, return_state=True)
    result = state.result(raise_on_failure=False)
    if not json_out:
        colour = "green" if state.is_completed() else "red"
        console.print(f"flow [bold]{flow.name}[/]: [{colour}]{state.type.value}[/]")
        if state.is_completed():
            console.print(result)
        else:
            console.print(str(result))
    finish(json_out, {"state": state.type.value,
                      "result": result if state.is_completed() else str(result)},
           ExitCode.OK if state.is_completed() else ExitCode.FAILED,
           f"flow {flow.name} ended {state.type.value}: {result}", kind="FlowFailed")
