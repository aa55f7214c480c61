"""The `flightprice` command-line tool: commands parse, call one library function, present."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from flightprice.cli import deploy, pipeline, pricing, run, schedule, status, train
from flightprice.cli._common import err_console
from flightprice.exit_codes import ExitCode
from flightprice.settings import MissingSettingError, Settings

app = typer.Typer(
    name="flightprice",
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
    try:
        settings = Settings(**({"home": home} if home else {}))
    except ValidationError as exc:
        err_console.print(f"[bold red]error:[/] invalid configuration:\n{exc}")
        raise typer.Exit(ExitCode.CONFIG) from None
    ctx.ensure_object(dict)["settings"] = settings


pipeline.register(app)
status.register(app)
pricing.register(app)
train.register(app)
deploy.register(app)
app.command(name="schedule")(schedule.schedule)
app.command(name="run")(run.run)


def main() -> None:
    """Run the CLI; configuration errors exit with code 2 and a message naming the variable."""
    try:
        app()
    except MissingSettingError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise SystemExit(ExitCode.CONFIG) from None
