"""`flightprice schedule [start|stop|status]`: Prefect server + UI, deployments, a worker."""

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
    print_json,
    settings_from,
)
from flightprice.exit_codes import ExitCode


class Action(str, Enum):
    start = "start"
    stop = "stop"
    status = "status"


def schedule(
    ctx: typer.Context,
    action: Annotated[
        Action, typer.Argument(help="start (default), stop or status.")
    ] = Action.start,
    timeout: Annotated[
        float, typer.Option(min=1, help="Seconds to wait for the server and the deploy.")
    ] = 180.0,
    json_out: JsonOption = False,
) -> None:
    """Run the three deployments on their crons, with the Prefect UI on 127.0.0.1:4200.

    `start` launches `prefect server start` and a worker in the background (state, pid and
    log files under <home>/prefect), creates the work pool and the warehouse-writer
    concurrency limit, and deploys prefect.yaml. `stop` ends those processes by pid.
    `status` shows what runs and the next run of each deployment. Port: env
    FLIGHTPRICE_PREFECT_PORT.
    """
    from flightprice.orchestrate import schedule as scheduler  # deferred: keeps --help fast

    settings = settings_from(ctx)
    if action is Action.stop:
        stopped = scheduler.stop(settings)
        if json_out:
            print_json([p.__dict__ for p in stopped])
        else:
            for p in stopped:
                console.print(f"stopped {p.name} (pid {p.pid})")
            if not stopped:
                console.print("nothing was running")
        return
    with guard():
        try:
            if action is Action.start:
                say = (lambda _m: None) if json_out else (lambda m: err_console.print(f"{m} …"))
                result = scheduler.start(settings, timeout=timeout, say=say)
            else:
                result = scheduler.status(settings)
        except scheduler.ScheduleError as exc:
            raise fail(str(exc), cause=exc) from None
    if not json_out:
        _print_status(result)
    unhealthy = action is Action.status and not result.server_healthy
    finish(json_out, result.to_dict(), ExitCode.FAILED if unhealthy else ExitCode.OK,
           f"the Prefect server at {result.ui_url} is not healthy",
           hint="start it with `flightprice schedule start`", kind="ServerNotHealthy")


def _print_status(result) -> None:  # result: schedule.ScheduleStatus
    from flightprice.orchestrate.schedule import WORK_POOL  # deferred: keeps --help fast

    processes = Table(title="processes", title_justify="left")
    for column in ("process", "pid", "running", "log"):
        processes.add_column(column, overflow="fold")
    for p in result.processes:
        processes.add_row(p.name, str(p.pid or ""), "yes" if p.running else "no", p.log)
    console.print(processes)
    deployments = Table(title=f"deployments (work pool {WORK_POOL})", title_justify="left")
    deployments.add_column("deployment", no_wrap=True)
    deployments.add_column("schedule", no_wrap=True)
    deployments.add_column("next runs", overflow="fold")
    for d in result.deployments:
        runs = "\n".join(r.strftime("%a %Y-%m-%d %H:%M %Z") for r in d.next_runs) or "none"
        schedule = ", ".join(d.schedules) + (" (paused)" if d.paused else "")
        deployments.add_row(d.name, schedule, runs)
    if not result.deployments:
        deployments.caption = "server not healthy" if not result.server_healthy else "none"
    console.print(deployments)
    console.print(f"Prefect UI: [bold]{result.ui_url}[/]   (stop with `flightprice schedule stop`)")
