"""Feature code: derived request features against hand-computed values, the encoding, and
one feature path: training, batch scoring and the API derive identical model inputs."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from api.routes.price import _columns as api_request_columns
from api.schemas import PriceRequest

from flightprice.features import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    LOOKUP_ROWS,
    FeatureError,
    FeatureSpec,
    build_spec,
    derive_request_columns,
    derive_request_features,
    to_matrix,
)
from flightprice.pricing.engine import PricingParams
from flightprice.project import init_project
from flightprice.score.batch import READ_SQL
from flightprice.serve._request_table import request_frame
from flightprice.serve.quoting import quote
from flightprice.settings import Settings
from flightprice.train import LoadedModel
from flightprice.train.run import load_training_frame
from flightprice.warehouse import Warehouse, open_warehouse


def request(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "observed_at": "2026-09-01T06:30:00",
        "departure_at": "2026-09-05T18:30:00",
        "carrier": "BA",
        "origin": "LHR",
        "destination": "JFK",
        "cabin": "economy",
        "stops": 0,
        "duration_minutes": 470,
        "capacity": 120,
        "seats_remaining": 30,
    }
    row.update(overrides)
    return row


def derive(*rows: dict[str, object]) -> pd.DataFrame:
    return derive_request_features(pd.DataFrame(list(rows)))


def test_derived_features_match_hand_computed_values() -> None:
    out = derive(request()).iloc[0]

    assert out["days_to_departure"] == 4.5
    assert out["departure_hour"] == 18
    assert out["departure_dow"] == 6  # Saturday 5 September 2026
    assert out["departure_month"] == 9
    assert out["departure_day_of_year"] == 248
    assert bool(out["is_weekend_departure"]) is True
    assert out["route"] == "LHR-JFK"
    assert out["load_factor"] == 0.75
    assert out["carrier"] == "BA" and out["duration_minutes"] == 470


@pytest.mark.parametrize(
    ("departure_at", "dow", "day_of_year", "weekend"),
    [
        ("2026-11-29T23:59:00", 7, 333, True),  # Sunday is 7, not 0
        ("2026-11-30T00:00:00", 1, 334, False),  # Monday is 1
        ("2026-12-31T12:00:00", 4, 365, False),
        ("2028-02-29T12:00:00", 2, 60, False),  # leap day
        ("2028-12-31T12:00:00", 7, 366, True),  # day 366 of a leap year
    ],
)
def test_iso_day_of_week_and_day_of_year(
    departure_at: str, dow: int, day_of_year: int, weekend: bool
) -> None:
    out = derive(request(departure_at=departure_at)).iloc[0]
    assert (out["departure_dow"], out["departure_day_of_year"]) == (dow, day_of_year)
    assert bool(out["is_weekend_departure"]) is weekend


@pytest.mark.parametrize(
    ("seats_remaining", "capacity", "expected"),
    [
        (30, 120, 0.75),
        (0, 120, 1.0),  # sold out
        (-2, 120, 1.0),  # oversold: clipped to 1
        (130, 120, 0.0),  # more seats than capacity: clipped to 0
        (None, 120, None),
        (30, None, None),
        (30, 0, None),  # no capacity, no load factor (as the SQL's capacity <= 0 case)
    ],
)
def test_load_factor_is_clipped_and_missing_when_unknown(
    seats_remaining: object, capacity: object, expected: float | None
) -> None:
    value = derive(request(seats_remaining=seats_remaining, capacity=capacity)).iloc[0]
    if expected is None:
        assert np.isnan(value["load_factor"])
    else:
        assert value["load_factor"] == expected


def test_optional_seat_fields_may_be_absent() -> None:
    row = request()
    del row["capacity"], row["seats_remaining"]
    out = derive(row).iloc[0]
    assert np.isnan(out["load_factor"]) and np.isnan(out["capacity"])


def test_timestamps_are_utc_and_counted_in_whole_seconds() -> None:
    aware = derive(request(observed_at="2026-09-01T08:30:00+02:00")).iloc[0]
    assert aware["days_to_departure"] == 4.5
    assert aware["observed_at"] == pd.Timestamp("2026-09-01T06:30:00")

    # date_diff('second', ...) counts second boundaries: 0.9 s -> 1.1 s is one second.
    sub_second = derive(
        request(observed_at="2026-09-01T06:30:00.900", departure_at="2026-09-01T06:30:01.100")
    ).iloc[0]
    assert sub_second["days_to_departure"] == 1 / 86_400


def test_past_departure_gives_negative_days() -> None:
    out = derive(request(departure_at="2026-09-01T06:00:00")).iloc[0]
    assert out["days_to_departure"] == -0.5 / 24


def test_missing_or_bad_raw_fields_are_named() -> None:
    row = request()
    del row["departure_at"]
    with pytest.raises(FeatureError, match="departure_at"):
        derive(row)
    with pytest.raises(FeatureError, match="observed_at"):
        derive(request(observed_at=None))


def test_vectorised_rows_are_independent() -> None:
    rows = [request(), request(departure_at="2026-11-30T00:00:00", seats_remaining=None)]
    out = derive(*rows)
    assert out["departure_dow"].tolist() == [6, 1]
    assert out["load_factor"].iloc[0] == 0.75 and np.isnan(out["load_factor"].iloc[1])


@pytest.fixture
def spec() -> FeatureSpec:
    frame = derive(request(), request(carrier="AA", cabin="business", origin="JFK"))
    return build_spec(frame)


def test_spec_freezes_sorted_vocabulary_and_round_trips(spec: FeatureSpec) -> None:
    assert spec.columns == FEATURE_COLUMNS
    assert set(spec.categories) == set(CATEGORICAL_COLUMNS)
    assert spec.categories["carrier"] == ("AA", "BA")
    assert spec.categories["route"] == ("JFK-JFK", "LHR-JFK")
    assert FeatureSpec.from_dict(spec.to_dict()) == spec
    assert spec.to_dict()["feature_types"][:5] == ["c"] * 5


def test_to_matrix_encodes_in_spec_order(spec: FeatureSpec) -> None:
    frame = derive(request(carrier="AA"), request(carrier="ZZ", cabin=None, stops=None))
    frame["seats_remaining"] = frame["seats_remaining"].astype("Int64")

    matrix = to_matrix(frame, spec)

    assert matrix.dtype == np.float32 and matrix.shape == (2, len(FEATURE_COLUMNS))
    col = {name: matrix[:, i] for i, name in enumerate(FEATURE_COLUMNS)}
    assert col["carrier"][0] == 0.0 and np.isnan(col["carrier"][1])  # unseen -> missing
    assert col["cabin"][0] == spec.categories["cabin"].index("economy")
    assert np.isnan(col["cabin"][1]) and np.isnan(col["stops"][1])
    assert col["is_weekend_departure"].tolist() == [1.0, 1.0]
    assert col["days_to_departure"][0] == np.float32(4.5)


def test_to_matrix_names_missing_columns(spec: FeatureSpec) -> None:
    frame = derive(request()).drop(columns=["load_factor", "cabin"])
    with pytest.raises(FeatureError, match="cabin, load_factor"):
        to_matrix(frame, spec)


def test_to_matrix_is_fast_on_many_rows(spec: FeatureSpec) -> None:
    frame = derive(*[request(carrier=c) for c in ("AA", "BA", "ZZ")] * 20_000)
    matrix = to_matrix(frame, spec)
    assert matrix.shape[0] == 60_000
    assert np.isnan(matrix[2::3, 0]).all() and not np.isnan(matrix[0::3, 0]).any()


# Edges where the two paths could part: zones, DST changes, day/week/year boundaries,
# sub-second times, unknown or missing categories and seat counts.
VARIED_REQUESTS = [
    request(),
    request(observed_at="2026-09-01T08:30:00+02:00", departure_at="2026-09-05T13:30:00-05:00"),
    request(departure_at="2026-03-29T00:59:59+00:00"),  # London springs forward at 01:00 UTC
    request(departure_at="2026-03-29T02:30:00+01:00", observed_at="2026-03-28T23:00:00"),
    request(departure_at="2026-10-25T01:30:00+01:00", observed_at="2026-10-25T00:10:00+00:00"),
    request(departure_at="2026-11-29T23:59:59", seats_remaining=None),  # Sunday, last second
    request(departure_at="2026-11-30T00:00:00", capacity=None),  # Monday, first second
    request(departure_at="2026-12-31T23:59:59.999", capacity=0),
    request(departure_at="2027-01-01T00:00:00+14:00", observed_at="2026-12-30T12:00:00"),
    request(departure_at="2028-12-31T12:00:00", seats_remaining=200, capacity=150),
    request(observed_at="2026-09-01T06:30:00.900", departure_at="2026-09-01T06:30:01.100"),
    request(seats_remaining=0, capacity=1, last_price=99.5),
    request(carrier="ZZ", origin="XXX", destination="YYY", cabin="coach"),  # not in training
    request(carrier=None, stops=None),
]


def request_columns(rows: list[dict[str, object]]) -> dict[str, np.ndarray]:
    """Build the columns as the API does: naive UTC datetime64, float64, str objects."""

    def naive_utc(text: object) -> datetime:
        stamp = datetime.fromisoformat(str(text))
        return stamp.astimezone(UTC).replace(tzinfo=None) if stamp.tzinfo else stamp

    columns: dict[str, np.ndarray] = {}
    for name in rows[0]:
        values = [row[name] for row in rows]
        if name.endswith("_at"):
            stamps = [naive_utc(v) for v in values]
            columns[name] = np.array(stamps, dtype="datetime64[us]").astype("datetime64[s]")
        elif name in ("carrier", "origin", "destination", "cabin"):
            columns[name] = np.array(values, dtype=object)
        else:
            columns[name] = np.array([np.nan if v is None else v for v in values], "float64")
    return columns


@pytest.mark.parametrize("copies", [1, LOOKUP_ROWS // len(VARIED_REQUESTS) + 1])
def test_column_arrays_and_frames_give_the_same_matrix(spec: FeatureSpec, copies: int) -> None:
    rows = [{"last_price": None, **row} for row in VARIED_REQUESTS] * copies

    frame = pd.DataFrame(rows)
    for name in ("observed_at", "departure_at"):  # one column, one zone: UTC
        frame[name] = pd.to_datetime(frame[name], format="ISO8601", utc=True)

    from_columns = derive_request_columns(request_columns(rows))
    from_frame = derive_request_features(frame)

    for name in ("days_to_departure", "departure_dow", "load_factor", "capacity", "route"):
        np.testing.assert_array_equal(from_columns[name], from_frame[name].to_numpy(), name)
    expected = to_matrix(from_frame, spec)
    assert np.array_equal(to_matrix(from_columns, spec), expected, equal_nan=True)
    weekend = expected[:, FEATURE_COLUMNS.index("is_weekend_departure")]
    assert weekend[5:7].tolist() == [1.0, 0.0]
    assert np.isnan(expected[12, : len(CATEGORICAL_COLUMNS)]).all()


def test_column_arrays_name_missing_fields_and_timestamps() -> None:
    columns = request_columns([request()])
    with pytest.raises(FeatureError, match="departure_at"):
        derive_request_columns({k: v for k, v in columns.items() if k != "departure_at"})
    with pytest.raises(FeatureError, match="observed_at: 1 missing"):
        derive_request_columns({**columns, "observed_at": np.array(["NaT"], "datetime64[s]")})


def naive_utc(text: object) -> pd.Timestamp:
    stamp = pd.Timestamp(str(text))
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp


# The varied requests every path accepts: the API refuses a capacity of 0, a cabin outside
# the contract, a missing carrier, and a departure in the past or over 400 days ahead.
SERVABLE_REQUESTS = [
    r for r in VARIED_REQUESTS[:12]
    if r["capacity"] != 0
    and pd.Timedelta(0) < naive_utc(r["departure_at"]) - naive_utc(r["observed_at"])
    <= pd.Timedelta(days=400)
]
ML_COLUMNS = (
    "carrier varchar, flight_number varchar, origin varchar, destination varchar, "
    "cabin varchar, stops integer, duration_minutes integer, departure_at timestamp, "
    "capacity integer, seats_remaining integer"
)  # as dbt types them in the ml_ tables


def write_ml_tables(wh: Warehouse, rows: list[dict[str, object]]) -> None:
    """Store `rows` as ML_TRAINING_FEATURES and ML_SCORING_FEATURES rows (keys by position)."""
    wh.execute(f"create table ANALYTICS.ML_TRAINING_FEATURES (quote_id varchar, "
               f"observed_at timestamp, flight_id varchar, {ML_COLUMNS}, price_usd double)")
    wh.execute(f"create table ANALYTICS.ML_SCORING_FEATURES (observed_at timestamp, "
               f"flight_id varchar, {ML_COLUMNS}, as_of timestamp)")
    for i, row in enumerate(rows):
        request = [row["carrier"], None, row["origin"], row["destination"], row["cabin"],
                   row["stops"], row["duration_minutes"], naive_utc(row["departure_at"]),
                   row["capacity"], row["seats_remaining"]]  # fmt: skip
        observed = naive_utc(row["observed_at"])
        wh.execute("insert into ANALYTICS.ML_TRAINING_FEATURES values "
                   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [f"q{i:02d}", observed, f"F{i:02d}", *request, 100.0 + i])
        wh.execute("insert into ANALYTICS.ML_SCORING_FEATURES values "
                   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [observed, f"F{i:02d}", *request, observed])


def test_training_batch_scoring_and_the_api_derive_the_same_matrix(tmp_path) -> None:
    """Each path reads the same requests its own way; all give the model identical inputs."""
    settings = Settings(home=tmp_path, warehouse="duckdb", store="local")
    init_project(settings)
    with open_warehouse(settings) as wh:
        write_ml_tables(wh, SERVABLE_REQUESTS)
        training = load_training_frame(wh).sort_values("quote_id", ignore_index=True)
        scoring_rows = wh.query_arrow(f"{READ_SQL} order by features.flight_id", ["run"])
    spec = build_spec(training)
    expected = to_matrix(training, spec)
    labels = training["price_usd"].to_numpy()
    booster = xgb.train({"max_depth": 3}, xgb.DMatrix(
        expected, label=labels, feature_types=spec.feature_types, enable_categorical=True), 5)
    model = LoadedModel(booster, spec, "none", version="test")
    params = PricingParams()

    batch = quote(model, request_frame(scoring_rows), params)
    flights = [PriceRequest(**{k: v for k, v in r.items() if k != "last_price"})
               for r in SERVABLE_REQUESTS]
    api = quote(model, api_request_columns(flights), params)

    assert np.array_equal(to_matrix(batch.features, spec), expected, equal_nan=True)
    assert np.array_equal(to_matrix(api.features, spec), expected, equal_nan=True)
    np.testing.assert_array_equal(api.result.market_fare, batch.result.market_fare)
    np.testing.assert_array_equal(model.predict(training), batch.result.market_fare)
    # The matrix holds the hand-computed features of the first request.
    first = dict(zip(FEATURE_COLUMNS, expected[0], strict=True))
    assert (first["days_to_departure"], first["load_factor"]) == (4.5, 0.75)
    assert first["departure_dow"] == 6 and first["is_weekend_departure"] == 1.0


# --- Flight identity ------------------------------------------------------------------------


def test_flight_key_is_carrier_and_number_and_missing_without_a_number() -> None:
    frame = derive(request(flight_number="117"), request(carrier="AA", flight_number=None))
    assert frame["flight_key"].iloc[0] == "BA117"
    assert pd.isna(frame["flight_key"].iloc[1])
    assert derive(request())["flight_key"].isna().all()  # no flight_number column at all

    columns = {k: np.array([v], dtype=object) for k, v in request(flight_number="117").items()}
    for name in ("observed_at", "departure_at"):
        columns[name] = np.array([request()[name]], dtype="datetime64[s]")
    assert derive_request_columns(columns)["flight_key"].tolist() == ["BA117"]
    columns["flight_number"] = np.array([None], dtype=object)
    assert derive_request_columns(columns)["flight_key"].tolist() == [None]


def test_rare_flights_stay_out_of_the_vocabulary_and_encode_as_missing() -> None:
    rows = [request(flight_number="1")] * 5 + [request(flight_number="2")] * 2
    spec = build_spec(derive(*rows), min_rows={"flight_key": 3})
    assert spec.categories["flight_key"] == ("BA1",)
    assert spec.categories["carrier"] == ("BA",)  # other columns keep every value
    assert spec.min_rows == {"flight_key": 3}
    codes = spec.codes("flight_key", np.array(["BA1", "BA2", "BA3"], dtype=object))
    assert codes[0] == 0 and np.isnan(codes[1:]).all()
    assert FeatureSpec.from_dict(spec.to_dict()) == spec


def test_metadata_of_a_model_without_flight_key_still_loads_and_encodes() -> None:
    old_columns = [c for c in FEATURE_COLUMNS if c != "flight_key"]
    old = {  # what a model saved before flight_key wrote: no category_min_rows either
        "feature_columns": old_columns,
        "feature_types": ["c" if c in CATEGORICAL_COLUMNS else "q" for c in old_columns],
        "categories": {"carrier": ["BA"], "origin": ["LHR"], "destination": ["JFK"],
                       "route": ["LHR-JFK"], "cabin": ["economy"]},
    }  # fmt: skip
    spec = FeatureSpec.from_dict(old)
    assert spec.min_rows == {} and "flight_key" not in spec.columns
    matrix = to_matrix(derive(request(flight_number="117")), spec)
    assert matrix.shape == (1, len(old_columns))
    assert matrix[0, :5].tolist() == [0.0, 0.0, 0.0, 0.0, 0.0]


def test_large_and_small_batches_encode_a_high_cardinality_column_alike() -> None:
    # Above LOOKUP_ROWS the distinct values are looked up in one vectorised call; below it,
    # one dict lookup per row: both give the vocabulary position, NaN for unknown or missing.
    vocab = tuple(f"K{i:05d}" for i in range(0, 4000, 2))
    spec = FeatureSpec(categories={"flight_key": vocab})
    rng = np.random.default_rng(3)
    values = [
        None if draw < 0.1 else f"K{key:05d}"
        for draw, key in zip(rng.random(3000), rng.integers(0, 4000, 3000), strict=True)
    ]
    large = spec.codes("flight_key", pd.Series(values, dtype="string"))
    small = np.concatenate([spec.codes("flight_key", pd.Series(values[i : i + LOOKUP_ROWS],
                                                                 dtype="string"))
                            for i in range(0, len(values), LOOKUP_ROWS)])  # fmt: skip
    np.testing.assert_array_equal(large, small)
    assert np.isnan(large).sum() > 1000 and np.nanmax(large) > 1000


@pytest.mark.parametrize(
    "as_input",
    [
        lambda v: pd.Series(v, dtype="str"),
        lambda v: np.array(v, dtype=object),  # column arrays: None and NaN both missing
        lambda v: pd.Series(v, dtype="category"),
        # Not all strings: the pandas path.
        lambda v: np.array([1 if x == "K00002" else x for x in v], dtype=object),
    ],
    ids=["str", "object", "category", "mixed"],
)
def test_large_batches_of_any_input_encode_like_the_per_row_lookup(as_input) -> None:
    spec = FeatureSpec(categories={"flight_key": tuple(f"K{i:05d}" for i in range(0, 40, 2))})
    rng = np.random.default_rng(4)
    values = [
        (None, float("nan"))[key % 2] if draw < 0.1 else f"K{key:05d}"
        for draw, key in zip(rng.random(2000), rng.integers(0, 40, 2000), strict=True)
    ]
    large = spec.codes("flight_key", as_input(values))
    small = np.concatenate([spec.codes("flight_key", as_input(values[i : i + LOOKUP_ROWS]))
                            for i in range(0, len(values), LOOKUP_ROWS)])  # fmt: skip
    np.testing.assert_array_equal(large, small)
    assert large.dtype == np.float32 and 150 < np.isnan(large).sum() < 1500
