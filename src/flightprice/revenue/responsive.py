"""The bid-price programme conditioned on the competitor's fare of the day.

`_dp` prices before it knows the competitor's fare (its demand averages over it). Here the
seller sees today's competitor fare c (as a multiple of the market fare) before it prices:
the state adds c, which is drawn afresh each day from the `B` equal-probability values the
demand model keeps (`DemandModel.competitor_ratio`; for the truth, the market's lognormal
noise), so

    V_t(x) = mean over c of  max_a E[ p_a f_t min(D, x) + V_{t+1}(x - min(D, x)) ],
    D ~ Poisson(capacity x rate(t, p_a, c)),

and the actions p_a are the programme's market-fare multiples (`policies.GRID`) plus prices
at the demand model's competitor knots (`DemandModel.competitor_knots` x c), where its
estimated response bends; `oracle` takes the same actions. `solve_value` computes V over the bins; on the day, `best_price`
maximises the same expectation at the unit's exact competitor fare against V_{t+1}. Values
are in units of the base fare, as in `_dp`.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import special, stats

from flightprice.revenue.demand import MarketParams
from flightprice.revenue.estimate import COMPETITOR_BINS

__all__ = ["actions", "best_price", "solve_value", "true_bins", "true_rate"]

_TAIL = 1e-9


def actions(grid: np.ndarray, competitor: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Return the prices to choose among (x market fare) per competitor ratio, (..., A).

    Every other point of `grid` (8% steps): the competitor knots cover the prices
    near the competitor's fare, and fewer actions make the programme faster.
    """
    competitor = np.asarray(competitor, dtype=np.float64)
    fixed = np.broadcast_to(grid[::2], (*competitor.shape, len(grid[::2])))
    return np.concatenate([fixed, competitor[..., None] * knots], axis=-1)


def true_bins(params: MarketParams) -> np.ndarray:
    """Return equal-probability competitor / market fare values of the true market."""
    z = stats.norm.ppf((np.arange(COMPETITOR_BINS) + 0.5) / COMPETITOR_BINS)
    return np.exp(params.competitor_log_sd * z)


def true_rate(params: MarketParams, t: np.ndarray, prices: np.ndarray, competitor: np.ndarray):
    """Return the market's true buyers per seat per day at `prices` given the competitor.

    `t` (day index), `competitor` and `prices[..., 0]` broadcast together; the result has
    the shape of `prices`. A buyer buys if the price is at most both their willingness to
    pay and the competitor's fare x (1 + their segment's switching premium).
    """
    weights = params.arrival_weights()  # (segments, T)
    log_p = np.log(prices)
    rate = np.zeros(np.broadcast(prices, np.asarray(competitor)[..., None]).shape)
    for s, w in zip(params.segments, weights, strict=True):
        wtp = stats.norm.sf((log_p - np.log(s.wtp_median)) / s.wtp_log_sd)
        cheaper = prices <= np.asarray(competitor)[..., None] * (1 + s.switching_premium)
        rate = rate + params.arrivals_per_seat() * s.share * w[t][..., None] * wtp * cheaper
    return rate


def _pmf(mu: np.ndarray, k_max: int) -> np.ndarray:
    """Return Poisson probabilities of 0..k_max (the last holds the tail), (..., K+1, A)."""
    ks = np.arange(k_max + 1)
    log_mu = np.log(np.maximum(mu, 1e-300))[..., None, :]
    shape = (-1,) + (1,)
    pmf = np.exp(ks.reshape(shape) * log_mu - mu[..., None, :]
                 - special.gammaln(ks + 1.0).reshape(shape))  # fmt: skip
    pmf[..., -1, :] += np.maximum(1.0 - pmf.sum(axis=-2), 0.0)
    return pmf


def _k_max(rate: np.ndarray, capacity: int) -> int:
    k = int(np.ceil(stats.poisson.isf(_TAIL, max(float(np.max(rate)), 1e-9)))) + 1
    return max(1, min(k, capacity))


def solve_value(
    rate: np.ndarray, prices: np.ndarray, fare_curve: np.ndarray, capacity: int
) -> np.ndarray:
    """Return V (G, T+1, C+1) from `rate` (G, B, T, A) buyers per day at `prices` (B, A)."""
    n_groups, bins, horizon, n_prices = rate.shape
    seats = np.arange(capacity + 1)
    value = np.zeros((n_groups, horizon + 1, capacity + 1))
    for t in range(horizon - 1, -1, -1):
        # The Poisson window per day: early days sell few seats (measured: 1.4x faster).
        k_max = _k_max(rate[:, :, t], capacity)
        upto = np.minimum(seats, k_max + 1) - 1  # last k summed for E[min(D, x)], per x
        has = upto >= 0
        pmf = _pmf(rate[:, :, t, :], k_max)  # (G, B, K+1, A)
        cum = np.cumsum(1.0 - np.cumsum(pmf, axis=2), axis=2)
        sold = np.zeros((n_groups, bins, capacity + 1, n_prices), dtype=np.float32)
        sold[:, :, has, :] = cum[:, :, upto[has], :]
        nxt = value[:, t + 1, :]
        padded = np.concatenate([np.repeat(nxt[:, :1], k_max, axis=1), nxt], axis=1)
        windows = sliding_window_view(padded, k_max + 1, axis=1)[:, :, ::-1]  # (G, C+1, K+1)
        # float32 halves the batched products' time; values stay within ~1e-6 relative.
        future = np.matmul(windows[:, None].astype(np.float32), pmf.astype(np.float32))
        future += (prices[None, :, None, :] * fare_curve[t]).astype(np.float32) * sold
        value[:, t, :] = future.max(axis=3).mean(axis=1)
    return value


def best_price(
    value_next: np.ndarray, seats_left: np.ndarray, rate: np.ndarray, prices: np.ndarray,
    fare: float | np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Return the best of `prices` (n, A) per unit against V_{t+1} (n, C+1) and buyers `rate`.

    `fare` is the day's market fare in base fares (the fare curve); `rate` is expected buyers
    of the unit that day at each price (per seat x capacity).
    """
    capacity = value_next.shape[1] - 1
    k_max = _k_max(rate, capacity)
    pmf = _pmf(rate, k_max)  # (n, K+1, A)
    ks = np.arange(k_max + 1)
    x = np.asarray(seats_left, dtype=np.int64)
    survival = 1.0 - np.cumsum(pmf, axis=1)
    # E[min(D, x)] = sum_{k < x} P(D > k); D never exceeds k_max here.
    sold = np.einsum("nka,nk->na", survival, (ks[None, :] < x[:, None]).astype(np.float64))
    after = np.take_along_axis(value_next, np.maximum(x[:, None] - ks[None, :], 0), axis=1)
    future = np.einsum("nka,nk->na", pmf, after)
    total = prices * np.reshape(fare, (-1, 1)) * sold + future
    return prices[np.arange(len(prices)), total.argmax(axis=1)]
