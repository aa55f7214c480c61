"""A diagnosis, not a policy: the oracle's programme when the day's competitor fare is known.

Every policy of `revenue.policies` prices before it knows the competitor's fare of the day
(the market integrates its noise out). This oracle sees it: the programme's state adds the
competitor fare / market fare, in `BINS` equal-probability bins of its lognormal noise,
V_t(x) = mean over bins of max_r E[...], and its actions add a price just under each
segment's switching point (competitor fare x (1 + premium)). `bench_revenue_caps.py` uses it
to measure what that information is worth against `rule`.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import special, stats

from flightprice.revenue.policies import GRID, _guarded

BINS = 15
_UNDER = 0.99  # a hair under the switching point, so charm rounding does not cross it


def _bin_rates(params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (competitor ratio per bin, actions (B, R'), per-seat rates (B, T, R'))."""
    z = stats.norm.ppf((np.arange(BINS) + 0.5) / BINS)
    ratio = np.exp(params.competitor_log_sd * z)
    caps = np.array([1 + s.switching_premium for s in params.segments])
    actions = np.concatenate(
        [np.repeat(GRID[None], BINS, 0), _UNDER * ratio[:, None] * caps[None]], axis=1
    )
    weights = params.arrival_weights()
    rate = np.zeros((BINS, params.horizon_days, actions.shape[1]))
    for i, s in enumerate(params.segments):
        wtp = stats.norm.sf((np.log(actions) - np.log(s.wtp_median)) / s.wtp_log_sd)
        cheaper = actions <= ratio[:, None] * caps[i] + 1e-12
        buy = (wtp * cheaper)[:, None, :]
        rate += params.arrivals_per_seat() * s.share * weights[i][None, :, None] * buy
    return ratio, actions, rate


def _solve(rate: np.ndarray, curve: np.ndarray, actions: np.ndarray, capacity: int) -> np.ndarray:
    """Return the best action index by (day, bin, seats left): `_dp.solve` with a bin state."""
    bins, horizon, n_actions = rate.shape
    seats = np.arange(capacity + 1)
    k_max = int(np.ceil(stats.poisson.isf(1e-9, rate.max()))) + 1
    k_max = max(1, min(k_max, capacity))
    ks = np.arange(k_max + 1)
    log_fact = special.gammaln(ks + 1.0)
    value = np.zeros(capacity + 1)
    choice = np.zeros((horizon, bins, capacity + 1), dtype=np.int16)
    upto = np.minimum(seats, k_max + 1) - 1
    has = upto >= 0
    for t in range(horizon - 1, -1, -1):
        mu = rate[:, t, :]
        log_mu = np.log(np.maximum(mu, 1e-300))[:, None, :]
        pmf = np.exp(ks[None, :, None] * log_mu - mu[:, None, :] - log_fact[None, :, None])
        pmf[:, -1, :] += np.maximum(1.0 - pmf.sum(axis=1), 0.0)
        cum = np.cumsum(1.0 - np.cumsum(pmf, axis=1), axis=1)
        sold = np.zeros((bins, capacity + 1, n_actions))
        sold[:, has, :] = cum[:, upto[has], :]
        padded = np.concatenate([np.repeat(value[:1], k_max), value])
        windows = sliding_window_view(padded, k_max + 1)[:, ::-1]
        total = actions[:, None, :] * curve[t] * sold + np.einsum("ck,bkr->bcr", windows, pmf)
        best = total.argmax(axis=2)
        choice[t] = best
        value = np.take_along_axis(total, best[:, :, None], 2)[:, :, 0].mean(axis=0)
    return choice


class CompetitorOracle:
    """The true-demand programme that sees the day's competitor fare."""

    name = "oracle_competitor"

    def __init__(self, market, params) -> None:
        self.market, self.params = market, params
        _, self.actions, rate = _bin_rates(market.params)
        curve = market.params.fare_curve()
        self.caps = np.array([1 + s.switching_premium for s in market.params.segments])
        self.tables = {
            int(c): _solve(rate * c, curve, self.actions, int(c))
            for c in np.unique(market.capacity)
        }

    def price(self, t: int, seats_left: np.ndarray, last_price: np.ndarray) -> np.ndarray:
        """Return the programme's price for today's competitor bin and seats left."""
        m = self.market
        ratio = m.competitor_fare[:, t] / m.market_fare[:, t]
        cdf = stats.norm.cdf(np.log(ratio) / m.params.competitor_log_sd)
        bins = np.clip((cdf * BINS).astype(int), 0, BINS - 1)
        action = np.empty(len(m), dtype=np.int64)
        for capacity, choice in self.tables.items():
            units = m.capacity == capacity
            action[units] = choice[t, bins[units], seats_left[units]]
        n = len(GRID)
        under = _UNDER * ratio * self.caps[np.clip(action - n, 0, len(self.caps) - 1)]
        proposed = np.where(action < n, GRID[np.minimum(action, n - 1)], under)
        return _guarded(m, t, proposed * m.market_fare[:, t], last_price, self.params)
