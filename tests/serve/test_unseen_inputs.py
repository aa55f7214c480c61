"""Unseen inputs: confidence levels, the baseline fallback, older models, the examples we ship."""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from api.schemas import PRICE_REQUEST_EXAMPLE

from flightprice.cli.pipeline import generate
from flightprice.contract import CABINS
from flightprice.features import FeatureSpec
from flightprice.pricing.params import PricingParams
from flightprice.serve.quoting import load_served_model, quote
from flightprice.serve.smoke import DEMO_FLIGHT, known_flight
from flightprice.serve.unseen import UnseenInputs, unseen_inputs
from flightprice.settings import REPO_ROOT
from flightprice.synth import _market

SPEC = FeatureSpec(
    columns=("route", "carrier", "cabin", "flight_number", "stops"),
    categories={
        "route": ("CDG-LAX", "JFK-LAS"),
        "carrier": ("BA", "DL"),
        "cabin": ("business", "economy"),
        "flight_number": ("260", "278"),
    },
)


def test_confidence_is_high_medium_or_low_by_what_is_unseen():
    features = {
        "route": np.array(["CDG-LAX", "CDG-LAX", "ZZZ-QQQ", "CDG-LAX", "JFK-LAS"], dtype=object),
        "carrier": np.array(["BA", "BA", "BA", "Z9", "DL"], dtype=object),
        "cabin": np.array(["economy", "economy", "economy", "economy", "first"], dtype=object),
        "flight_number": np.array(["278", "999", "278", None, "260"], dtype=object),
        "stops": np.zeros(5),
    }
    flags = unseen_inputs(SimpleNamespace(spec=SPEC), features)
    assert flags.unseen.tolist() == ["", "flight_number", "route", "carrier,flight_number", "cabin"]
    assert flags.confidence.tolist() == ["high", "medium", "low", "low", "low"]
    assert flags.names(3) == ["carrier", "flight_number"] and flags.names(0) == []
    assert flags.any.tolist() == [False, True, True, True, True]


def test_baseline_policy_falls_back_to_the_training_median_of_route_and_cabin(
    champion_template, make_settings
):
    model = load_served_model(make_settings(champion_template))
    (route, cabin), median = next(iter(model.route_cabin_medians.items()))
    origin, destination = route.split("-")
    flight = {**_request(model), "origin": origin, "destination": destination, "cabin": cabin}
    rows = pd.DataFrame([flight, {**flight, "carrier": "Z9"}])
    priced = quote(model, rows, PricingParams(), "price")
    fallback = quote(model, rows, PricingParams(), "baseline")
    assert fallback.fare_sources.tolist() == ["model", "baseline"]
    assert fallback.result.market_fare[0] == priced.result.market_fare[0]
    assert fallback.result.market_fare[1] == median != priced.result.market_fare[1]
    assert not fallback.refused.any() and quote(model, rows, PricingParams(), "refuse").refused[1]


def test_a_model_without_medians_prices_and_flags_under_baseline(
    champion_template, make_settings, caplog
):
    model = load_served_model(make_settings(champion_template))
    metadata = {k: v for k, v in model.metadata.items() if k != "route_cabin_medians"}
    old = dataclasses.replace(model, version="v-old", metadata=metadata)
    rows = pd.DataFrame([{**_request(model), "carrier": "Z9"}])
    with caplog.at_level(logging.WARNING, logger="flightprice.serve.unseen"):
        quotes = quote(old, rows, PricingParams(), "baseline")
    assert quotes.fare_sources.tolist() == ["model"] and quotes.flags.unseen.tolist() == ["carrier"]
    assert "v-old has no route x cabin medians" in caplog.text


def test_an_unknown_policy_is_refused(champion_template, make_settings):
    model = load_served_model(make_settings(champion_template))
    with pytest.raises(ValueError, match="unseen_policy"):
        quote(model, pd.DataFrame([_request(model)]), PricingParams(), "ignore")


def test_the_examples_we_ship_are_flights_of_the_demo_market():
    defaults = inspect.signature(generate).parameters
    network = _market.build_network(defaults["seed"].default, defaults["routes"].default)
    flights = {
        (_market.CARRIER_CODES[c], str(n), _market.AIRPORT_CODES[o], _market.AIRPORT_CODES[d],
         CABINS[k], int(s), int(minutes))
        for c, n, o, d, k, s, minutes in zip(
            network.carrier, network.flight_number, network.origin, network.destination,
            network.cabin, network.stops, network.duration, strict=True)
    }  # fmt: skip
    readme = json.loads((REPO_ROOT / "docs" / "example-quote.json").read_text())
    assert readme == PRICE_REQUEST_EXAMPLE
    for example in (readme, known_flight(), DEMO_FLIGHT):
        key = tuple(example[f] for f in ("carrier", "flight_number", "origin", "destination",
                                         "cabin", "stops", "duration_minutes"))  # fmt: skip
        assert key in flights


def _request(model) -> dict:
    """The model's known flight (its most quoted training flight) as a request row."""
    flight = known_flight(trained=model.known_flight)
    return {**flight, "observed_at": pd.Timestamp(flight["observed_at"]),
            "departure_at": pd.Timestamp(flight["departure_at"])}  # fmt: skip


def test_an_unseen_flight_alone_is_flagged_but_the_policy_does_not_act_on_it():
    masks = {"carrier": np.array([False, True, False]),
             "flight_key": np.array([True, True, False])}  # fmt: skip
    flags = UnseenInputs(np.array(["flight_key", "carrier,flight_key", ""], dtype=object),
                         np.array(["medium", "low", "high"], dtype=object), masks)  # fmt: skip
    assert flags.any.tolist() == [True, True, False]
    assert flags.actionable.tolist() == [False, True, False]


def test_an_input_with_an_empty_training_vocabulary_is_not_flagged(
    champion_template, make_settings
):
    model = load_served_model(make_settings(champion_template))
    assert model.spec.categories["flight_key"] == ()  # the fixture keeps no flight identity
    flags = quote(model, pd.DataFrame([_request(model)]), PricingParams()).flags
    assert "flight_key" not in flags.masks and flags.confidence.tolist() == ["high"]


def test_flags_from_the_encoded_matrix_equal_flags_from_the_features(
    champion_template, make_settings
):
    from flightprice.features import derive_request_features, to_matrix

    model = load_served_model(make_settings(champion_template))
    known = _request(model)
    rows = pd.DataFrame([known, {**known, "carrier": "Z9"},
                         {**known, "origin": "ZZZ", "cabin": "coach"}])  # fmt: skip
    features = derive_request_features(rows)
    direct = unseen_inputs(model, features)
    encoded = unseen_inputs(model, features, to_matrix(features, model.spec))
    assert direct.unseen.tolist() == encoded.unseen.tolist() != ["", "", ""]
    assert direct.confidence.tolist() == encoded.confidence.tolist() == ["high", "low", "low"]
