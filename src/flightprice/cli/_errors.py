"""How every command fails: one message on stderr, or one JSON error document with --json."""

from __future__ import annotations

import traceback
from typing import Any

import typer
from typer.core import TyperGroup

from flightprice.cli._common import CommandFailed, err_console, fail, print_json
from flightprice.exit_codes import ExitCode

# ctx.meta key: whether this invocation asked for JSON (meta is shared by every sub-context).
JSON_REQUESTED = "flightprice.json"


def error_document(error: CommandFailed) -> dict[str, Any]:
    """Return the JSON failure document: status, error, exit code, then any partial result."""
    details = {"type": error.kind, "message": error.message}
    if error.hint:
        details["hint"] = error.hint
    document: dict[str, Any] = {"status": "error", "error": details, "exit_code": error.code}
    if isinstance(error.result, dict):
        document.update({k: v for k, v in error.result.items() if k not in document})
    elif error.result is not None:
        document["result"] = error.result
    return document


def _as_failure(exc: Exception) -> CommandFailed:
    """Turn what a command raised into a CommandFailed (usage errors exit 2, the rest 1)."""
    # Imported on failure only: settings load pydantic-settings, which `--help` does not need.
    from flightprice.settings import MissingSettingError

    if isinstance(exc, typer.TyperException):
        command = getattr(getattr(exc, "ctx", None), "command_path", "flightprice")
        return CommandFailed(exc.format_message(), exc.exit_code, kind=type(exc).__name__,
                             hint=f"see `{command} --help`")
    if isinstance(exc, MissingSettingError):
        return fail(str(exc), ExitCode.CONFIG, cause=exc)
    return fail(str(exc) or type(exc).__name__, ExitCode.FAILED, cause=exc)


class JsonErrorsGroup(TyperGroup):
    """The app's command group: prints every failure once, as JSON when --json was given."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        # Known before the command parses its own options, so a bad option value is answered
        # in JSON too. `--json` is a flag of commands only, never a value of another option.
        ctx.meta[JSON_REQUESTED] = "--json" in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context) -> Any:
        json_requested = ctx.meta.get(JSON_REQUESTED, False)
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except typer.TyperException as exc:
            if not json_requested:
                raise  # click prints usage errors for people
            error = _as_failure(exc)
        except CommandFailed as exc:
            error = exc
        except Exception as exc:
            error = _as_failure(exc)
            if not json_requested and error.code != ExitCode.CONFIG:
                raise  # unexpected (not a missing setting): keeps its traceback without --json
            if ctx.params.get("verbose"):
                err_console.print(traceback.format_exc(), markup=False, highlight=False)
        if json_requested:
            print_json(error_document(error))
        else:
            err_console.print(f"[bold red]error:[/] {error.message}")
            if error.hint:
                err_console.print(f"hint: {error.hint}")
        raise typer.Exit(error.code)

