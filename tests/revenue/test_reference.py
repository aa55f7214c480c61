"""The warehouse fit's price reference: a market fare that errs per flight flattens the response."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flightprice.revenue._reference import REFERENCES, fit_with_reference, flight_level
from flightprice.revenue.estimate import fit_demand
from flightprice.revenue.fitted import price_response

SLOPE = 3.0  # bookings fall as exp(-SLOPE x price / true price)
TRUE_RESPONSE = float(np.exp(-SLOPE * 0.2))  # bookings at 1.1x over 0.9x


def _history(seed: int, fare_error: float, flight_spread: float, day_spread: float):
    """A sales history whose buyers anchor on a true price the history does not hold.

    Each flight's market fare is the true price times exp(a level ~ N(0, fare_error)); the
    seller's price is the true price times exp(a flight level ~ N(0, flight_spread) and a
    daily one ~ N(0, day_spread)).
    """
    rng = np.random.default_rng(seed)
    flights, days = 400, 20
    flight = np.repeat(np.arange(flights), days)
    true = np.repeat(rng.uniform(100.0, 400.0, flights), days)
    fare = true * np.exp(fare_error * rng.standard_normal(flights))[flight]
    price = true * np.exp(flight_spread * rng.standard_normal(flights)[flight]
                          + day_spread * rng.standard_normal(len(flight)))  # fmt: skip
    capacity = 150.0
    rate = capacity * np.exp(-2.0 - SLOPE * (price / true - 1.0))
    group = np.where(flight % 2 == 0, "AAA-BBB/economy", "CCC-DDD/economy")
    return pd.DataFrame({
        "group": group, "cabin": "economy", "capacity": capacity,
        "days_to_departure": np.tile(np.arange(1.0, days + 1.0), flights) * 3.0,
        "price": price, "market_fare": fare, "seats_left": 1e6,  # never sold out: no censoring
        "bookings": rng.poisson(rate).astype(np.float64), "flight": flight.astype(str),
    })  # fmt: skip


def _error(demand) -> float:
    """Return the largest |log fitted / true response| over the response's days."""
    return max(abs(np.log(r / TRUE_RESPONSE)) for r in price_response(demand).values())


def test_flight_level_recovers_each_flights_fare_error_from_its_other_days():
    rng = np.random.default_rng(0)
    flight = np.repeat(np.arange(300), 12)
    group = flight % 3
    error = 0.06 * rng.standard_normal(300)
    log_ratio = 0.09 * rng.standard_normal(len(flight)) - error[flight]
    level = flight_level(flight, group, log_ratio)
    # The level stands for -error (price / fare = price / true x true / fare).
    assert np.corrcoef(level, -error[flight])[0, 1] > 0.85
    # Centred per group: on average the reference stays the market fare.
    assert np.abs(pd.Series(level).groupby(group).mean()).max() < 1e-12
    # Leave-one-out: a row's own price does not move its own level.
    moved = log_ratio.copy()
    moved[0] += 1.0
    assert flight_level(flight, group, moved)[0] == pytest.approx(level[0], abs=2e-3)
    # A fare without flight errors: the shrinkage leaves little (chance spread only).
    noise_only = flight_level(flight, group, 0.09 * rng.standard_normal(len(flight)))
    assert np.std(noise_only) < np.std(level) / 3


def test_a_fare_that_errs_per_flight_is_corrected_and_steepens_the_response():
    history = _history(1, fare_error=0.06, flight_spread=0.0, day_spread=0.09)
    plain = fit_demand(history)
    chosen, reference = fit_with_reference(history)
    # The plain fit is flattened by the fare's errors; the levelled reference undoes most of it.
    assert reference == REFERENCES[1]
    assert _error(plain) > 0.15
    assert _error(chosen) < _error(plain) / 2


def test_prices_that_differ_per_flight_on_purpose_keep_the_market_fare():
    # A perfect fare and a seller who prices whole flights apart: that spread identifies the
    # response, and removing it (the levelled reference) fits worse held out.
    history = _history(2, fare_error=0.0, flight_spread=0.1, day_spread=0.01)
    chosen, reference = fit_with_reference(history)
    assert reference == REFERENCES[0]
    assert _error(chosen) < 0.1
