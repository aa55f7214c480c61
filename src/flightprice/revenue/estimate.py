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
held-out fifth of the days; the held-out deviance itself too), a(d) (the log rate per seat at the market fare) and b(d)
at the knots.

**The competitor's fare.** When the history has a `competitor_fare` column (the fare the
competitor offered that day, as a seller scrapes it), the model adds a third term, a surface
h(d, log q) with q = price / competitor fare, piecewise bilinear on `KNOTS` x
competitor knots (zero at the lowest knot):

    bookings ~ Poisson(capacity x exp(c_group - b(d) r + s(d, log r) + h(d, log q))).

Nothing in it says where buyers switch to the competitor: the fit finds how fast bookings
fall as the price passes the competitor's fare, day by day. Where the knots sit matters (a
hat basis smears a sharp fall over the knots around it), so the fit tries the knot grids of
`COMPETITOR_KNOT_CANDIDATES` (6.5% steps from 0.8 to 1.5, at three offsets) and keeps the
one with the least deviance on the held-out fifth of the days: the data places the knots.
(A 2% or 4% grid fitted noisier and lost 1-3% of the oracle's revenue, `benchmarks/README.md`.)
The design is sparse (each row touches a few hat functions), which makes it cheap to fit. The model keeps
`COMPETITOR_BINS` equal-probability values of the history's competitor fare / market fare
(`DemandModel.competitor_ratio`): the programme's forecast of the competitor's future fares,
and what `rate` averages over when no competitor fare is given. The report adds
`competitor_drop_{d}d`: bookings at 1.1 x the competitor's fare / at 0.95 x it (the market
fare on offer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, special
from sklearn.linear_model import PoissonRegressor
from threadpoolctl import threadpool_limits

__all__ = [
    "COMPETITOR_BINS", "COMPETITOR_KNOTS", "COMPETITOR_KNOT_CANDIDATES", "HISTORY_COLUMNS", "KNOTS", "RATIO_KNOTS",
    "DemandModel", "fit_demand",
]  # fmt: skip

KNOTS = np.array([0.0, 7.0, 14.0, 28.0, 56.0, 90.0])
RATIO_KNOTS = np.array([0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0])
HISTORY_COLUMNS = (
    "group", "cabin", "capacity", "days_to_departure", "price", "market_fare", "seats_left", "bookings",
)  # fmt: skip
# Price / competitor fare, wide enough for a +-10% competitor around prices of 0.9-1.3 x the
# market fare (outside, the response is flat); the fit picks one grid by held-out deviance.
COMPETITOR_KNOTS = np.geomspace(0.8, 1.5, 11)
_STEP = COMPETITOR_KNOTS[1] / COMPETITOR_KNOTS[0]
COMPETITOR_KNOT_CANDIDATES = tuple(COMPETITOR_KNOTS * _STEP ** (i / 3) for i in range(3))
COMPETITOR_BINS = 7
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


def _hat(values: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Return hat-function weights of values of any shape on the knots, (..., K)."""
    values = np.clip(np.asarray(values, dtype=np.float64), knots[0], knots[-1])
    eye = np.eye(len(knots))
    return np.stack([np.interp(values, knots, eye[k]) for k in range(len(knots))], axis=-1)


def _competitor_design(days: np.ndarray, ratio: np.ndarray, competitor: np.ndarray, knots):
    """Return the sparse design with h(d, log q): [b, s, h without its lowest q knot]."""
    hat = _hat_basis(days, KNOTS)
    relative = _hat(np.log(ratio / competitor), np.log(knots))[:, 1:]
    return sparse.hstack([
        sparse.csr_matrix(_design(days, ratio)), sparse.csr_matrix(_surface(hat, relative)),
    ]).tocsr()  # fmt: skip


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
    """Fitted coefficients per group: b at KNOTS, s at KNOTS x RATIO_KNOTS (K-major), then h."""

    groups: np.ndarray  # group keys, sorted
    coef: np.ndarray  # (G, 2K) without the competitor's fare, (G, 2K + K x (Q - 1)) with it
    fit: pd.DataFrame  # per group: rows, bookings, d2, d2_holdout, ratio_low, ratio_high
    competitor_ratio: np.ndarray | None = None  # (COMPETITOR_BINS,) competitor / market fare
    competitor_knots: np.ndarray | None = None  # price / competitor fare: h's knots

    def index(self, group: np.ndarray) -> np.ndarray:
        """Return the row of each group key; raise KeyError for a group never seen."""
        position = np.searchsorted(self.groups, group)
        position = np.clip(position, 0, len(self.groups) - 1)
        if not np.array_equal(self.groups[position], group):
            raise KeyError("a group has no fitted demand")
        return position

    def _split(self, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (b (..., K), s (..., K, J), h (..., K, Q - 1)) of coefficient rows."""
        k, j = len(KNOTS), len(RATIO_KNOTS)
        lead = coef.shape[:-1]
        h = coef[..., k + k * j :].reshape(*lead, k, len(self.competitor_knots) - 1)
        return coef[..., :k], coef[..., k : k + k * j].reshape(*lead, k, j), h

    def rate(
        self, days: np.ndarray, grid: np.ndarray, competitor: np.ndarray | None = None
    ) -> np.ndarray:
        """Return expected bookings per seat per day, (G, len(days), len(grid)).

        With `competitor` (B,) (competitor fare / market fare) and `grid` (B, A), return
        (G, B, len(days), A): the rate at each bin's prices. Without it, a model fitted with
        the competitor's fare averages over `competitor_ratio` (what the seller expects).
        """
        if self.competitor_ratio is None:
            hat = _hat_basis(days, KNOTS)  # (T, K)
            shape = _hat_basis(np.log(grid), np.log(RATIO_KNOTS))  # (R, J)
            k = len(KNOTS)
            slope = self.coef[:, :k] @ hat.T  # (G, T)
            s = self.coef[:, k:].reshape(len(self.coef), k, len(RATIO_KNOTS))
            surface = np.einsum("tk,gkj,rj->gtr", hat, s, shape)
            return np.exp(surface - slope[:, :, None] * grid)
        if competitor is None:
            bins = self.competitor_ratio
            prices = np.broadcast_to(np.asarray(grid, dtype=np.float64), (len(bins), len(grid)))
            return self.rate(days, prices, bins).mean(axis=1)
        grid = np.asarray(grid, dtype=np.float64)
        b, s, h = self._split(self.coef)
        shape = _hat(np.log(grid), np.log(RATIO_KNOTS))  # (B, A, J)
        relative = _hat(np.log(grid / competitor[:, None]), np.log(self.competitor_knots))[..., 1:]
        inner = (
            -b[:, :, None, None] * grid[None, None]
            + np.einsum("gkj,baj->gkba", s, shape)
            + np.einsum("gkm,bam->gkba", h, relative)
        )
        return np.exp(np.einsum("tk,gkba->gbta", _hat_basis(days, KNOTS), inner))

    def rate_at(
        self, rows: np.ndarray, days: np.ndarray, prices: np.ndarray, competitor: np.ndarray
    ) -> np.ndarray:
        """Return bookings per seat per day of unit i at prices[i] (x market fare), (n, A)."""
        if self.competitor_ratio is None:
            raise ValueError("this demand model was fitted without the competitor's fare")
        hat = _hat_basis(days, KNOTS)  # (n, K)
        b, s, h = self._split(self.coef[rows])
        shape = _hat(np.log(prices), np.log(RATIO_KNOTS))  # (n, A, J)
        knots = np.log(self.competitor_knots)
        relative = _hat(np.log(prices / competitor[:, None]), knots)[..., 1:]
        log_rate = (
            -(hat * b).sum(axis=1)[:, None] * prices
            + np.einsum("nk,nkj,naj->na", hat, s, shape, optimize=True)
            + np.einsum("nk,nkm,nam->na", hat, h, relative, optimize=True)
        )
        return np.exp(log_rate)

    def report(self) -> pd.DataFrame:
        """Return the fit per group with a(d) (log rate at the market fare) and b(d) by knot."""
        at_fare = np.log(self.rate(KNOTS, np.array([1.0]))[:, :, 0])  # (G, K)
        columns = {f"a_{d:g}d": at_fare[:, i] for i, d in enumerate(KNOTS)}
        columns |= {f"b_{d:g}d": self.coef[:, i] for i, d in enumerate(KNOTS)}
        if self.competitor_ratio is not None:
            # The competitor at the market fare; price 10% above it against 5% below it.
            days = np.array([7.0, 56.0])
            drop = self.rate(days, np.array([[1.1, 0.95]]), np.array([1.0]))[:, 0]
            columns |= {f"competitor_drop_{d:g}d": drop[:, i, 0] / drop[:, i, 1]
                        for i, d in enumerate(days)}  # fmt: skip
        return pd.concat([self.fit.reset_index(drop=True), pd.DataFrame(columns)], axis=1)


def _competitor_bins(history: pd.DataFrame) -> np.ndarray | None:
    """Return equal-probability competitor / market fare values, or None without the column."""
    if "competitor_fare" not in history.columns:
        return None
    ratio = (history["competitor_fare"] / history["market_fare"]).to_numpy(np.float64)
    if not np.isfinite(ratio).all():
        return None  # a history with gaps fits without the competitor's fare
    return np.quantile(ratio, (np.arange(COMPETITOR_BINS) + 0.5) / COMPETITOR_BINS)


def _cabin_design(frame: pd.DataFrame, knots: np.ndarray | None):
    """Return (the shared design, its group-level columns appended, group codes, keys)."""
    codes, keys = pd.factorize(frame["group"], sort=True)
    ratio = (frame["price"] / frame["market_fare"]).to_numpy(np.float64)
    days = frame["days_to_departure"].to_numpy(np.float64)
    if knots is None:
        shared = _design(days, ratio)
        return shared, np.concatenate([shared, np.eye(len(keys))[codes]], axis=1), codes, keys
    competitor = (frame["competitor_fare"] / frame["market_fare"]).to_numpy(np.float64)
    shared = _competitor_design(days, ratio, competitor, knots)
    n = len(codes)
    level = sparse.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, len(keys)))
    return shared, sparse.hstack([shared, level]).tocsr(), codes, keys


