"""Shared pieces of the CLI: settings from the context, output, progress, errors."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from flightprice.exit_codes import ExitCode

if TYPE_CHECKING:
    import pandas as pd

    from flightprice.settings import Settings

console = Console()
err_console = Console(stderr=True)

# The one `--json` option of every command that offers machine-readable output.
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def settings_from(ctx: typer.Context) -> Settings:
    """Return this invocation's settings, read once on first use (so `--help` never reads them)."""
    obj = ctx.ensure_object(dict)
    if "settings" not in obj:
        obj["settings"] = _read_settings(obj.get("home"))
    return obj["settings"]


def _read_settings(home: Path | None) -> Settings:
    from pydantic import ValidationError

    # Imported here: settings load pydantic-settings (~0.25 s), which `--help` does not need.
    from flightprice.settings import Settings

    try:
        return Settings(**({"home": home} if home else {}))
    except ValidationError as exc:
        raise fail(f"invalid configuration:\n{exc}", ExitCode.CONFIG, cause=exc) from None


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):  # pandas' Timestamp and NaT are datetimes
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def print_json(payload: Any) -> None:
    """Print machine-readable output to stdout (nothing else goes there with --json).

    A document that does not state its own status gets `"status": "ok"`.
    """
    if isinstance(payload, dict) and "status" not in payload:
        payload = {"status": "ok", **payload}
    typer.echo(json.dumps(payload, indent=2, default=_default))


def finish(json_out: bool, result: Any, code: int = ExitCode.OK, message: str = "",
           hint: str | None = None, kind: str | None = None) -> None:
    """End a command: print `result` as its JSON document when asked, exit with `code`.

    A non-zero code is a failure: with --json the document becomes the error document
    (status error, `message`, the exit code) holding `result` as the partial result.
    """
    if code and json_out:
        raise CommandFailed(message, code, kind=kind, result=result, hint=hint)
    if json_out:
        print_json(result)
    if code:
        raise typer.Exit(code)


def frame_records(frame: pd.DataFrame) -> list[dict]:
    """Turn a frame into JSON-ready records (NaN and NaT become null)."""
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def _cell(value: Any) -> str:
    """Format one value for people: whole numbers with separators, timestamps to the second."""
    import pandas as pd  # imported here, not at start-up: the frame shown has loaded it already

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, datetime):
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
    # Imported here, not at start-up: only long-running commands draw a bar.
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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


class CommandFailed(Exception):
    """A command failed for a known reason; the app prints it (as JSON with --json) and exits.

    `kind` names the cause (an exception class or the exit code's name), `hint` says what to
    run or which setting to change, and `result` is the partial result the command has.
    """

    def __init__(self, message: str, code: int = ExitCode.FAILED, *, kind: str | None = None,
                 hint: str | None = None, result: Any = None) -> None:
        super().__init__(message)
        self.message, self.code, self.hint, self.result = message, int(code), hint, result
        self.kind = kind or ExitCode(self.code).name.title().replace("_", "")


def fail(message: str, code: int = ExitCode.FAILED, *, cause: BaseException | None = None,
         hint: str | None = None, result: Any = None) -> CommandFailed:
    """Return the error to raise: the app prints `message` (and `hint`) and exits with `code`."""
    return CommandFailed(message, code, kind=type(cause).__name__ if cause else None,
                         hint=hint or _hint_for(cause), result=result)


def _hint_for(cause: BaseException | None) -> str | None:
    if type(cause).__name__ == "CatalogException":
        # DuckDB's missing-table error: the warehouse was never set up or transformed.
        return "run `flightprice init`, then ingest and transform"
    return getattr(cause, "hint", None)


@contextmanager
def guard() -> Iterator[None]:
    """Turn known library errors into a one-line message and a distinct exit code."""
    from flightprice.settings import MissingSettingError  # deferred: keeps --help fast
    from flightprice.transform.dbt import DbtError  # deferred: keeps --help fast
    from flightprice.warehouse.base import WarehouseConnectionError  # deferred: keeps --help fast

    try:
        yield
    except MissingSettingError as exc:
        raise fail(str(exc), ExitCode.CONFIG, cause=exc) from None
    except (DbtError, WarehouseConnectionError) as exc:
        raise fail(str(exc), cause=exc) from None
