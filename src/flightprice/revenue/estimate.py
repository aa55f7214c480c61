"""Demand estimation: bookings per day from the price on offer, by days to departure.

The seller sees, per unit (flight and cabin) and day, the price it offered, the market fare,
the seats it had and the bookings it took: the simulator's sales history (`sales_history`),
or the bookings feed aggregated to that grain. Per cabin, pooled over its route-cabin groups
with a level of their own (partial pooling: five flights of one route are too few to learn a
price response alone), the model is

    bookings ~ Poisson(capacity x exp(c_group - b(d) r + s(d, log r))),
    r = price / market fare,

an exponential purchase response with slope b(d), piecewise linear in days to departure d
between `KNOTS`, times a surface s, piecewise bilinear in (d, log r) on the grid `KNOTS` x
`RATIO_KNOTS` (a tensor product of hat functions). The surface is there because the market
is a mix of segments whose shares change with d: early buyers drop out where the price meets
the competitor's fare, late buyers further up, so the shape of the response in r moves with
d. A shape shared by every day (the model's first form, ``a(d) - b(d) r + g(log r)``) cost
the programme 1.3% of the oracle's revenue even when fitted to the exact expected bookings
(`benchmarks/README.md`, "What caps optimal against rule"); the surface cost 0.1%. It is a
Poisson GLM, fitted by maximum likelihood with scikit-learn's
`PoissonRegressor` (Newton-Cholesky; the capacity as sample weight with bookings per seat as
the response is the same likelihood as the capacity offset; a small L2 penalty keeps a thin
group finite). Days on which the unit sold out are left out: their bookings are capped
by the seats, not by demand (censored).

`fit_demand` returns the fitted `DemandModel`; `DemandModel.report()` gives, per group, the
rows used, the range of price / market fare tried (1st-99th percentile), the deviance explained (D^2 = 1 - deviance / null deviance, in sample and on a
held-out fifth of the days), a(d) (the log rate per seat at the market fare) and b(d)
at the knots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special
from sklearn.linear_model import PoissonRegressor
from threadpoolctl import threadpool_limits

__all__ = ["HISTORY_COLUMNS", "KNOTS", "RATIO_KNOTS", "DemandModel", "fit_demand"]

KNOTS = np.array([0.0, 7.0, 14.0, 28.0, 56.0, 90.0])
RATIO_KNOTS = np.array([0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0])
HISTORY_COLUMNS = (
    "group", "cabin", "capacity", "days_to_departure", "price", "market_fare", "seats_left", "bookings",
)  # fmt: skip
_RIDGE = 1e-6  # sklearn scales the penalty by the mean deviance: this is light


def _hat_basis(values: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Return piecewise-linear interpolation weights of each value on the knots, (n, K)."""
    values = np.clip(np.asarray(values, dtype=np.float64), knots[0], knots[-1])
    eye = np.eye(len(knots))
    return np.stack([np.interp(values, knots, eye[k]) for k in range(len(knots))], axis=1)


