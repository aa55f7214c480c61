"""`flightprice status`: the monitoring tables at a glance."""

from __future__ import annotations

from typing import Annotated

import typer

from flightprice.cli._common import (
    JsonOption,
    console,
    frame_records,
    frame_table,
    guard,
    print_json,
    settings_from,
)


def status(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="Runs or rows per table.")] = 5,
    json_out: JsonOption = False,
) -> None:
    """Show loaded files (rows loaded and rejected, top reasons), data-quality runs, failed
    checks, models, training and scoring runs."""
    from flightprice.orchestrate.status import monitoring_snapshot  # deferred: keeps --help fast
    from flightprice.warehouse import open_warehouse  # deferred: keeps --help fast

    settings = settings_from(ctx)
    with guard(), open_warehouse(settings, read_only=True) as warehouse:
        snapshot = monitoring_snapshot(warehouse, limit)
    if json_out:
        print_json({name: frame_records(frame) for name, frame in snapshot.items()})
        return
    for name, frame in snapshot.items():
        console.print(frame_table(frame, name.replace("_", " ")))


def register(app: typer.Typer) -> None:
    """Attach `status` to `app`."""
    app.command()(status)
