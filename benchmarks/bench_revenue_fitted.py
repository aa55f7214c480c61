"""Revenue of demand learnt through the warehouse, on the synthetic market its bookings came from.

    uv run python benchmarks/bench_revenue_fitted.py --seeds 5           # builds a home (~2 min)
    uv run python benchmarks/bench_revenue_fitted.py --home PATH         # reuse a built home

The fitted demand is the one sellers use: a home built as `bench_demand_fit.py` builds it
(generate with the bookings feed, seed 7, ingest, dbt, a quick champion), then
`fit_from_warehouse` and `demand_from_fit`. The season sold is new departures of the same
synthetic network (`synth.market_flights`), each on sale for its whole 90-day horizon, one
price per flight-cabin and day, sold to the feed's own buyers (`synth.draw_bookings`: the
simulator's segments and parties, willingness to pay anchored to the true price). Every policy
meets the same buyers (common random numbers); the seeds draw other buyers, so the intervals
(t over seeds, as bench_revenue) cover the buyers' noise, not the fit's or the network's.

Policies: `rule`, `ladder` and `optimal` price against the champion's market fare, as the API
does (`ladder` and `optimal` with the fitted demand); `oracle` is the programme with the true
demand against the true price (`oracle_blind`: no competitor fare drives these buyers, each
draws their own). Diagnostics of the fit's attenuated price response: `optimal_true_ref` is
`optimal` with demand fitted against the TRUE price of the day's quotes (the benchmark alone
knows it) instead of the champion's fare; `optimal_true_fare` prices that fit against the
true price too (a perfect fare model). The price response (bookings at 1.1x / 0.9x) of each
fit, and of the true-reference fit on days with one quote only (per-quote prices), is printed
beside the truth's.

What it cannot show: the feed's fares and the buyers' anchor do not react to our prices (no
competitor answers, no load feedback), and the fit only ever saw the feed's price spread
(about +-10% around the market), so `optimal` chooses within the prices tried.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from bench_demand_fit import build_home  # the same home as the demand-fit benchmark
from threadpoolctl import threadpool_limits

from flightprice import registry
from flightprice.contract import CABINS
from flightprice.features import derive_request_features
from flightprice.pricing.params import PricingParams
from flightprice.revenue.demand import Market, MarketParams
from flightprice.revenue.estimate import DemandModel, fit_demand
from flightprice.revenue.fitted import (
    HISTORY_TABLE,
    RESPONSE_DAYS,
    demand_from_fit,
    fit_from_warehouse,
    load_demand_history,
    price_response,
)
from flightprice.revenue.policies import build_policy
from flightprice.revenue.simulator import Simulation, compare
from flightprice.settings import Settings
from flightprice.store import open_store
from flightprice.synth import draw_bookings, market_flights, true_price
from flightprice.synth._bookings import LEISURE_EXTRA_SEATS
from flightprice.synth._market import window_factor
from flightprice.warehouse import open_warehouse

FEED_SEED, HORIZON = 7, 90
FIRST_DEPARTURE = date(2026, 10, 1)  # departures the champion saw (the feed starts 09-01)
_FLIGHT = ["carrier", "flight_number", "departure_at", "cabin"]
COMPARISONS = (
    ("optimal", "rule"), ("optimal", "ladder"), ("optimal", "oracle"), ("rule", "oracle"),
    ("optimal", "optimal_market_fare_ref"), ("optimal_market_fare_ref", "rule"),
    ("optimal_market_fare_ref", "oracle"), ("optimal_true_ref", "optimal_market_fare_ref"),
    ("optimal_true_fare", "oracle"),
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class FeedParams(MarketParams):
    """The feed's market for the policies: seats per seat (parties) and its fare curve."""

    def fare_curve(self) -> np.ndarray:
        """Return the true price's rise by day index: the feed's booking-window factor."""
        return window_factor(self.days_left())


def feed_params() -> FeedParams:
    """Return segments weighted by seats: the programme's true rate is seats, as the fit's."""
    base = MarketParams()
    party = np.array([1.0 + LEISURE_EXTRA_SEATS if s.name == "leisure" else 1.0
                      for s in base.segments])  # fmt: skip
    weights = np.array([s.share for s in base.segments]) * party
    segments = tuple(dataclasses.replace(s, share=float(w / weights.sum()))
                     for s, w in zip(base.segments, weights, strict=True))  # fmt: skip
    unit = FeedParams(segments=segments, cabins=CABINS)
    # Arrivals per seat scale with demand_factor: match the feed's seats per seat.
    factor = base.arrivals_per_seat() * weights.sum() / unit.arrivals_per_seat()
    return dataclasses.replace(unit, demand_factor=float(factor))


