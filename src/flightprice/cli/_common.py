"""Shared pieces of the CLI: settings from the context, output, progress, errors."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from flightprice.exit_codes import ExitCode
from flightprice.settings import Settings

console = Console()
err_console = Console(stderr=True)

# The one `--json` option of every command that offers machine-readable output.
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def settings_from(ctx: typer.Context) -> Settings:
    """Return the settings the callback read once for this invocation."""
    return ctx.ensure_object(dict)["settings"]


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def print_json(payload: Any) -> None:
    """Print machine-readable output to stdout (nothing else goes there with --json)."""
    typer.echo(json.dumps(payload, indent=2, default=_default))


def frame_records(frame: pd.DataFrame) -> list[dict]:
    """Turn a frame into JSON-ready records (NaN and NaT become null)."""
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def _cell(value: Any) -> str:
    """Format one value for people: whole numbers with separators, timestamps to the second."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, datetime | pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def frame_table(frame: pd.DataFrame, title: str) -> Table:
    """Render a frame as a rich table."""
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in frame.columns:
        table.add_column(str(column), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    if frame.empty:
        table.caption = "no rows yet"
    return table


@contextmanager
def progress_bar(description: str, enabled: bool = True) -> Iterator[Any]:
    """Yield a `(done, total)` callback that drives a rich progress bar on stderr."""
    if not enabled:
        yield lambda *_args, **_kw: None
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int, *_rest: Any) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def fail(message: str, code: int = ExitCode.FAILED) -> typer.Exit:
    """Print an error on stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@contextmanager
def guard() -> Iterator[None]:
    """Turn known library errors into a one-line message and a distinct exit code."""
    from flightprice.settings import MissingSettingError
    from flightprice.transform.dbt import DbtError
    from flightprice.warehouse.base import WarehouseConnectionError

    try:
        yield
    except MissingSettingError as exc:
        raise fail(str(exc), ExitCode.CONFIG) from None
    except (DbtError, WarehouseConnectionError) as exc:
        raise fail(str(exc)) from None