def fit_demand(history: pd.DataFrame, holdout_share: float = 0.2, seed: int = 0) -> DemandModel:
    """Fit the demand model per cabin, with a level per group, from a sales history.

    With a `competitor_fare` column (every row known), the model learns the response to the
    price relative to it too, on the candidate knots with the least held-out deviance.
    """
    missing = [c for c in HISTORY_COLUMNS if c not in history.columns]
    if missing:
        raise ValueError(f"sales history lacks column(s) {', '.join(missing)}")
    bins = _competitor_bins(history)
    usable = history[(history["seats_left"] > 0) & (history["bookings"] < history["seats_left"])]
    if usable.empty:
        raise ValueError("sales history has no usable rows (every day sold out or empty)")
    rng = np.random.default_rng(seed)
    cabins = [frame for _, frame in usable.groupby("cabin", sort=True)]
    held = [rng.random(len(frame)) < holdout_share for frame in cabins]
    candidates = [None] if bins is None else list(COMPETITOR_KNOT_CANDIDATES)
    best = None
    for knots in candidates:
        fits, deviance = [], 0.0
        for frame, out in zip(cabins, held, strict=True):
            shared, x, codes, keys = _cabin_design(frame, knots)
            y = frame["bookings"].to_numpy(np.float64)
            seats = frame["capacity"].to_numpy(np.float64)
            mu = seats * np.exp(x @ _fit_poisson(x[~out], y[~out], seats[~out]))
            deviance += _deviance(y[out], mu[out])
            ratio = (frame["price"] / frame["market_fare"]).to_numpy(np.float64)
            fits.append((shared.shape[1], x, codes, keys, y, seats, mu, ratio))
        if best is None or deviance < best[0]:
            best = (deviance, knots, fits)
    _, knots, fits = best
    groups, coefs, rows = [], [], []
    for (width, x, codes, keys, y, seats, mu_all, ratio), out in zip(fits, held, strict=True):
        full = _fit_poisson(x, y, seats)  # refit on every row once D^2 is known
        k, surface = len(KNOTS), len(KNOTS) * len(RATIO_KNOTS)
        for code, key in enumerate(keys):
            coef = full[:width].copy()
            # The group's level shifts the whole surface s (its hat weights sum to one).
            coef[k : k + surface] += full[width + code]
            mine = codes == code
            d2 = {}
            for name, part in (("d2", mine & ~out), ("d2_holdout", mine & out)):
                # The null model: a constant rate per seat.
                null = seats[part] * y[part].sum() / max(seats[part].sum(), 1e-12)
                denominator = max(_deviance(y[part], null), 1e-12)
                d2[name] = 1 - _deviance(y[part], mu_all[part]) / denominator
            # Comparable between fits of the same rows (fitted.py chooses the price reference).
            d2["deviance_holdout"] = _deviance(y[mine & out], mu_all[mine & out])
            low, high = np.quantile(ratio[mine], [0.01, 0.99])
            groups.append(key)
            coefs.append(coef)
            rows.append({
                "group": key, "rows": int(mine.sum()), "bookings": int(y[mine].sum()), **d2,
                "ratio_low": low, "ratio_high": high,
            })  # fmt: skip
    order = np.argsort(np.asarray(groups), kind="stable")
    fit = pd.DataFrame(rows).iloc[order].reset_index(drop=True)
    return DemandModel(np.asarray(groups)[order], np.array(coefs)[order], fit, bins, knots)