def season(units: pd.DataFrame) -> pd.DataFrame:
    """Return one request per unit and day index t (observed 90 - t days before departure)."""
    t = np.tile(np.arange(HORIZON), len(units))
    rows = units.loc[units.index.repeat(HORIZON)].reset_index(drop=True)
    rows["observed_at"] = rows["departure_at"] - pd.to_timedelta(HORIZON - t, unit="D")
    rows["seats_remaining"] = np.nan  # an unknown load: the anchor does not follow our sales
    return rows


def build_markets(units, truth, model_fare, params) -> tuple[Market, Market]:
    """Return the market as it is (true prices) and as the seller sees it (model fares)."""
    curve = params.fare_curve()
    n = len(units)
    route = units["route_code"].to_numpy()
    cabin = units["cabin_code"].to_numpy()
    market = Market(
        params=params, flight=np.arange(n), route=route, cabin=cabin,
        capacity=units["capacity"].to_numpy(np.int64), base_fare=truth[:, -1] / curve[-1],
        market_fare=truth, competitor_fare=truth,  # unused: the buyers draw their own
        arrival_rate=np.zeros((n, len(params.segments), HORIZON)),  # unused: draw_bookings sells
    )  # fmt: skip
    seen = dataclasses.replace(market, market_fare=model_fare,
                               base_fare=model_fare[:, -1] / curve[-1])  # fmt: skip
    return market, seen


def integer_groups(demand: DemandModel, routes: list[str]) -> DemandModel:
    """Return the fit keyed as `Market.group` (route code x cabins + cabin code), sorted."""
    split = [str(g).rsplit("/", 1) for g in demand.groups]
    codes = np.array([routes.index(r) * len(CABINS) + CABINS.index(c) for r, c in split])
    order = np.argsort(codes)
    return DemandModel(codes[order], demand.coef[order], demand.fit.iloc[order].reset_index(drop=True),
                       demand.competitor_ratio, demand.competitor_knots)  # fmt: skip


def sell(units: pd.DataFrame, rows: pd.DataFrame, truth: np.ndarray, policy, seed: int):
    """Sell the season with `policy` to the feed's buyers; return revenue and seats per unit."""
    n = len(units)
    capacity = units["capacity"].to_numpy(np.int64)
    sold, taken = np.zeros(n, dtype=np.int64), {}
    revenue, last = np.zeros(n), np.full(n, np.nan)
    key = {k: i for i, k in enumerate(units[_FLIGHT].itertuples(index=False, name=None))}
    for t in range(HORIZON):
        price = policy.price(t, capacity - sold, last)
        offer = rows.iloc[t::HORIZON].assign(price=price, currency="USD")
        day = FIRST_DEPARTURE - timedelta(days=HORIZON - t)  # seeds the day's buyers only
        # Every unit is quoted every day (sold-out ones sell nothing): the same buyers each run.
        bought = draw_bookings(pa.Table.from_pandas(offer, preserve_index=False), truth[:, t],
                               capacity.astype(float), seed=seed, day=day, quotes_per_day=1.0,
                               sold=taken)  # fmt: skip
        if bought.num_rows:
            frame = bought.select([*_FLIGHT, "seats", "price_paid"]).to_pandas()
            frame["departure_at"] = frame["departure_at"].astype("datetime64[us]")
            unit = np.array([key[k] for k in frame[_FLIGHT].itertuples(index=False, name=None)])
            seats = frame["seats"].to_numpy()
            sold += np.bincount(unit, seats, minlength=n).astype(np.int64)
            revenue += np.bincount(unit, seats * frame["price_paid"].to_numpy(), minlength=n)
        last = price
    return revenue, sold


