"""Demand learnt from the warehouse, as a seller would: `flightprice demand fit`.

The history is `ANALYTICS.ML_DEMAND_HISTORY` (dbt/models/ml/ml_demand_history.sql): per
flight, cabin and sale day with a quote, the price on offer, the seats booked that day and
the seats left. The price is compared with the fare model's market fare for the same request
(the champion's prediction at the day's first quote): the reference the API prices against,
so the fitted response is in the units serving uses. Groups are route and cabin, as the
simulator's; a fit needs the cabin's capacity (rows of unscheduled flights are left out).

**Sampled days.** A fares feed observes a flight and cabin on some days only, and its
bookings are the sales at the quotes observed (synth/_bookings.py spreads a day's buyers over
the quotes of it, 1 / quotes-per-day each). A row with n quotes therefore stands for
n / lambda days of sales, lambda the feed's mean quotes per flight-cabin and day; the fit
weights it so (its capacity times that exposure), which keeps the rate per seat and *day*
that serving's programme needs. lambda is the zero-truncated Poisson mean of the rows'
quote counts (a day without quotes has no row): a quoted day has on average
lambda / (1 - e^-lambda) quotes.

**The reference.** The market fare errs by a level per flight and cabin, which flattens the
fitted response (errors in variables); the fit also tries the market fare times each flight's
level estimated from its other sale days and keeps the reference with the lower held-out
deviance (`_reference.py`; the fit's `reference` says which). Serving still prices against
the market fare.

**The competitor's fare** is the cheapest other carrier's offer that day on the same route,
cabin and departure date. `fit_demand` learns its term only when every row has one; with
gaps (routes one carrier flies, days no rival was quoted) the fit leaves it out and the
report says so (`competitor`: "not used").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import optimize

from flightprice import registry
from flightprice.clock import new_run_id, utc_now
from flightprice.features import derive_request_features
from flightprice.revenue._reference import fit_with_reference
from flightprice.revenue.demand_store import read_latest, write_fit
from flightprice.revenue.estimate import DemandModel
from flightprice.store import open_store
from flightprice.warehouse import open_warehouse

if TYPE_CHECKING:
    from flightprice.settings import Settings
    from flightprice.store import ObjectStore
    from flightprice.train.model import LoadedModel
    from flightprice.warehouse.base import Warehouse

__all__ = ["HISTORY_TABLE", "NoDemandHistoryError", "demand_from_fit", "fit_from_warehouse", "fit_markdown",
           "load_demand_history", "quotes_per_day", "run_demand_fit"]  # fmt: skip

HISTORY_TABLE = "ANALYTICS.ML_DEMAND_HISTORY"
RESPONSE_DAYS = np.array([7.0, 28.0, 56.0])
_REQUEST = {"first_observed_at": "observed_at", "capacity_seats": "capacity"}


class NoDemandHistoryError(RuntimeError):
    """The warehouse has no sales to learn demand from (no bookings feed, or not built)."""


def quotes_per_day(quotes: np.ndarray) -> float:
    """Return lambda, the mean quotes per flight-cabin and day, from quoted days' counts."""
    mean = float(np.mean(quotes))
    if mean <= 1.0 + 1e-9:
        return 1e-9 if mean <= 1.0 else mean  # every quoted day had one quote: lambda -> 0
    # m = lambda / (1 - e^-lambda) increases in lambda from 1: one root above 0.
    return float(optimize.brentq(lambda x: x / -np.expm1(-x) - mean, 1e-9, mean + 1.0))


def load_demand_history(warehouse: Warehouse, model: LoadedModel) -> pd.DataFrame:
    """Return the warehouse's sales history in `estimate.HISTORY_COLUMNS` (+ competitor_fare,
    flight: the flight and cabin of each row)."""
    try:
        frame = warehouse.query_df(
            f"SELECT * FROM {HISTORY_TABLE} WHERE capacity_seats > 0 "
            "ORDER BY flight_id, cabin, sale_date"
        )
    except Exception as exc:  # each backend has its own "no such table" error
        raise NoDemandHistoryError(
            f"{HISTORY_TABLE} cannot be read ({type(exc).__name__}): run `flightprice transform`"
        ) from exc
    frame.columns = [c.lower() for c in frame.columns]
    if frame.empty:
        raise NoDemandHistoryError(f"{HISTORY_TABLE} has no scheduled flight with quotes")
    if int(frame["seats_booked"].sum()) == 0:
        raise NoDemandHistoryError(f"{HISTORY_TABLE} has no bookings: is the bookings feed loaded?")
    requests = frame.rename(columns=_REQUEST).drop(columns=["seats_remaining"], errors="ignore")
    market_fare = model.predict(derive_request_features(requests))
    lam = quotes_per_day(frame["quotes"].to_numpy())
    exposure = frame["quotes"].to_numpy(np.float64) / lam
    capacity = frame["capacity_seats"].to_numpy(np.float64)
    history = pd.DataFrame({
        "group": frame["route"].astype(str) + "/" + frame["cabin"].astype(str),
        "cabin": frame["cabin"].astype(str),
        "capacity": capacity * exposure,
        "days_to_departure": frame["days_to_departure"].to_numpy(np.float64),
        "price": frame["price_usd"].to_numpy(np.float64),
        "market_fare": market_fare,
        "seats_left": frame["seats_left"].to_numpy(np.float64),
        "bookings": frame["seats_booked"].to_numpy(np.float64),
        "competitor_fare": frame["competitor_fare_usd"].to_numpy(np.float64),
        "flight": frame["flight_id"].astype(str) + "/" + frame["cabin"].astype(str),
    })  # fmt: skip
    history.attrs["quotes_per_day"] = lam
    return history


