"""`flightprice monitor [RUN_ID]`: drift and realised accuracy of a scoring run, and its report."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from flightprice.cli._common import JsonOption, console, guard, print_json, settings_from


def monitor(
    ctx: typer.Context,
    run_id: Annotated[
        str | None, typer.Argument(help="Scoring run to monitor (default: the latest success).")
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Measure a scoring run as the scoring flow does after each run: MODEL_MONITORING rows,
    the HTML report under <home>/reports/monitoring/, a notification on a breach (and, with
    FLIGHTPRICE_MONITORING_RETRAIN, a run of the training deployment)."""
    # deferred: keeps --help fast
    from flightprice.monitor.run import latest_scoring_run, monitor_scoring_run

    settings = settings_from(ctx)
    with guard():
        result = monitor_scoring_run(settings, run_id or latest_scoring_run(settings))
    if json_out:
        print_json(result.to_dict())
        return
    table = Table(title=f"Monitoring of {result.run_id} (model {result.model_version})",
                  title_justify="left")  # fmt: skip
    for col in ("kind", "name", "metric", "value", "threshold", "rows"):
        table.add_column(col, justify="right" if col in ("value", "threshold", "rows") else "left")
    for c in result.checks:
        style = "bold red" if c.breached else None
        table.add_row(c.kind, c.name, c.metric, "–" if c.value is None else f"{c.value:.4f}",
                      "" if c.threshold is None else f"{c.threshold:g}",
                      "" if c.rows is None else f"{c.rows:,}", style=style)  # fmt: skip
    console.print(table)
    console.print(f"{len(result.breaches)} breach(es); report: {result.report}")
    if result.training:
        console.print(f"training: {result.training}")


def register(app: typer.Typer) -> None:
    """Attach `monitor` to `app`."""
    app.command()(monitor)