def true_reference(warehouse, history: pd.DataFrame) -> pd.DataFrame:
    """Return `history` with market_fare the mean TRUE price of each day's quotes (+ quotes)."""
    keys = warehouse.query_df(f"SELECT flight_id, cabin, sale_date, quotes FROM {HISTORY_TABLE} "
                              "WHERE capacity_seats > 0 ORDER BY flight_id, cabin, sale_date")  # fmt: skip
    quotes = warehouse.query_df(
        "SELECT flight_id, cabin, observation_date AS sale_date, carrier, origin, destination, "
        "stops, duration_minutes, departure_at, observed_at, seats_remaining, "
        "capacity_seats AS capacity FROM ANALYTICS.FCT_FARE_OBSERVATION"
    )
    keys.columns, quotes.columns = keys.columns.str.lower(), quotes.columns.str.lower()
    quotes["true"] = true_price(quotes)
    mean = quotes.groupby(["flight_id", "cabin", "sale_date"], as_index=False)["true"].mean()
    merged = keys.merge(mean, on=["flight_id", "cabin", "sale_date"], how="left")
    return history.assign(market_fare=merged["true"].to_numpy(), quotes=merged["quotes"].to_numpy())


def truth_response(params: MarketParams) -> dict[str, float]:
    """Return the true bookings at 1.1x / 0.9x the true price, by days out."""
    rate = empty_market(params).true_rate(np.array([0.9, 1.1]))
    days = params.days_left()
    return {f"{d:g}d": float(np.interp(d, days[::-1], (rate[:, 1] / rate[:, 0])[::-1]))
            for d in RESPONSE_DAYS}  # fmt: skip


def empty_market(params: MarketParams) -> Market:
    """Return an empty market with `params` (true_rate needs only them)."""
    empty = np.zeros(0)
    return Market(params, empty, empty, empty, empty, empty, np.zeros((0, HORIZON)),
                  np.zeros((0, HORIZON)), np.zeros((0, 2, HORIZON)))  # fmt: skip


def timed(label: str, fn):
    cpu, wall = time.process_time(), time.perf_counter()
    out = fn()
    print(json.dumps({"step": label, "wall_s": round(time.perf_counter() - wall, 2),
                      "cpu_s": round(time.process_time() - cpu, 2),
                      "loadavg_1m": os.getloadavg()[0]}), flush=True)  # fmt: skip
    return out


def fits(settings: Settings) -> dict:
    """Return the warehouse fit (the saved one), the fits the diagnostics compare, the model."""
    store = open_store(settings)
    with open_warehouse(settings, read_only=True) as wh:
        model = registry.load_champion(wh, store)
        history = load_demand_history(wh, model)
        true_ref = true_reference(wh, history)
    with open_warehouse(settings) as wh:  # fit_from_warehouse saves the fit as the latest
        saved = timed("fit_from_warehouse (both references, history read, saved)",
                      lambda: fit_from_warehouse(wh, store, model))  # fmt: skip
    if saved["competitor"] != "used":  # as fit_from_warehouse fits
        history, true_ref = (h.drop(columns="competitor_fare") for h in (history, true_ref))
    # The fit before session 7 (the plain reference), timed: what the second fit adds.
    plain = timed("fit_demand (the market fare only)", lambda: fit_demand(history))
    return {
        "errors": reference_errors(history, true_ref),
        "fitted": demand_from_fit(saved), "reference": saved["reference"], "model": model,
        "market_fare": plain,
        "true_ref": fit_demand(true_ref),
        "true_ref_one_quote": fit_demand(true_ref[true_ref["quotes"] == 1]),
    }  # fmt: skip


def reference_errors(history: pd.DataFrame, true_ref: pd.DataFrame) -> dict[str, float]:
    """Return the history's log errors: the model's fare against the truth, the price's own."""
    error = np.log(true_ref["market_fare"] / history["market_fare"])
    own = np.log(history["price"] / true_ref["market_fare"])
    level = error.groupby(history["flight"]).transform("mean")
    return {"model_fare_log_sd": float(error.std()), "price_log_sd": float(own.std()),
            "attenuation": float(own.var() / (own.var() + error.var())),
            "model_error_share_per_flight": float(level.var() / error.var())}  # fmt: skip


def season_units(routes: list[str], groups: set, count: int, network_routes: int) -> pd.DataFrame:
    """Return the network's flight-cabins departing on `count` days that have a fitted group."""
    departures = [FIRST_DEPARTURE + timedelta(days=i) for i in range(count)]
    units = market_flights(FEED_SEED, network_routes, departures).to_pandas()
    units["departure_at"] = units["departure_at"].astype("datetime64[us]")
    units["route"] = units["origin"] + "-" + units["destination"]
    units = units[(units["route"] + "/" + units["cabin"]).isin(groups)].reset_index(drop=True)
    units["route_code"] = units["route"].map(routes.index)
    units["cabin_code"] = units["cabin"].map(CABINS.index)
    return units


