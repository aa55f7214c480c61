"""`flightprice backfill daily|scoring --from DATE --to DATE`: the flows as of each date."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import typer

from flightprice.cli._common import JsonOption, console, err_console, finish, guard, settings_from
from flightprice.exit_codes import ExitCode


class BackfillFlowName(str, Enum):
    daily = "daily"
    scoring = "scoring"


def backfill(
    ctx: typer.Context,
    name: Annotated[BackfillFlowName, typer.Argument(help="Which flow to backfill.")],
    start: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"],
                                            help="First date (YYYY-MM-DD).")],
    end: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"],
                                          help="Last date, included (YYYY-MM-DD).")],
    force: Annotated[bool, typer.Option(help="Run dates recorded as done again.")] = False,
    json_out: JsonOption = False,
) -> None:  # fmt: skip
    """Run the daily or the scoring flow as of each date, oldest first, resumably.

    daily loads the raw files delivered by each date and rebuilds the warehouse; scoring
    prices what was on sale at the end of each date. Completed dates are recorded in
    <home>/backfill/<flow>.json: a re-run after a failure or a kill skips them (--force runs
    them again). Runs report to the `flightprice schedule` server when it is up.
    Exit code 1 when a date failed (the later ones are not run).
    """
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from flightprice.orchestrate import backfill as backfills  # deferred: keeps --help fast
    from flightprice.settings import get_settings  # deferred: keeps --help fast

    settings = settings_from(ctx)
    os.environ["FLIGHTPRICE_HOME"] = str(settings.home)  # the flows read settings at entry
    get_settings.cache_clear()
    with guard():
        days = backfills.dates(start.date(), end.date())
        columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err_console, disable=json_out) as bar:
            task = bar.add_task(f"backfill {name.value}", total=len(days))

            def progress(day, status: str) -> None:
                bar.update(task, description=f"backfill {name.value} {day}: {status}")
                if status != "running":
                    bar.advance(task)

            report = backfills.backfill(settings, name.value, start.date(), end.date(), force=force,
                                  progress=progress)  # fmt: skip
    result = report.to_dict()
    if not json_out:
        counts = result["counts"]
        console.print(f"backfill {name.value} {report.start}..{report.end}: "
                      f"{counts['done']} done, {counts['skipped']} skipped (done before), "
                      f"{counts['failed']} failed; record: {report.state_file}")  # fmt: skip
        for day in report.failed:
            console.print(f"[red]{day.day} failed[/]: {day.detail}")
    failed = report.failed
    finish(json_out, result, ExitCode.FAILED if failed else ExitCode.OK,
           f"backfill {name.value} stopped at {failed[0].day}: {failed[0].detail}" if failed else "",
           hint="fix the cause and run the same command again: done dates are skipped",
           kind="BackfillFailed")  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command(name="backfill")(backfill)
