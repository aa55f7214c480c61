"""`flightprice ui mlflow`: the MLflow UI on the tracking store, in the foreground."""

from __future__ import annotations

import signal
import subprocess
from typing import Annotated

import typer

from flightprice.cli._common import console, guard, settings_from

ui_app = typer.Typer(help="Open the web UIs of the tools flightprice runs.", no_args_is_help=True)


@ui_app.command("mlflow")
def mlflow_ui(
    ctx: typer.Context,
    port: Annotated[
        int | None, typer.Option(help="Port (env FLIGHTPRICE_MLFLOW_UI_PORT, default 5000).")
    ] = None,
) -> None:
    """Serve the MLflow UI on 127.0.0.1 over the tracking store (Ctrl-C stops it).

    The store is <home>/mlflow/mlflow.db, or FLIGHTPRICE_MLFLOW_URI: with a tracking server
    configured, open that URI in a browser instead.
    """
    from flightprice.track import mlflow_ui_command  # deferred: keeps --help fast

    settings = settings_from(ctx)
    with guard():
        if settings.mlflow_uri and settings.mlflow_uri.startswith(("http://", "https://")):
            console.print(f"MLflow runs on a tracking server: open {settings.mlflow_uri}")
            return
        command = mlflow_ui_command(settings, port)
        port = command[command.index("--port") + 1]
        console.print(f"MLflow UI on http://127.0.0.1:{port} (Ctrl-C stops it; it takes a "
                      "few seconds to start)")  # fmt: skip
        _serve_until_stopped(command)


def _serve_until_stopped(command: list[str]) -> None:
    """Run `command` in its own process group; on Ctrl-C or SIGTERM end the whole group.

    `mlflow ui` starts a server process of its own: a SIGTERM that only ended this CLI used to
    leave that server holding the port.
    """
    from flightprice.orchestrate._background import terminate_group  # deferred: --help stays fast

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    process = subprocess.Popen(command, start_new_session=True)
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        terminate_group(process.pid, timeout=10.0)


def register(app: typer.Typer) -> None:
    app.add_typer(ui_app, name="ui")