def fit_from_warehouse(
    warehouse: Warehouse, store: ObjectStore, model: LoadedModel, seed: int = 0
) -> dict[str, Any]:
    """Fit demand on the warehouse's history, save it as the latest fit; return the fit."""
    history = load_demand_history(warehouse, model)
    competitor = bool(np.isfinite(history["competitor_fare"]).all())
    if not competitor:
        history = history.drop(columns="competitor_fare")
    demand, reference = fit_with_reference(history, seed=seed)
    report = demand.report()
    response = price_response(demand)
    cabins = history.drop_duplicates("group").set_index("group")["cabin"]
    fit = {
        "version": new_run_id("demand"),
        "created_at": utc_now().isoformat(),
        "fare_model_version": model.version,
        "rows": len(history),
        "bookings": int(history["bookings"].sum()),
        "quotes_per_day": history.attrs["quotes_per_day"],
        "competitor": "used" if competitor else "not used: some rows have no competitor fare",
        "reference": reference,
        "groups": [str(g) for g in demand.groups],
        "group_cabins": [str(cabins[g]) for g in demand.groups],
        "coef": demand.coef.tolist(),
        "fit": demand.fit.to_dict(orient="records"),
        "competitor_ratio": _list(demand.competitor_ratio),
        "competitor_knots": _list(demand.competitor_knots),
        "report": report.to_dict(orient="records"),
        "summary": summarise(report, response),
    }
    write_fit(store, fit)
    return fit


def price_response(demand: DemandModel) -> dict[str, float]:
    """Return bookings at 1.1 x the market fare over those at 0.9 x, by days out (groups'
    median): below 1 when a dearer price sells less."""
    rate = demand.rate(RESPONSE_DAYS, np.array([0.9, 1.1]))  # (G, days, 2)
    ratio = np.median(rate[:, :, 1] / rate[:, :, 0], axis=0)
    return {f"{d:g}d": float(r) for d, r in zip(RESPONSE_DAYS, ratio, strict=True)}


def run_demand_fit(settings: Settings) -> dict[str, Any]:
    """Fit demand with the champion's market fares on the configured warehouse; save it."""
    store = open_store(settings)
    # Read-only: a fit only reads the warehouse (the API may hold the DuckDB file for reads).
    with open_warehouse(settings, read_only=True) as warehouse:
        model = registry.load_champion(warehouse, store)
        return fit_from_warehouse(warehouse, store, model)


def summarise(report: pd.DataFrame, response: dict[str, float]) -> dict[str, Any]:
    """Return the fit in a few numbers: groups, deviance explained, the price response."""
    weights = report["rows"].to_numpy(np.float64)
    return {
        "groups": len(report),
        "d2": float(np.average(report["d2"], weights=weights)),
        "d2_holdout": float(np.average(report["d2_holdout"].fillna(0.0), weights=weights)),
        "price_response_1.1_over_0.9": response,
    }


def fit_markdown(fit: dict[str, Any]) -> str:
    """Render a fit's report as markdown (the training flow's artifact and log)."""
    summary = fit["summary"]
    response = ", ".join(f"{d} {v:.2f}" for d, v in summary["price_response_1.1_over_0.9"].items())
    lines = [
        f"# Demand fit `{fit['version']}`", "",
        (f"{fit['rows']:,} sale days, {fit['bookings']:,} seats booked, market fares of "
         f"`{fit['fare_model_version']}`; competitor fare {fit['competitor']}; price "
         f"reference {fit.get('reference', 'market fare')}."), "",
        (f"Deviance explained {summary['d2']:.3f} (held out {summary['d2_holdout']:.3f}); "
         f"bookings at 1.1x / 0.9x the market fare: {response}."), "",
        "| group | rows | bookings | D2 | D2 held out |", "|---|---|---|---|---|",
    ]  # fmt: skip
    lines += [f"| {r['group']} | {r['rows']} | {r['bookings']} | {r['d2']:.3f} | "
              f"{r['d2_holdout']:.3f} |" for r in fit["report"]]  # fmt: skip
    return "\n".join(lines)


def demand_from_fit(fit: dict[str, Any]) -> DemandModel:
    """Return the `DemandModel` a saved fit holds."""
    ratio, knots = fit["competitor_ratio"], fit["competitor_knots"]
    return DemandModel(
        np.asarray(fit["groups"], dtype=object), np.asarray(fit["coef"], dtype=np.float64),
        pd.DataFrame(fit["fit"]), None if ratio is None else np.asarray(ratio),
        None if knots is None else np.asarray(knots),
    )  # fmt: skip


def latest_fit(store: ObjectStore) -> dict[str, Any] | None:
    """Return the latest saved fit (None before the first `flightprice demand fit`)."""
    return read_latest(store)


def _list(values: np.ndarray | None) -> list[float] | None:
    return None if values is None else np.asarray(values, dtype=np.float64).tolist()
