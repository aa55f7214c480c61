"""The shared pricing path: request tables, their checks, quotes, the model holder, settings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from flightprice.pricing.params import PricingParams
from flightprice.serve._request_table import RequestTableError, request_frame
from flightprice.serve.quoting import ModelHolder, NoChampionError, load_served_model, quote
from flightprice.settings import Settings

ROW = {
    "carrier": "UA", "flight_number": "9", "origin": "JFK", "destination": "SFO",
    "cabin": "economy", "observed_at": datetime(2026, 9, 6, 8), "stops": 1,
    "departure_at": datetime(2026, 9, 20, 7, 15), "duration_minutes": 390,
    "seats_remaining": 40, "capacity": 150, "last_price": 300.0,
}  # fmt: skip


def test_request_frame_normalises_types_and_zones():
    table = pa.table({
        **{k: [v, v] for k, v in ROW.items() if k not in ("observed_at", "departure_at", "cabin")},
        "cabin": pa.array(["economy", "first"]).dictionary_encode(),
        "observed_at": pa.array([datetime(2026, 9, 6, 10, tzinfo=timezone(timedelta(hours=2)))] * 2,
                                pa.timestamp("ms", tz="+02:00")),
        "departure_at": ["2026-09-20T07:15:00", "2026-09-21T07:15:00"],
        "seats_remaining": [np.nan, 3.0],
        "ignored_extra": [1, 2],
    })  # fmt: skip
    frame = request_frame(table)
    assert frame["observed_at"].tolist() == [pd.Timestamp("2026-09-06 08:00")] * 2
    assert frame["departure_at"][1] == pd.Timestamp("2026-09-21 07:15")
    assert frame["cabin"].tolist() == ["economy", "first"]
    assert np.isnan(frame["seats_remaining"][0]) and frame["seats_remaining"][1] == 3
    assert "ignored_extra" not in frame


def test_request_frame_defaults_observed_at_to_now():
    table = pa.Table.from_pylist([{k: v for k, v in ROW.items() if k != "observed_at"}])
    now = datetime(2026, 9, 1, 12)
    assert request_frame(table, now=now)["observed_at"][0] == pd.Timestamp(now)


def test_request_frame_names_every_column_at_fault():
    rows = [
        ROW,
        {**ROW, "carrier": "u", "destination": "JFK", "stops": 9, "capacity": 0},
        {**ROW, "departure_at": datetime(2026, 9, 1)},
    ]
    with pytest.raises(RequestTableError) as err:
        request_frame(pa.Table.from_pylist(rows))
    problems = {p.column: p for p in err.value.problems}
    assert set(problems) == {"carrier", "destination", "stops", "capacity"}
    assert problems["stops"].rows == (1,)
    with pytest.raises(RequestTableError) as err:  # cross-field checks once columns are sane
        request_frame(pa.Table.from_pylist([ROW, {**ROW, "departure_at": datetime(2026, 9, 1)}]))
    assert [(p.column, p.rows) for p in err.value.problems] == [("departure_at", (1,))]


def test_request_frame_reports_missing_and_mistyped_columns():
    table = pa.Table.from_pylist([{**ROW, "stops": "one"}]).drop_columns(["origin"])
    with pytest.raises(RequestTableError) as err:
        request_frame(table)
    assert {p.column for p in err.value.problems} == {"origin", "stops"}
    assert err.value.problems[0].to_error()["loc"] == ["body", "origin"]


def test_json_rows_and_arrow_rows_get_the_same_quote(champion_template, make_settings):
    settings = make_settings(champion_template)
    model = load_served_model(settings)
    rows = [ROW, {**ROW, "cabin": "business", "seats_remaining": None, "last_price": None}]
    from_python = quote(model, pd.DataFrame(rows), PricingParams())
    from_arrow = quote(model, request_frame(pa.Table.from_pylist(rows)), PricingParams())
    assert from_python.result.price.tolist() == from_arrow.result.price.tolist()
    priced = from_arrow.to_arrow()
    assert priced.schema.metadata[b"model_version"] == b"v-test-1"
    assert priced.column("reasons")[1].as_py().startswith('{"demand":"no_load_factor"')


def test_holder_keeps_serving_when_a_reload_fails(champion_template, make_settings):
    settings = make_settings(champion_template)
    outcomes = [lambda: load_served_model(settings), lambda: (_ for _ in ()).throw(OSError("gone"))]
    holder = ModelHolder(lambda: outcomes.pop(0)())
    first = holder.reload()
    assert holder.model is first and holder.version == "v-test-1" and holder.error is None
    assert holder.try_reload() is first
    assert holder.model is first and holder.error == "OSError: gone"


def test_load_champion_without_a_warehouse_says_what_to_do(make_settings, tmp_path):
    with pytest.raises(NoChampionError, match="flightprice init"):
        load_served_model(make_settings(tmp_path / "empty"))


def test_pricing_parameters_come_from_nested_env(settings, monkeypatch):
    monkeypatch.setenv("FLIGHTPRICE_PRICING__MAX_INCREASE", "0.05")
    monkeypatch.setenv("FLIGHTPRICE_PRICING__ROUNDING", "whole")
    pricing = Settings().pricing
    assert pricing.max_increase == 0.05 and pricing.rounding == "whole"
    assert pricing.max_decrease == PricingParams().max_decrease