def run(policies: dict, units: pd.DataFrame, rows, truth, seeds: int) -> Simulation:
    """Sell the season with every policy for each buyer seed; return the totals."""
    totals = []
    for seed in range(1000, 1000 + seeds):
        for name, policy in policies.items():
            revenue, sold = sell(units, rows, truth, policy, seed)
            # Spill (buyers turned away) is not counted here; the summary drops it.
            totals.append({"seed": seed, "policy": name, "revenue": revenue.sum(),
                           "sold": sold.sum(), "seats": units["capacity"].sum(), "spill": 0.0})  # fmt: skip
    return Simulation(tuple(policies), len(units), tuple(range(seeds)), pd.DataFrame(totals))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=20, help="feed days (a new home only)")
    parser.add_argument("--routes", type=int, default=6, help="feed routes (as the home's)")
    parser.add_argument("--departures", type=int, default=4, help="departure days sold")
    parser.add_argument("--seeds", type=int, default=5, help="buyer streams")
    parser.add_argument("--home", type=Path, help="reuse a home built by bench_demand_fit.py")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(limits=1):
        if args.home is None:
            settings = timed("build home", lambda: build_home(Path(tmp) / "home", args.days,
                                                              args.routes))  # fmt: skip
        else:
            settings = Settings(home=args.home, warehouse="duckdb", store="local")
        fit = timed("fits", lambda: fits(settings))
        fitted, model = fit["fitted"], fit["model"]
        routes = sorted({str(g).rsplit("/", 1)[0] for g in fitted.groups})
        units = season_units(routes, set(fitted.groups.tolist()), args.departures, args.routes)
        rows = season(units)
        truth = true_price(rows).reshape(len(units), HORIZON)
        requests = derive_request_features(rows.drop(columns=["seats_remaining"]))
        model_fare = model.predict(requests).reshape(len(units), HORIZON)
        params = feed_params()
        market, seen = build_markets(units, truth, model_fare, params)
        pricing = PricingParams()

        def optimal(on, demand):
            blind = demand.competitor_ratio is not None  # no competitor fare in this season
            return build_policy("optimal_blind" if blind else "optimal", on, pricing, demand)

        fit_i, true_i = (integer_groups(fit[k], routes) for k in ("fitted", "true_ref"))
        plain_i = integer_groups(fit["market_fare"], routes)
        policies = timed("policies", lambda: {
            "rule": build_policy("rule", seen, pricing, None),
            "ladder": build_policy("ladder", seen, pricing, fit_i),
            "optimal": optimal(seen, fit_i),
            "optimal_market_fare_ref": optimal(seen, plain_i),
            "optimal_true_ref": optimal(seen, true_i),
            "optimal_true_fare": optimal(market, true_i),
            "oracle": build_policy("oracle_blind", market, pricing, None),
        })  # fmt: skip
        start, cpu = time.perf_counter(), time.process_time()
        sim = run(policies, units, rows, truth, args.seeds)
        summary = {name: {k: v for k, v in totals.items() if k != "spill"}
                   for name, totals in sim.summary().items()}  # fmt: skip
        print(json.dumps({"units": len(units), "departures": args.departures, "seeds": args.seeds,
                          "model_fare_over_true_log_sd": float(np.std(np.log(model_fare / truth))),
                          "sell_seconds": round(time.perf_counter() - start, 1),
                          "sell_cpu_seconds": round(time.process_time() - cpu, 1),
                          "load_average": os.getloadavg(), "policies": summary}))  # fmt: skip
        for policy, baseline in COMPARISONS:
            print(json.dumps(compare(sim, policy, baseline)))
        print(json.dumps({"history_errors": fit["errors"], "reference": fit["reference"]}))
        print(json.dumps({"response_1.1_over_0.9": {
            "fitted": price_response(fitted), "market_fare_ref": price_response(fit["market_fare"]),
            "true_ref": price_response(fit["true_ref"]),
            "true_ref_one_quote_days": price_response(fit["true_ref_one_quote"]),
            "truth": truth_response(params)}}))  # fmt: skip


if __name__ == "__main__":
    main()