def _surface(hat: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Return the tensor product of day and ratio hat bases, (n, K x R) (K-major)."""
    return (hat[:, :, None] * shape[:, None, :]).reshape(len(hat), -1)


def _design(days: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    hat = _hat_basis(days, KNOTS)
    shape = _hat_basis(np.log(ratio), np.log(RATIO_KNOTS))
    return np.concatenate([-hat * ratio[:, None], _surface(hat, shape)], axis=1)


def _fit_poisson(x: np.ndarray, y: np.ndarray, seats: np.ndarray) -> np.ndarray:
    """Return the Poisson MLE of log E[y] = log(seats) + x @ beta (lightly penalised)."""
    model = PoissonRegressor(alpha=_RIDGE, fit_intercept=False, solver="newton-cholesky",
                             max_iter=200)  # fmt: skip
    # One OpenMP thread: on a loaded 2-core machine sklearn's thread pool spins (7x slower).
    with threadpool_limits(limits=1):
        model.fit(x, y / seats, sample_weight=seats)
    return model.coef_


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    return float(2 * np.sum(special.xlogy(y, y / np.maximum(mu, 1e-300)) - (y - mu)))


@dataclass(frozen=True, eq=False)
class DemandModel:
    """Fitted coefficients per group: b at KNOTS, then s at KNOTS x RATIO_KNOTS (K-major)."""

    groups: np.ndarray  # group keys, sorted
    coef: np.ndarray  # (G, 2K)
    fit: pd.DataFrame  # per group: rows, bookings, d2, d2_holdout, ratio_low, ratio_high

    def index(self, group: np.ndarray) -> np.ndarray:
        """Return the row of each group key; raise KeyError for a group never seen."""
        position = np.searchsorted(self.groups, group)
        position = np.clip(position, 0, len(self.groups) - 1)
        if not np.array_equal(self.groups[position], group):
            raise KeyError("a group has no fitted demand")
        return position

    def rate(self, days: np.ndarray, grid: np.ndarray) -> np.ndarray:
        """Return expected bookings per seat per day, (G, len(days), len(grid))."""
        hat = _hat_basis(days, KNOTS)  # (T, K)
        shape = _hat_basis(np.log(grid), np.log(RATIO_KNOTS))  # (R, J)
        k = len(KNOTS)
        slope = self.coef[:, :k] @ hat.T  # (G, T)
        s = self.coef[:, k:].reshape(len(self.coef), k, len(RATIO_KNOTS))
        surface = np.einsum("tk,gkj,rj->gtr", hat, s, shape)
        return np.exp(surface - slope[:, :, None] * grid)

    def report(self) -> pd.DataFrame:
        """Return the fit per group with a(d) (log rate at the market fare) and b(d) by knot."""
        at_fare = np.log(self.rate(KNOTS, np.array([1.0]))[:, :, 0])  # (G, K)
        columns = {f"a_{d:g}d": at_fare[:, i] for i, d in enumerate(KNOTS)}
        columns |= {f"b_{d:g}d": self.coef[:, i] for i, d in enumerate(KNOTS)}
        return pd.concat([self.fit.reset_index(drop=True), pd.DataFrame(columns)], axis=1)


def fit_demand(history: pd.DataFrame, holdout_share: float = 0.2, seed: int = 0) -> DemandModel:
    """Fit the demand model per cabin, with a level per group, from a sales history."""
    missing = [c for c in HISTORY_COLUMNS if c not in history.columns]
    if missing:
        raise ValueError(f"sales history lacks column(s) {', '.join(missing)}")
    usable = history[(history["seats_left"] > 0) & (history["bookings"] < history["seats_left"])]
    if usable.empty:
        raise ValueError("sales history has no usable rows (every day sold out or empty)")
    rng = np.random.default_rng(seed)
    groups, coefs, rows = [], [], []
    for _, frame in usable.groupby("cabin", sort=True):
        codes, keys = pd.factorize(frame["group"], sort=True)
        ratio = (frame["price"] / frame["market_fare"]).to_numpy(np.float64)
        shared = _design(frame["days_to_departure"].to_numpy(np.float64), ratio)
        x = np.concatenate([shared, np.eye(len(keys))[codes]], axis=1)
        y = frame["bookings"].to_numpy(np.float64)
        seats = frame["capacity"].to_numpy(np.float64)
        held = rng.random(len(y)) < holdout_share
        beta = _fit_poisson(x[~held], y[~held], seats[~held])
        mu_all = seats * np.exp(x @ beta)
        full = _fit_poisson(x, y, seats)  # refit on every row once D^2 is known
        k = len(KNOTS)
        for code, key in enumerate(keys):
            coef = full[: shared.shape[1]].copy()
            # The group's level shifts the whole surface (its hat weights sum to one).
            coef[k:] += full[shared.shape[1] + code]
            mine = codes == code
            d2 = {}
            for name, part in (("d2", mine & ~held), ("d2_holdout", mine & held)):
                # The null model: a constant rate per seat.
                null = seats[part] * y[part].sum() / max(seats[part].sum(), 1e-12)
                denominator = max(_deviance(y[part], null), 1e-12)
                d2[name] = 1 - _deviance(y[part], mu_all[part]) / denominator
            low, high = np.quantile(ratio[mine], [0.01, 0.99])
            groups.append(key)
            coefs.append(coef)
            rows.append({
                "group": key, "rows": int(mine.sum()), "bookings": int(y[mine].sum()), **d2,
                "ratio_low": low, "ratio_high": high,
            })  # fmt: skip
    order = np.argsort(np.asarray(groups), kind="stable")
    fit = pd.DataFrame(rows).iloc[order].reset_index(drop=True)
    return DemandModel(np.asarray(groups)[order], np.array(coefs)[order], fit)
