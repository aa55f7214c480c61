"""The revenue-optimal price: a dynamic programme over seats left x days left.

Gallego and van Ryzin (1994) price a perishable stock against a known demand rate in
continuous time; the simulator sets one price per day, so this is their programme in daily
periods: on day t with x seats left, a price r (a multiple of the market fare) sells
``min(D, x)`` seats with D ~ Poisson(rate[t, r]), and

    V_t(x) = max_r  E[ r f_t min(D, x) + V_{t+1}(x - min(D, x)) ],   V_T(x) = 0,

where f_t is the market fare's rise (`MarketParams.fare_curve`). Maximising that is the
price maximising expected revenue minus the opportunity cost of the seats it sells (the bid
prices V_{t+1}(x) - V_{t+1}(x - k)). Values are in units of the base fare, so one programme
serves every unit with the same rates per seat and capacity.

For each day, the expectation over D for every x and r is one batched matrix product
(windows of V_{t+1} times the Poisson probabilities), exact up to a tail below 1e-9.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import special, stats

__all__ = ["PriceTable", "solve"]

_TAIL = 1e-9


@dataclass(frozen=True, eq=False)
class PriceTable:
    """The programme's solution for G demand groups over a price grid."""

    grid: np.ndarray  # (R,) prices as multiples of the market fare
    choice: np.ndarray  # (G, T, C+1) int16: index into grid on day t with x seats left
    value: np.ndarray  # (G, T+1, C+1): expected revenue to go, in base fares

    def price_ratio(self, group: np.ndarray, t: int, seats_left: np.ndarray) -> np.ndarray:
        """Return the optimal price / market fare for each unit's group and seats left."""
        return self.grid[self.choice[group, t, seats_left]]


def solve(rate: np.ndarray, fare_curve: np.ndarray, grid: np.ndarray, capacity: int) -> PriceTable:
    """Solve the programme; `rate` is (G, T, R) expected buyers per day at each grid price."""
    n_groups, horizon, n_prices = rate.shape
    seats = np.arange(capacity + 1)
    k_max = int(np.ceil(stats.poisson.isf(_TAIL, max(rate.max(), 1e-9)))) + 1
    k_max = max(1, min(k_max, capacity))
    ks = np.arange(k_max + 1)
    log_fact = special.gammaln(ks + 1.0)
    value = np.zeros((n_groups, horizon + 1, capacity + 1))
    choice = np.zeros((n_groups, horizon, capacity + 1), dtype=np.int16)
    for t in range(horizon - 1, -1, -1):
        mu = rate[:, t, :]  # (G, R)
        # Poisson probabilities in closed form (scipy.stats' pmf is ~10x slower here).
        log_mu = np.log(np.maximum(mu, 1e-300))[:, None, :]
        pmf = np.exp(ks[None, :, None] * log_mu - mu[:, None, :] - log_fact[None, :, None])
        # Mass beyond k_max (below the tail) sells every seat the window still reaches.
        pmf[:, -1, :] += np.maximum(1.0 - pmf.sum(axis=1), 0.0)
        # E[min(D, x)] = sum_{k < x} P(D > k)
        survival = 1.0 - np.cumsum(pmf, axis=1)  # P(D > k), (G, K+1, R)
        sold = np.zeros((n_groups, capacity + 1, n_prices))
        cum = np.cumsum(survival, axis=1)
        upto = np.minimum(seats, k_max + 1) - 1  # last k index summed for each x
        has = upto >= 0
        sold[:, has, :] = cum[:, upto[has], :]
        # Seats beyond the window: min(D, x) = D where x > k_max (D <= k_max almost surely).
        # V_{t+1}(max(x - k, 0)) for k = 0..K: pad the left with V_{t+1}(0).
        nxt = value[:, t + 1, :]
        padded = np.concatenate([np.repeat(nxt[:, :1], k_max, axis=1), nxt], axis=1)
        windows = sliding_window_view(padded, k_max + 1, axis=1)[:, :, ::-1]  # (G, C+1, K+1)
        future = np.matmul(windows, pmf)  # (G, C+1, R)
        total = grid[None, None, :] * fare_curve[t] * sold + future
        best = np.argmax(total, axis=2)
        choice[:, t, :] = best
        value[:, t, :] = np.take_along_axis(total, best[:, :, None], axis=2)[:, :, 0]
    return PriceTable(grid=grid, choice=choice, value=value)
