"""The `flightprice` command-line tool: commands parse, call one library function, present."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from flightprice.cli import (
    backfill,
    demand,
    deploy,
    docs,
    experiment,
    monitor,
    pipeline,
    pricing,
    revenue,
    run,
    schedule,
    status,
    train,
    ui,
)
from flightprice.cli._errors import JsonErrorsGroup

app = typer.Typer(
    name="flightprice",
    cls=JsonErrorsGroup,
    help="Flight pricing: raw fares -> warehouse -> features -> model -> prices.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    add_completion=False,
)


@app.callback()
def _main(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(help="Folder of the embedded state (env FLIGHTPRICE_HOME, default ./.flightprice).", show_default=False),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every step.")] = False,
) -> None:
    """Flight pricing: raw fares -> warehouse -> features -> model -> prices.

    Configuration comes from FLIGHTPRICE_* environment variables or a .env file.
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Settings are read on a command's first `settings_from`, so `--help` never reads them.
    ctx.ensure_object(dict)["home"] = home


pipeline.register(app)
status.register(app)
pricing.register(app)
train.register(app)
deploy.register(app)
revenue.register(app)
ui.register(app)
monitor.register(app)
experiment.register(app)
demand.register(app)
app.command(name="schedule")(schedule.schedule)
app.command(name="run")(run.run)
backfill.register(app)
docs.register(app)


def main() -> None:
    """Run the CLI; failures print through JsonErrorsGroup (configuration errors exit 2)."""
    app()
