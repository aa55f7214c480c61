"""`flightprice simulate`: two pricing policies on the same simulated customers."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from flightprice.cli._common import (
    JsonOption,
    console,
    err_console,
    fail,
    guard,
    print_json,
    progress_bar,
    settings_from,
)
from flightprice.exit_codes import ExitCode


class PolicyName(str, Enum):
    ladder = "ladder"
    rule = "rule"
    optimal = "optimal"
    oracle = "oracle"
    optimal_blind = "optimal_blind"
    oracle_blind = "oracle_blind"


def simulate(
    ctx: typer.Context,
    policy: Annotated[
        PolicyName, typer.Option(help="The policy to evaluate.")
    ] = PolicyName.optimal,
    vs: Annotated[
        PolicyName, typer.Option(help="The policy it is compared with.")
    ] = PolicyName.rule,
    flights: Annotated[
        int, typer.Option(min=1, max=100_000, help="Flights per market (two cabins each).")
    ] = 200,
    seeds: Annotated[
        int, typer.Option(min=1, max=1_000, help="Markets (seeds); the CI pairs their revenues.")
    ] = 5,
    first_seed: Annotated[int, typer.Option(min=0, help="Seed of the first market.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option(help="Report folder (default <home>/reports/simulate).", show_default=False),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Sell a simulated market's 90-day horizon with --policy and --vs on the same customers.

    Prints revenue, load factor, average fare and spill per policy and the relative revenue
    uplift with its 95% confidence interval; writes an HTML report with revenue by days to
    departure, load curves and price paths. `optimal` and `ladder` first learn demand from a
    season of price tests (bookings, prices and the competitor's fare of each day); `oracle`
    knows it. `optimal` and `oracle` see the day's competitor fare before they price;
    `optimal_blind` and `oracle_blind` are the same programmes without it (references).
    """
    # Deferred: keeps --help fast (numpy, scipy, scikit-learn).
    from flightprice.revenue.report import result_dict, write_report  # deferred: see above
    from flightprice.revenue.simulator import simulate as run_simulation  # deferred: see above

    if policy == vs:
        raise fail(
            "--policy and --vs must differ", ExitCode.CONFIG, hint="e.g. --policy optimal --vs rule"
        )
    settings = settings_from(ctx)
    names = (policy.value, vs.value)
    steps = len(names) * seeds
    with guard(), progress_bar("simulating", enabled=not json_out) as progress:
        done = iter(range(1, steps + 1))
        sim = run_simulation(
            names, flights=flights, seeds=seeds, pricing=settings.pricing,
            first_seed=first_seed, progress=lambda _step: progress(next(done), steps),
        )  # fmt: skip
        result = result_dict(sim, policy.value, vs.value)
        report = write_report(sim, result, out or settings.home / "reports" / "simulate")
    result["report"] = str(report)
    if json_out:
        print_json(result)
        return
    from flightprice.revenue.report import summary_markdown  # deferred: see above

    console.print(summary_markdown(result), markup=False)
    err_console.print(f"report: {report}")


def register(app: typer.Typer) -> None:
    """Attach the revenue commands to `app`."""
    app.command()(simulate)
