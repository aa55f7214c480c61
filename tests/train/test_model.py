"""Model behaviour: time split, beating the baselines, artifacts that round-trip and verify."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from flightprice.features import FEATURE_COLUMNS, derive_request_features
from flightprice.store import LocalStore
from flightprice.train.model import (
    ArtifactChecksumError,
    ArtifactNotFoundError,
    InsufficientDataError,
    LoadedModel,
    TrainedModel,
    evaluate,
    load_model,
    new_version,
    save_model,
    split_by_time,
    train_model,
)

FAST_PARAMS = {"num_boost_round": 150, "early_stopping_rounds": 20, "learning_rate": 0.15}

CABIN_FACTOR = {"economy": 1.0, "premium_economy": 1.7, "business": 3.5, "first": 6.0}
CABIN_SEATS = {"economy": 150, "premium_economy": 40, "business": 30, "first": 8}
CARRIER_FACTOR = {"AA": 1.1, "BA": 1.2, "LH": 1.15, "U2": 0.7}
ROUTE_MINUTES = {
    ("JFK", "LHR"): 420, ("LHR", "JFK"): 470, ("LHR", "FRA"): 95, ("FRA", "LHR"): 100,
    ("JFK", "FRA"): 480, ("FRA", "JFK"): 530, ("LHR", "BCN"): 130, ("BCN", "LHR"): 135,
}  # fmt: skip


def make_training_frame(n: int = 4000, days: int = 42, seed: int = 0) -> pd.DataFrame:
    """Fare quotes shaped like ANALYTICS.ML_TRAINING_FEATURES with a known multiplicative price.

    price = route base * cabin * carrier * stops * days-to-departure U-curve * weekend * load
    factor * lognormal noise (sigma 0.08).
    """
    rng = np.random.default_rng(seed)
    routes = list(ROUTE_MINUTES)
    route_idx = rng.integers(len(routes), size=n)
    origin = np.array([routes[i][0] for i in route_idx])
    destination = np.array([routes[i][1] for i in route_idx])
    duration = np.array([ROUTE_MINUTES[routes[i]] for i in route_idx])
    cabin = rng.choice(list(CABIN_FACTOR), size=n, p=[0.55, 0.2, 0.18, 0.07])
    carrier = rng.choice(list(CARRIER_FACTOR), size=n)
    stops = rng.choice([0, 1, 2], size=n, p=[0.6, 0.3, 0.1])
    start = pd.Timestamp("2026-09-01")
    observed = start + pd.to_timedelta(rng.uniform(0, days * 86400, size=n).round(), unit="s")
    dtd = rng.uniform(0.05, 120, size=n)
    departure = (observed + pd.to_timedelta(dtd, unit="D")).round("5min")
    capacity = np.array([CABIN_SEATS[c] for c in cabin], dtype="float64")
    fill = np.clip(0.92 - dtd / 140 + rng.normal(0, 0.08, size=n), 0, 1)
    seats = np.round(capacity * (1 - fill))
    seats[rng.random(n) < 0.05] = np.nan
    capacity[rng.random(n) < 0.03] = np.nan

    frame = pd.DataFrame(
        {
            "quote_id": [f"q{i:07d}" for i in range(n)],
            "observed_at": observed,
            "carrier": carrier,
            "flight_number": rng.integers(100, 999, size=n).astype(str),
            "origin": origin,
            "destination": destination,
            "cabin": cabin,
            "stops": stops,
            "duration_minutes": duration + 75 * stops,
            "departure_at": departure,
            "capacity": capacity,
            "seats_remaining": seats,
        }
    )
    frame = derive_request_features(frame)
    d = frame["days_to_departure"].to_numpy()
    curve = 1 + 0.5 * np.exp(-d / 6) + 0.3 * np.clip((d - 50) / 40, 0, None)
    load = np.nan_to_num(frame["load_factor"].to_numpy(), nan=0.6)
    price = (
        0.25
        * frame["duration_minutes"].to_numpy()
        * frame["cabin"].map(CABIN_FACTOR).to_numpy()
        * frame["carrier"].map(CARRIER_FACTOR).to_numpy()
        * 0.85 ** frame["stops"].to_numpy()
        * curve
        * np.where(frame["is_weekend_departure"], 1.08, 1.0)
        * (1 + 0.4 * load**2)
        * rng.lognormal(0, 0.08, size=n)
    )
    frame["price_usd"] = price.round(2)
    return frame.sort_values("observed_at", ignore_index=True)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_training_frame()


@pytest.fixture(scope="module")
def trained(frame: pd.DataFrame) -> TrainedModel:
    return train_model(frame, FAST_PARAMS, holdout_days=7)


def test_split_is_by_time(frame: pd.DataFrame) -> None:
    split = split_by_time(frame, holdout_days=7)

    assert len(split.train) + len(split.holdout) == len(frame)
    assert split.train["observed_at"].max() < split.holdout["observed_at"].min()
    assert split.holdout["observed_at"].min() >= split.cutoff
    assert split.cutoff == frame["observed_at"].max().normalize() - pd.Timedelta(days=6)


def test_time_ordered_and_shuffled_frames_split_alike(frame: pd.DataFrame) -> None:
    """Rows in time order are cut by position, others by a mask: the same rows either way."""
    ordered = frame.sort_values("observed_at", kind="stable", ignore_index=True)
    shuffled = ordered.sample(frac=1.0, random_state=1)
    assert ordered["observed_at"].is_monotonic_increasing
    assert not shuffled["observed_at"].is_monotonic_increasing
    by_position, by_mask = split_by_time(ordered, 7), split_by_time(shuffled, 7)
    assert by_position.cutoff == by_mask.cutoff
    for part in ("train", "holdout"):
        pd.testing.assert_frame_equal(getattr(by_position, part),
                                      getattr(by_mask, part).sort_index())  # fmt: skip


def test_model_beats_both_baselines_on_the_time_holdout(trained: TrainedModel) -> None:
    model_mape = trained.metrics["mape"]
    for name, baseline in trained.baselines.items():
        assert model_mape < 0.6 * baseline["mape"], (name, model_mape, baseline["mape"])
        assert trained.metrics["rmse"] < baseline["rmse"], name
    assert trained.metrics["r2"] > 0.9
    assert trained.metrics["mape_dtd_lt_7"] is not None
    assert trained.metrics["rows"] == trained.rows["holdout"]


def test_baseline_with_horizon_beats_plain_route_cabin_median(trained: TrainedModel) -> None:
    plain = trained.baselines["route_cabin_median"]["mape"]
    by_horizon = trained.baselines["route_cabin_dtd_median"]["mape"]
    assert by_horizon < plain


def test_early_stopping_watches_the_end_of_the_train_window(
    frame: pd.DataFrame, trained: TrainedModel
) -> None:
    window = trained.window
    assert window["train_start"] <= window["validation_start"] < window["holdout_start"]
    assert trained.rows["fit"] + trained.rows["validation"] == trained.rows["train"]


def test_progress_is_reported_every_round(frame: pd.DataFrame) -> None:
    seen: list[tuple[int, int]] = []
    params = {"num_boost_round": 12, "early_stopping_rounds": 50}
    trained = train_model(frame, params, holdout_days=7, progress=lambda d, t: seen.append((d, t)))

    # Every round, then a final (done, done) so a bar completes even after early stopping.
    assert seen == [(i, 12) for i in range(1, 13)] + [(12, 12)]
    assert trained.booster.num_boosted_rounds() == 12


def test_progress_completes_when_early_stopping_ends_training(frame: pd.DataFrame) -> None:
    seen: list[tuple[int, int]] = []
    params = {"num_boost_round": 2000, "early_stopping_rounds": 3, "learning_rate": 0.5}
    train_model(frame, params, holdout_days=7, progress=lambda d, t: seen.append((d, t)))
    done, total = seen[-1]
    assert done == total < 2000


def test_save_load_round_trip_predicts_identically(
    trained: TrainedModel, frame: pd.DataFrame, store: LocalStore
) -> None:
    version = new_version()
    info = save_model(trained, store, version)
    loaded = load_model(store, version, expected_sha256=info.sha256)

    assert isinstance(loaded, LoadedModel)
    assert store.list(f"models/{version}/") == [
        f"models/{version}/metadata.json",
        f"models/{version}/model.ubj",
    ]
    np.testing.assert_array_equal(loaded.predict(frame), trained.predict(frame))
    assert evaluate(loaded, frame) == evaluate(trained, frame)


def test_metadata_records_everything_needed_to_audit_a_model(
    trained: TrainedModel, store: LocalStore
) -> None:
    info = save_model(trained, store, "v20260101T000000Z-abcdef")
    meta = json.loads(store.read_bytes(info.metadata_key))

    assert meta["feature_columns"] == list(FEATURE_COLUMNS)
    assert meta["categories"]["cabin"] == sorted(CABIN_FACTOR)
    assert meta["categories"]["carrier"] == sorted(CARRIER_FACTOR)
    assert meta["sha256"] == info.sha256 and len(info.sha256) == 64
    assert meta["target_transform"] == "log"
    assert meta["params"]["objective"] == "reg:squarederror"
    assert meta["training_options"]["num_boost_round"] == 150
    assert set(meta["training_window"]) >= {"train_start", "holdout_start", "holdout_end"}
    assert set(meta["row_counts"]) == {"train", "fit", "validation", "holdout"}
    assert {"mae", "rmse", "mape", "r2", "mape_dtd_lt_7"} <= set(meta["metrics"])
    assert set(meta["baselines"]) == {"route_cabin_median", "route_cabin_dtd_median"}
    assert {"xgboost", "numpy", "pandas", "python"} <= set(meta["library_versions"])
    assert meta["version"] == info.version
    assert pd.Timestamp(meta["created_at"]).tzinfo is not None


def test_tampered_artifact_is_refused(trained: TrainedModel, store: LocalStore) -> None:
    version = new_version()
    info = save_model(trained, store, version)
    raw = bytearray(store.read_bytes(info.model_key))
    raw[len(raw) // 2] ^= 0xFF
    store.write_bytes(info.model_key, bytes(raw))

    with pytest.raises(ArtifactChecksumError) as caught:
        load_model(store, version)
    message = str(caught.value)
    assert version in message and info.sha256 in message and "actual" in message


def test_registry_checksum_must_match_too(trained: TrainedModel, store: LocalStore) -> None:
    version = new_version()
    save_model(trained, store, version)
    with pytest.raises(ArtifactChecksumError, match="from registry"):
        load_model(store, version, expected_sha256="0" * 64)


def test_missing_version_and_overwrite_are_refused(
    trained: TrainedModel, store: LocalStore
) -> None:
    with pytest.raises(ArtifactNotFoundError, match="v-missing"):
        load_model(store, "v-missing")
    save_model(trained, store, "v1")
    with pytest.raises(FileExistsError):
        save_model(trained, store, "v1")
    with pytest.raises(ValueError, match="invalid model version"):
        save_model(trained, store, "../escape")


def test_unseen_category_predicts_instead_of_crashing(
    trained: TrainedModel, frame: pd.DataFrame, store: LocalStore
) -> None:
    save_model(trained, store, "v1")
    loaded = load_model(store, "v1")
    rows = frame.head(3).copy()
    rows["carrier"] = ["ZZ", "AA", None]
    rows["route"] = ["XXX-YYY", rows["route"].iloc[1], rows["route"].iloc[2]]

    predicted = loaded.predict(rows)

    assert predicted.shape == (3,) and np.isfinite(predicted).all() and (predicted > 0).all()


def test_versions_sort_by_time_and_are_unique() -> None:
    early = new_version(pd.Timestamp("2026-11-26T07:01:02Z").to_pydatetime())
    late = new_version(pd.Timestamp("2026-11-26T07:01:03Z").to_pydatetime())
    assert early.startswith("v20261126T070102Z-") and len(early) == len("v20261126T070102Z-") + 6
    assert early < late
    assert len({new_version() for _ in range(50)}) == 50


def test_training_needs_both_sides_of_the_split(frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="both sides"):
        train_model(frame, FAST_PARAMS, holdout_days=400, holdout_max_share=1.0)


def test_too_few_days_says_what_it_found_and_which_setting_to_change(frame) -> None:
    observed = pd.to_datetime(frame["observed_at"])
    days = (observed.max().normalize() - observed.min().normalize()).days + 1
    with pytest.raises(InsufficientDataError) as raised:
        train_model(frame, FAST_PARAMS, holdout_days=days, holdout_max_share=1.0)
    message = str(raised.value)
    assert f"0 train and {len(frame):,} holdout rows" in message
    assert f"{days} day(s), {observed.min():%Y-%m-%d} to {observed.max():%Y-%m-%d}" in message
    assert raised.value.hint == f"set FLIGHTPRICE_HOLDOUT_DAYS below {days} or load more days"
    assert raised.value.hint in message


def test_one_day_of_data_asks_for_more_days(frame) -> None:
    one_day = frame[pd.to_datetime(frame["observed_at"]).dt.normalize()
                    == pd.to_datetime(frame["observed_at"]).max().normalize()]
    with pytest.raises(InsufficientDataError, match="load more days"):
        train_model(one_day, FAST_PARAMS, holdout_days=1)
    with pytest.raises(InsufficientDataError, match="0 rows.*FLIGHTPRICE_HOLDOUT_DAYS"):
        train_model(frame.iloc[:0], FAST_PARAMS, holdout_days=7)
