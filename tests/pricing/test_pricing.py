"""Dynamic pricing: each adjustment alone, guardrails, step order, reasons, one-row == batch."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from flightprice.contract import CABINS
from flightprice.pricing.engine import GUARDRAILS, Guardrail, price_flights
from flightprice.pricing.params import PricingParams
from flightprice.pricing.reasons import explain, reasons_json

UNROUNDED = PricingParams(rounding="none")
NAN = float("nan")


def price_one(fare=300.0, cabin="economy", days=60.0, load=NAN, last=NAN, params=UNROUNDED):
    """Price one flight through the 1-row path, as the API does."""
    return price_flights([fare], [cabin], [days], [load], [last], params)


def random_inputs(n: int, seed: int) -> dict:
    """Flights spanning below-floor to above-ceiling fares, missing loads and last prices."""
    rng = np.random.default_rng(seed)
    fare = rng.lognormal(5.5, 1.8, n)
    last = fare * rng.uniform(0.4, 2.0, n)
    tiny = rng.random(n) < 0.05  # change limits narrower than one rounding step
    last[tiny] = rng.uniform(1, 5, tiny.sum())
    last[rng.random(n) < 0.3] = np.nan
    load = rng.uniform(-0.1, 1.1, n)
    load[rng.random(n) < 0.2] = np.nan
    return {
        "market_fare": fare,
        "cabin": rng.choice(np.array(CABINS), n),
        "days_to_departure": rng.uniform(-0.5, 120, n),
        "load_factor": load,
        "last_price": last,
    }


def test_booking_curve_rises_to_the_final_load_factor_at_departure():
    params = PricingParams()
    curve = params.expected_load_factor(np.array([90.0, 30.0, 12.0, 0.0, -3.0]))
    assert curve == pytest.approx([0.121, 0.389, 0.640, 0.82, 0.82], abs=0.001)
    assert np.all(np.diff(params.expected_load_factor(np.linspace(0, 120, 500))) < 0)


def test_default_booking_curve_is_the_synthetic_markets_usual_curve():
    # The demo market raises prices for selling ahead of this same curve: with matching
    # defaults a flight selling as usual gets no demand adjustment from the policy either.
    from flightprice.synth._market import MEAN_FINAL_LOAD, booked_share

    days = np.linspace(0, 120, 241)
    market = MEAN_FINAL_LOAD * booked_share(days)
    assert PricingParams().expected_load_factor(days) == pytest.approx(market, abs=1e-9)


@pytest.mark.parametrize(("ahead", "demand"), [(0.1, 0.05), (-0.1, -0.05)])
def test_load_factor_ahead_of_the_curve_raises_price_and_behind_lowers_it(ahead, demand):
    expected = float(PricingParams().expected_load_factor(30.0))
    result = price_one(days=30.0, load=expected + ahead)
    assert result.demand_adjustment[0] == pytest.approx(demand)
    assert result.urgency_adjustment[0] == 0
    assert result.price[0] == pytest.approx(300 * (1 + demand))


@pytest.mark.parametrize(("days", "load", "demand"), [(90.0, 1.0, 0.15), (0.5, 0.0, -0.15)])
def test_demand_adjustment_is_capped(days, load, demand):
    result = price_one(
        days=days, load=load, params=PricingParams(rounding="none", urgency_window_days=0)
    )
    assert result.demand_adjustment[0] == pytest.approx(demand)
    assert result.price[0] == pytest.approx(300 * (1 + demand))
    assert "capped at ±15%" in explain(result, 0)[1]


@pytest.mark.parametrize("missing", [NAN, None, pd.NA])
def test_missing_load_factor_means_no_demand_adjustment_and_says_so(missing):
    load = pd.Series([missing, 0.9], dtype="Float64")
    result = price_flights([300.0, 300.0], ["economy"] * 2, [60.0, 60.0], load, None, UNROUNDED)
    assert result.demand_adjustment[0] == 0
    assert result.price[0] == 300.0
    assert result.demand_adjustment[1] > 0
    assert explain(result, 0)[1] == "demand: no adjustment (load factor unknown)"
    assert price_flights([300.0], ["economy"], [60.0], None, None, UNROUNDED).price[0] == 300.0


@pytest.mark.parametrize(
    ("days", "urgency"), [(60.0, 0.0), (7.0, 0.0), (3.5, 0.04), (0.0, 0.08), (-1.0, 0.08)]
)
def test_urgency_applies_only_inside_the_window(days, urgency):
    result = price_one(days=days)
    assert result.urgency_adjustment[0] == pytest.approx(urgency)
    assert result.price[0] == pytest.approx(300 * (1 + urgency))


def test_urgency_window_of_zero_turns_urgency_off():
    result = price_one(days=0.0, params=PricingParams(rounding="none", urgency_window_days=0))
    assert result.urgency_adjustment[0] == 0


@pytest.mark.parametrize(
    ("fare", "cabin", "last", "price", "guardrail"),
    [
        (5.0, "economy", NAN, 19.0, Guardrail.FLOOR),
        (20.0, "first", NAN, 99.0, Guardrail.FLOOR),
        (1e5, "economy", NAN, 6000.0, Guardrail.CEILING),
        (400.0, "economy", 250.0, 287.5, Guardrail.MAX_INCREASE),
        (100.0, "economy", 250.0, 212.5, Guardrail.MAX_DECREASE),
        (270.0, "economy", 250.0, 270.0, Guardrail.NONE),
        (1000.0, "economy", NAN, 1000.0, Guardrail.NONE),  # no last price: no change limit
        (12.0, "economy", 10.0, 19.0, Guardrail.FLOOR),  # the floor wins over the change limit
    ],
)
def test_guardrails(fare, cabin, last, price, guardrail):
    result = price_one(fare=fare, cabin=cabin, last=last)
    assert result.price[0] == pytest.approx(price)
    assert result.guardrail[0] == guardrail
    assert result.guardrail_names[0] == GUARDRAILS[guardrail]


@pytest.mark.parametrize(
    ("fare", "last", "rounding", "price"),
    [
        (287.6, NAN, "charm", 287.99),
        (287.3, NAN, "charm", 286.99),
        (287.495, NAN, "charm", 287.99),  # 0.495 from 287.99, 0.505 from 286.99
        (287.5, NAN, "whole", 288.0),
        (287.456, NAN, "cents", 287.46),
        (287.456, NAN, "none", 287.456),
        (5.0, NAN, "charm", 19.99),  # floor 19: nearest X.99 is 18.99, below it
        (1e5, NAN, "charm", 5999.99),
        (1e5, NAN, "whole", 6000.0),
        (400.0, 250.0, "charm", 286.99),  # limit 287.50: 287.99 would exceed +15%
        (400.0, 250.0, "cents", 287.5),  # 250 × 1.15 is 287.49999999999997 in floats
        (100.0, 250.0, "charm", 212.99),  # limit 212.50: 211.99 would exceed -15%
    ],
)
def test_rounding_comes_last_and_stays_within_the_bounds(fare, last, rounding, price):
    result = price_one(fare=fare, last=last, params=PricingParams(rounding=rounding))
    assert result.price[0] == pytest.approx(price, abs=1e-9)
    assert abs(result.price[0] - result.unrounded_price[0]) <= 1


def test_batch_and_one_row_calls_agree():
    inputs = random_inputs(300, seed=7)
    params = PricingParams()
    batch = price_flights(**inputs, params=params)
    batch_reasons = reasons_json(batch)
    arrays = [f.name for f in dataclasses.fields(batch) if f.name != "params"]
    for i in range(300):
        one = price_flights(*(np.asarray(v)[i] for v in inputs.values()), params=params)
        for name in arrays:
            np.testing.assert_array_equal(getattr(one, name), getattr(batch, name)[i : i + 1])
        assert explain(one, 0) == explain(batch, i)
        assert reasons_json(one)[0] == batch_reasons[i]


def test_pandas_inputs_price_like_numpy():
    inputs = random_inputs(500, seed=3)
    expected = price_flights(**inputs)
    as_pandas = {name: pd.Series(values) for name, values in inputs.items()}
    as_pandas["load_factor"] = as_pandas["load_factor"].astype("Float64")
    for cabin in (
        pd.Series(inputs["cabin"], dtype="str"),
        pd.Series(inputs["cabin"], dtype="category"),
    ):
        result = price_flights(**{**as_pandas, "cabin": cabin})
        np.testing.assert_array_equal(result.price, expected.price)


def test_explain_names_every_adjustment_and_the_bound():
    result = price_flights(
        [312.40, 5.0], ["economy", "business"], [5.0, 40.0], [0.98, 0.3], [250.0, NAN],
        PricingParams(final_load_factor=0.85, half_booked_days=50),
    )  # fmt: skip
    reasons = explain(result, 0)
    assert reasons[0] == "market fare 312.40 USD"
    assert reasons[1] == "demand +7.8%: load factor 0.98 vs 0.82 expected at 5.0 days"
    assert reasons[2] == "urgency +2.3%: 5.0 days to departure"
    assert reasons[3].startswith("guardrail: limited to +15% of last published 250.00")
    assert (
        reasons[4]
        == "rounded (charm) to 286.99 (nearest 287.99 would cross the change limit vs last published)"
    )

    floor = explain(result, 1)
    assert floor[2].startswith("urgency: none")
    assert floor[3].startswith("guardrail: cabin floor 49.00 (business")
    assert floor[4] == "rounded (charm) to 49.99 (nearest 48.99 would cross the cabin floor)"


def test_explain_says_when_there_is_no_change_limit():
    assert (
        explain(price_one(), 0)[3]
        == "guardrail: none (no last published price, so no change limit)"
    )


def test_reasons_json_is_compact_valid_json_per_row():
    inputs = random_inputs(2000, seed=11)
    result = price_flights(**inputs)
    reasons = reasons_json(result)
    assert len(reasons) == 2000 and reasons.name == "reasons"
    for i, text in enumerate(reasons):
        parsed = json.loads(text)
        if np.isnan(result.load_factor[i]):
            assert parsed["demand"] == "no_load_factor"
        else:
            assert parsed["demand_pct"] == pytest.approx(
                result.demand_adjustment[i] * 100, abs=0.05
            )
        assert ("urgency_pct" in parsed) == (result.urgency_adjustment[i] > 0)
        assert parsed.get("guardrail", "none") == result.guardrail_names[i]
        if "bound_usd" in parsed:
            assert parsed["bound_usd"] == pytest.approx(result.unrounded_price[i], abs=0.005)


def test_to_frame_has_one_row_per_flight_with_named_categories():
    result = price_flights(**random_inputs(100, seed=1))
    frame = result.to_frame()
    assert len(frame) == 100
    assert {"price", "market_fare", "demand_adjustment", "urgency_adjustment", "guardrail",
            "expected_load_factor"} <= set(frame.columns)  # fmt: skip
    assert set(frame["guardrail"].cat.categories) == set(GUARDRAILS)
    assert list(frame["cabin"].astype(str)) == [CABINS[c] for c in result.cabin]


@pytest.mark.parametrize(
    "bad",
    [
        {"max_demand_adjustment": -0.1},
        {"max_decrease": 1.0},
        {"demand_sensitivity": float("nan")},
        {"rounding": "nearest_five"},
        {"surprise": 1},
        {"cabin_bounds": {"economy": {"floor_usd": 500, "ceiling_usd": 100}}},
        {"cabin_bounds": {"first": {"floor_usd": 0, "ceiling_usd": 100}}},
    ],
)
def test_invalid_params_are_rejected(bad):
    with pytest.raises(ValidationError):
        PricingParams(**bad)


def test_overriding_one_cabin_keeps_the_other_defaults():
    params = PricingParams(cabin_bounds={"economy": {"floor_usd": 39, "ceiling_usd": 900}})
    assert params.cabin_bounds.economy.floor_usd == 39
    assert params.cabin_bounds.first == PricingParams().cabin_bounds.first


@pytest.mark.parametrize("cabin", ["Economy", "coach", None])
def test_unknown_cabin_raises_naming_it(cabin):
    with pytest.raises(ValueError, match=f"unknown cabin {cabin!r}"):
        price_flights([100.0, 100.0], ["economy", cabin], [10.0, 10.0])


@pytest.mark.parametrize(
    ("field", "value"),
    [("market_fare", 0.0), ("market_fare", NAN), ("days_to_departure", NAN), ("last_price", -5.0)],
)
def test_invalid_inputs_raise(field, value):
    inputs = {"market_fare": [100.0, 100.0], "cabin": ["economy"] * 2, "days_to_departure": [1.0, 1.0],
              "last_price": [NAN, NAN]}  # fmt: skip
    inputs[field] = [inputs[field][0], value]
    with pytest.raises(ValueError, match=field):
        price_flights(**inputs)


@pytest.mark.parametrize("rounding", ["charm", "whole", "cents", "none"])
def test_prices_respect_every_bound_over_random_inputs(rounding):
    params = PricingParams(rounding=rounding)
    inputs = random_inputs(5000, seed=2026)
    result = price_flights(**inputs, params=params)
    floors = np.array([getattr(params.cabin_bounds, c).floor_usd for c in inputs["cabin"]])
    ceilings = np.array([getattr(params.cabin_bounds, c).ceiling_usd for c in inputs["cabin"]])
    price, unrounded, last = result.price, result.unrounded_price, inputs["last_price"]
    step = {"charm": 1.0, "whole": 1.0, "cents": 0.01, "none": 0.0}[rounding]

    assert np.all(np.isfinite(price)) and np.all(price > 0)
    assert np.all((price >= floors) & (price <= ceilings))
    assert np.all(np.abs(price - unrounded) <= step + 1e-9)
    # The change limit holds before floor and ceiling, which override it ...
    low, high = last * 0.85 * (1 - 1e-9), last * 1.15 * (1 + 1e-9)
    limited = ~np.isnan(last) & ~np.isin(result.guardrail, [Guardrail.FLOOR, Guardrail.CEILING])
    assert limited.sum() > 1000
    assert np.all((unrounded[limited] >= low[limited]) & (unrounded[limited] <= high[limited]))
    # ... and after rounding wherever a rounded price fits both the limit and the cabin bounds.
    fits = limited & (np.fmin(high, ceilings) - np.fmax(low, floors) >= step)
    assert np.all((price[fits] >= low[fits]) & (price[fits] <= high[fits]))
    # A guardrail is recorded exactly where the adjusted price was moved.
    adjusted = (
        inputs["market_fare"] * (1 + result.demand_adjustment) * (1 + result.urgency_adjustment)
    )
    unchanged = result.guardrail == Guardrail.NONE
    assert np.array_equal(unrounded[unchanged], adjusted[unchanged])
    assert np.all(unrounded[~unchanged] != adjusted[~unchanged])
    assert set(np.unique(result.guardrail)) == set(Guardrail)
