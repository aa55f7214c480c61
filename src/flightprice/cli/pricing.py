"""Pricing commands: serve (the API), score (batch scoring), smoke-test (a running API)."""

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
    initialised_settings,
    print_json,
    progress_bar,
    settings_from,
)
from flightprice.exit_codes import ExitCode


class ScoringMode(str, Enum):
    api = "api"
    local = "local"


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(
            help="Interface to bind (env FLIGHTPRICE_API_HOST, default 127.0.0.1).",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Port (env FLIGHTPRICE_API_PORT, default 8000).",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="uvicorn worker processes (default 1).", show_default=False),
    ] = None,
    reload_key: Annotated[
        str | None,
        typer.Option(
            help="API key for POST /admin/reload; prefer env FLIGHTPRICE_API_KEY "
            "(a command line is visible to other users).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the pricing API (uvicorn) until interrupted; the champion is loaded at startup."""
    from api.main import serve as serve_api
    from pydantic import SecretStr

    settings = initialised_settings(ctx)
    if reload_key:
        settings = settings.model_copy(update={"api_key": SecretStr(reload_key)})
    host, port = host or settings.api_host, port or settings.api_port
    err_console.print(
        f"pricing API on http://{host}:{port} (docs /docs); try:\n"
        f"  curl -s http://{host}:{port}/health\n"
        f"  curl -s -X POST http://{host}:{port}/v1/price -H 'content-type: application/json' "
        "-d @docs/example-quote.json"
    )
    with guard():
        serve_api(settings, host=host, port=port, workers=workers)


def score(
    ctx: typer.Context,
    mode: Annotated[
        ScoringMode | None,
        typer.Option(
            help="api: through the deployed API; local: the champion in-process "
            "(env FLIGHTPRICE_SCORING_MODE, default api).",
            show_default=False,
        ),
    ] = None,
    run_id: Annotated[
        str | None, typer.Option(help="Scoring run id; re-running one replaces its history.")
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Price every flight on sale into ML_PREDICTIONS.FLIGHT_PRICES and PRICE_HISTORY.

    Exit code 1 when the run failed (its SCORING_LOG row says why). In local mode,
    FLIGHTPRICE_ENGINE=dask prices each chunk's slices in parallel on a Dask cluster.
    """
    from flightprice.score.batch import ScoringError, run_scoring  # deferred: keeps --help fast

    settings = initialised_settings(ctx)
    try:
        with guard(), progress_bar("pricing flights", enabled=not json_out) as progress:
            report = run_scoring(
                settings, mode=mode.value if mode else None, run_id=run_id, progress=progress
            )
    except ScoringError as exc:
        raise fail(str(exc), ExitCode.FAILED, cause=exc) from None
    if json_out:
        print_json(report.to_dict())
        return
    table = Table(title="scoring run", title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    for key in ("run_id", "mode", "model_version", "rows", "duration_seconds", "as_of"):
        value = getattr(report, key)
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    for name, count in sorted(report.guardrails.items()):
        table.add_row(f"guardrail {name}", f"{count:,}")
    console.print(table)


def smoke_test(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Argument(help="API base URL (default FLIGHTPRICE_API_URL).", show_default=False),
    ] = None,
    budget_ms: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            help="Highest acceptable p95 quote latency in ms (default 250).",
            show_default=False,
        ),
    ] = None,
    wait: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for the API to come up.")
    ] = 0.0,
    json_out: JsonOption = False,
) -> None:
    """Check a running API: health, a known quote, a batch, a 422, latency. Exit 1 on failure."""
    from flightprice.serve.client import pricing_key  # deferred: keeps --help fast
    from flightprice.serve.smoke import run_smoke_test  # deferred: keeps --help fast

    settings = settings_from(ctx)
    report = run_smoke_test(
        url or settings.api_url,
        latency_budget_ms=budget_ms or settings.smoke_latency_budget_ms,
        wait_seconds=wait,
        api_key=pricing_key(settings),
    )
    if not json_out:
        table = Table(title=f"smoke test of {report.url}", title_justify="left")
        for column in ("check", "result", "detail", "ms"):
            table.add_column(column, justify="right" if column == "ms" else "left", overflow="fold")
        for check in report.checks:
            result = "[green]pass[/]" if check.passed else "[red]FAIL[/]"
            table.add_row(check.name, result, check.detail, f"{check.seconds * 1000:.0f}")
        console.print(table)
        verdict = "[green]passed[/]" if report.passed else "[red]failed[/]"
        console.print(f"smoke test {verdict}")
    finish(json_out, report.to_dict(), ExitCode.OK if report.passed else ExitCode.FAILED,
           "smoke test failed: " + next((f"{c.name}: {c.detail}" for c in report.checks
                                         if not c.passed), "?"), kind="SmokeTestFailed")


def register(app: typer.Typer) -> None:
    """Attach the pricing commands to `app`."""
    app.command()(serve)
    app.command()(score)
    app.command(name="smoke-test")(smoke_test)
