"""`flightprice experiment report`: read the assignment log and the bookings, then report."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from flightprice.experiment.assignments import read_assignments
from flightprice.experiment.report import MIN_FLIGHTS, ExperimentReport, experiment_report
from flightprice.warehouse import open_warehouse

if TYPE_CHECKING:
    from flightprice.settings import Settings

BOOKINGS_SQL = "SELECT flight_id, seats, revenue_usd FROM ANALYTICS.FCT_BOOKING"


class NoExperimentDataError(RuntimeError):
    """Nothing to report on: no logged assignment of the experiment."""

    hint = "set FLIGHTPRICE_EXPERIMENT_CHALLENGER, serve the API and send it quotes"


def report_experiment(
    settings: Settings, experiment: str | None = None, min_flights: int = MIN_FLIGHTS
) -> ExperimentReport:
    """Report the experiment `experiment` (default: FLIGHTPRICE_EXPERIMENT_NAME)."""
    name = experiment or settings.experiment_name
    assignments = read_assignments(settings.experiment_log, name)
    if assignments.empty:
        raise NoExperimentDataError(
            f"no quotes of experiment {name!r} in {settings.experiment_log}"
        )
    with open_warehouse(settings, read_only=True) as warehouse:
        bookings = load_bookings(warehouse)
    return experiment_report(assignments, bookings, experiment=name, min_flights=min_flights)


def load_bookings(warehouse) -> pd.DataFrame:
    """Return every booking's flight, seats and revenue (ANALYTICS.FCT_BOOKING)."""
    frame = warehouse.query_arrow(BOOKINGS_SQL).to_pandas()
    return frame.rename(columns=str.lower)  # Snowflake upper-cases names
