"""The bid-price programme against brute force, and EMSR-b against hand-computed levels."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from flightprice.revenue._dp import solve
from flightprice.revenue.emsr import emsr_b, open_class


def _expected_revenue(policy, rate, grid, curve, capacity) -> float:
    """Return a Markov policy's expected revenue by enumerating Poisson sales (k <= 60)."""
    horizon = rate.shape[0]
    value = np.zeros(capacity + 1)
    ks = np.arange(61)
    for t in range(horizon - 1, -1, -1):
        new = np.zeros(capacity + 1)
        for x in range(1, capacity + 1):
            r = policy[(t, x)]
            pmf = stats.poisson.pmf(ks, rate[t, r])
            sold = np.minimum(ks, x)
            new[x] = np.sum(pmf * (grid[r] * curve[t] * sold + value[x - sold]))
        value = new
    return value[capacity]


def test_programme_matches_brute_force_over_every_policy():
    grid = np.array([0.8, 1.0, 1.5])
    rate = np.array([[1.5, 1.0, 0.3], [2.5, 1.6, 0.9]])  # (T=2, R=3): demand falls with price
    curve = np.array([1.0, 1.2])
    capacity = 2
    table = solve(rate[None], curve, grid, capacity)
    states = [(t, x) for t in range(2) for x in range(1, capacity + 1)]
    best_value, best_policy = -1.0, None
    for choice in itertools.product(range(len(grid)), repeat=len(states)):
        policy = dict(zip(states, choice, strict=True))
        value = _expected_revenue(policy, rate, grid, curve, capacity)
        if value > best_value:
            best_value, best_policy = value, policy
    assert table.value[0, 0, capacity] == pytest.approx(best_value, rel=1e-9)
    for t, x in [(0, 2), (1, 1), (1, 2)]:  # the states reachable from 2 seats on day 0
        assert table.choice[0, t, x] == best_policy[(t, x)]


def test_scarcer_seats_never_price_lower():
    grid = np.geomspace(0.6, 3.0, 30)
    rate = 5.0 * np.exp(-2.0 * grid)[None, :].repeat(10, axis=0)
    table = solve(rate[None], np.ones(10), grid, 20)
    ratio = grid[table.choice[0, :, 1:]]  # seats left 1..20
    assert np.all(np.diff(ratio, axis=1) <= 1e-12)  # more seats left: the price falls or stays


def test_emsr_b_two_classes_is_littlewood():
    # y1 = 10 + 5 * Phi^-1(1 - 60/100) = 10 + 5 * (-0.253347) = 8.733265
    levels = emsr_b([100.0, 60.0], [10.0, 20.0], [5.0, 10.0], capacity=50)
    assert levels == pytest.approx([8.733265], abs=1e-5)


def test_emsr_b_three_classes_by_hand():
    # y1 = 10 + 3 * Phi^-1(0.2) = 10 - 3 * 0.841621 = 7.475137
    # classes 1-2 pooled: mean 25, sd 5, fare (100*10 + 80*15) / 25 = 88;
    # y2 = 25 + 5 * Phi^-1(1 - 50/88) = 25 + 5 * Phi^-1(0.431818) = 25 - 5 * 0.171760 = 24.1412
    levels = emsr_b([100.0, 80.0, 50.0], [10.0, 15.0, 30.0], [3.0, 4.0, 6.0], capacity=60)
    assert levels == pytest.approx([7.475137, 24.14120], abs=1e-4)
    # 30 seats left: every class open; 20: class 3 closed; 5: only class 1.
    np.testing.assert_array_equal(open_class(levels[None, :], np.array([30, 20, 5])), [2, 1, 0])
