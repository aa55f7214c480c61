"""`flightprice demand fit`: learn demand from the warehouse's bookings, as a seller would."""

from __future__ import annotations

import typer
from rich.table import Table

from flightprice.cli._common import JsonOption, console, fail, guard, print_json, settings_from

demand_app = typer.Typer(
    help="Demand learnt from the bookings feed: what optimal and ladder price with.",
    no_args_is_help=True,
)


@demand_app.command("fit")
def fit(ctx: typer.Context, json_out: JsonOption = False) -> None:
    """Fit the demand model on ANALYTICS.ML_DEMAND_HISTORY and save it as the latest fit.

    Needs the bookings feed loaded and built (`flightprice ingest`, `flightprice transform`)
    and a champion (its market fare is what prices are compared with). The fit goes to
    models/demand/<version>/demand.json; the API (on start or POST /admin/reload) and batch
    scoring price `optimal` and `ladder` with the latest one (FLIGHTPRICE_DEMAND_SOURCE=warehouse).
    Prints the fit report: deviance explained per route-cabin group (in sample and held out)
    and the price response (bookings at 1.1x the market fare over 0.9x: below 1 is sane), and
    the price reference the fit kept by held-out deviance: the market fare, or the market fare
    times each flight's level from its other sale days (the fare model errs per flight).
    """
    from flightprice.registry import NoChampionError  # deferred: keeps --help fast
    from flightprice.revenue.fitted import (  # deferred: keeps --help fast
        NoDemandHistoryError,
        run_demand_fit,
    )

    settings = settings_from(ctx)
    try:
        with guard():
            result = run_demand_fit(settings)
    except (NoDemandHistoryError, NoChampionError) as exc:
        raise fail(str(exc), cause=exc) from None
    keys = ("version", "fare_model_version", "rows", "bookings", "quotes_per_day", "competitor",
            "reference", "summary", "report")  # fmt: skip
    if json_out:
        print_json({key: result[key] for key in keys})
        return
    table = Table(title=f"demand fit {result['version']}", title_justify="left")
    for column in ("group", "rows", "bookings", "D2", "D2 held out", "b 7d", "b 56d"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for row in result["report"]:
        table.add_row(str(row["group"]), f"{row['rows']:,}", f"{row['bookings']:,}",
                      f"{row['d2']:.3f}", f"{row['d2_holdout']:.3f}", f"{row['b_7d']:.2f}",
                      f"{row['b_56d']:.2f}")  # fmt: skip
    console.print(table)
    summary = result["summary"]
    response = ", ".join(f"{d} {v:.2f}" for d, v in summary["price_response_1.1_over_0.9"].items())
    console.print(f"{result['rows']:,} sale days, {result['bookings']:,} seats booked; D2 "
                  f"{summary['d2']:.3f} (held out {summary['d2_holdout']:.3f}); bookings at 1.1x "
                  f"/ 0.9x the market fare: {response}; competitor fare {result['competitor']}; "
                  f"price reference {result['reference']}")  # fmt: skip


def register(app: typer.Typer) -> None:
    """Attach the `demand` group to `app`."""
    app.add_typer(demand_app, name="demand")
