"""`flightprice experiment report`: champion vs challenger revenue per flight, and a decision."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from flightprice.cli._common import JsonOption, console, fail, guard, print_json, settings_from

experiment_app = typer.Typer(
    help="Champion/challenger experiments at serve time (FLIGHTPRICE_EXPERIMENT_*).",
    no_args_is_help=True,
)


@experiment_app.command("report")
def report(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="Experiment name (default: FLIGHTPRICE_EXPERIMENT_NAME).",
            show_default=False,
        ),
    ] = None,
    min_flights: Annotated[
        int, typer.Option(min=2, help="Flights each arm needs before a recommendation.")
    ] = 10,
    json_out: JsonOption = False,
) -> None:
    """Revenue per flight by arm (bookings credited to the arm that priced the flight), the
    challenger - champion difference with a 95% interval, and keep / switch / inconclusive.

    Reads the API's assignment log (FLIGHTPRICE_EXPERIMENT_LOG_PATH) and
    ANALYTICS.FCT_BOOKING (after `flightprice ingest` and `flightprice transform`).
    """
    from flightprice.experiment.run import (  # deferred: keeps --help fast
        NoExperimentDataError,
        report_experiment,
    )

    settings = settings_from(ctx)
    try:
        with guard():
            result = report_experiment(settings, name, min_flights)
    except NoExperimentDataError as exc:
        raise fail(str(exc), cause=exc) from None
    if json_out:
        print_json(result.to_dict())
        return
    table = Table(title=f"experiment {result.experiment}", title_justify="left")
    for column in ("arm", "flights", "bookings", "seats", "revenue USD", "per flight USD",
                   "priced by"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("arm", "priced by") else "right")
    for arm in result.arms:
        per_flight = arm.revenue_per_flight_usd
        table.add_row(arm.arm, f"{arm.flights:,}", f"{arm.bookings:,}", f"{arm.seats:,}",
                      f"{arm.revenue_usd:,.2f}", "" if per_flight is None else f"{per_flight:,.2f}",
                      ", ".join(arm.priced_by))  # fmt: skip
    console.print(table)
    if result.ci95 is not None and result.revenue_per_flight_diff is not None:
        low, high = result.ci95
        console.print(f"challenger - champion: {result.revenue_per_flight_diff:+,.2f} USD per "
                      f"flight, 95% interval [{low:+,.2f}, {high:+,.2f}]")  # fmt: skip
    console.print(f"[bold]{result.recommendation}[/bold]: {result.reason}")


def register(app: typer.Typer) -> None:
    """Attach the `experiment` group to `app`."""
    app.add_typer(experiment_app, name="experiment")
