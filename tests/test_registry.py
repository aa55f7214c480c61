"""Registry over a real DuckDB file: one champion, promotion history, rollback, decisions."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from flightprice.features import derive_request_features
from flightprice.registry import (
    GUARDRAIL_TOLERANCE,
    NoChampionError,
    RegistryError,
    assert_single_champion,
    champion,
    compare,
    compare_models,
    get,
    list_models,
    load_champion,
    log_training,
    promote,
    register,
    rollback,
)
from flightprice.store import LocalStore
from flightprice.train.model import load_model, save_model, train_model
from flightprice.warehouse.duckdb import DuckDBWarehouse

METRICS = {"mape": 0.10, "mape_dtd_lt_7": 0.12, "rmse": 30.0}


def add(warehouse: DuckDBWarehouse, version: str, mape: float = 0.1) -> None:
    register(warehouse, version, {**METRICS, "mape": mape}, f"file:///m/{version}", "ab" * 32)


def statuses(warehouse: DuckDBWarehouse) -> dict[str, str]:
    return {e.version: e.status for e in list_models(warehouse)}


def test_first_model_becomes_champion(warehouse: DuckDBWarehouse) -> None:
    assert champion(warehouse) is None
    add(warehouse, "v1")
    assert champion(warehouse) is None
    assert_single_champion(warehouse)  # none is fine before any promotion

    decision = compare(METRICS, None, margin=0.02)
    entry = promote(warehouse, "v1", decision.reason)

    assert decision.promote and decision.first_model and decision.outcome == "first_champion"
    assert entry.status == "champion" and entry.promoted_from is None
    assert entry.reason == "first model: no champion" and entry.promoted_at is not None
    assert champion(warehouse) == entry
    assert entry.metrics == METRICS and entry.sha256 == "ab" * 32
    assert_single_champion(warehouse)


def test_register_as_champion_only_while_there_is_none(warehouse: DuckDBWarehouse) -> None:
    register(warehouse, "v1", METRICS, "file:///m/v1", "0" * 64, status="champion")
    assert champion(warehouse).version == "v1"
    with pytest.raises(RegistryError, match="v1 is champion"):
        register(warehouse, "v2", METRICS, "file:///m/v2", "0" * 64, status="champion")
    with pytest.raises(RegistryError, match="already registered"):
        add(warehouse, "v1")
    with pytest.raises(RegistryError, match="challenger or champion"):
        register(warehouse, "v3", METRICS, "file:///m/v3", "0" * 64, status="retired")
    assert statuses(warehouse) == {"v1": "champion"}
    assert_single_champion(warehouse)


def test_promote_retires_the_champion_and_keeps_history(warehouse: DuckDBWarehouse) -> None:
    add(warehouse, "v1")
    promote(warehouse, "v1", "first model: no champion")
    add(warehouse, "v2", mape=0.08)

    entry = promote(warehouse, "v2", "better by 20%")

    assert statuses(warehouse) == {"v1": "retired", "v2": "champion"}
    assert entry.promoted_from == "v1" and entry.reason == "better by 20%"
    assert get(warehouse, "v1").reason == "first model: no champion"  # its own history stays
    assert_single_champion(warehouse)


def test_rejected_challenger_leaves_the_champion(warehouse: DuckDBWarehouse) -> None:
    add(warehouse, "v1")
    promote(warehouse, "v1", "first")
    add(warehouse, "v2", mape=0.0995)

    decision = compare(get(warehouse, "v2").metrics, champion(warehouse).metrics, margin=0.02)

    assert not decision.promote and decision.outcome == "rejected"
    assert statuses(warehouse) == {"v1": "champion", "v2": "challenger"}
    assert_single_champion(warehouse)


def test_rollback_returns_the_previous_champion(warehouse: DuckDBWarehouse) -> None:
    for version in ("v1", "v2", "v3"):
        add(warehouse, version)
        promote(warehouse, version, f"promote {version}")

    restored = rollback(warehouse, "smoke test failed")

    assert restored.version == "v2" and restored.status == "champion"
    assert statuses(warehouse) == {"v1": "retired", "v2": "champion", "v3": "challenger"}
    assert get(warehouse, "v3").reason == "rolled back: smoke test failed"
    assert "v3" in restored.reason and restored.promoted_from == "v1"
    assert_single_champion(warehouse)

    assert rollback(warehouse, "again").version == "v1"  # walks the lineage back
    assert_single_champion(warehouse)
    with pytest.raises(RegistryError, match="v1: it has no previous champion"):
        rollback(warehouse, "once more")
    assert champion(warehouse).version == "v1"


def test_rollback_without_history_raises(warehouse: DuckDBWarehouse) -> None:
    with pytest.raises(RegistryError, match="no champion"):
        rollback(warehouse, "nothing deployed")
    add(warehouse, "v1")
    promote(warehouse, "v1", "first")
    with pytest.raises(RegistryError, match="no previous champion"):
        rollback(warehouse, "bad deploy")
    assert statuses(warehouse) == {"v1": "champion"}


def test_promote_refuses_unknown_and_current_champion(warehouse: DuckDBWarehouse) -> None:
    add(warehouse, "v1")
    promote(warehouse, "v1", "first")
    with pytest.raises(RegistryError, match="not registered"):
        promote(warehouse, "v9", "typo")
    with pytest.raises(RegistryError, match="already the champion"):
        promote(warehouse, "v1", "again")
    assert statuses(warehouse) == {"v1": "champion"}


def test_two_champions_are_detected(warehouse: DuckDBWarehouse) -> None:
    add(warehouse, "v1")
    add(warehouse, "v2")
    promote(warehouse, "v1", "first")
    warehouse.execute("update ML_PREDICTIONS.MODEL_REGISTRY set status = 'champion'")

    with pytest.raises(RegistryError, match="2 champions"):
        assert_single_champion(warehouse)
    with pytest.raises(RegistryError, match="2 champions"):
        champion(warehouse)

    warehouse.execute("update ML_PREDICTIONS.MODEL_REGISTRY set status = 'retired'")
    with pytest.raises(RegistryError, match="no champion"):
        assert_single_champion(warehouse)


def test_failed_promotion_changes_nothing(warehouse: DuckDBWarehouse, monkeypatch) -> None:
    for version in ("v1", "v2", "v3"):
        add(warehouse, version)
    promote(warehouse, "v1", "first")
    promote(warehouse, "v2", "second")
    before = [(e.version, e.status, e.promoted_at, e.promoted_from) for e in list_models(warehouse)]

    def fail_after_updates(_: object) -> None:
        raise RegistryError("injected failure after both updates")

    monkeypatch.setattr("flightprice.registry.assert_single_champion", fail_after_updates)
    with pytest.raises(RegistryError, match="injected"):
        promote(warehouse, "v3", "should not stick")
    with pytest.raises(RegistryError, match="injected"):
        rollback(warehouse, "should not stick either")

    after = [(e.version, e.status, e.promoted_at, e.promoted_from) for e in list_models(warehouse)]
    assert after == before


def test_training_log_records_runs_and_decisions(warehouse: DuckDBWarehouse) -> None:
    started = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    decision = compare(METRICS, None, margin=0.02)
    log_training(
        warehouse,
        "run-1",
        "trained",
        started_at=started,
        model_version="v1",
        decision=decision,
        metrics={**METRICS, "r2": float("nan")},
        training_rows=900,
        holdout_rows=100,
    )
    log_training(warehouse, "run-2", "skipped", started_at=started, reason="quality gate failed")
    log_training(warehouse, "run-3", "failed", started_at=started, reason="boom")

    rows = warehouse.query_df("select * from ML_PREDICTIONS.TRAINING_LOG order by run_id")

    assert rows["status"].tolist() == ["trained", "skipped", "failed"]
    assert rows["decision"].tolist() == ["first_champion", "none", "none"]
    assert rows["reason"].tolist() == ["first model: no champion", "quality gate failed", "boom"]
    assert json.loads(rows["metrics"].iloc[0])["r2"] is None
    assert rows["started_at"].iloc[0] == pd.Timestamp("2026-11-26 02:00")
    assert rows["training_rows"].iloc[0] == 900
    with pytest.raises(ValueError, match="training status"):
        log_training(warehouse, "run-4", "done", started_at=started)


@pytest.mark.parametrize(
    ("challenger", "promote_expected", "reason_part"),
    [
        ({"mape": 0.090, "mape_dtd_lt_7": 0.115}, True, "beats champion 10.00% by more than 2.0%"),
        ({"mape": 0.0990, "mape_dtd_lt_7": 0.100}, False, "not below champion MAPE 10.00%"),
        ({"mape": 0.110, "mape_dtd_lt_7": 0.100}, False, "not below"),
        ({"mape": 0.080, "mape_dtd_lt_7": 0.130}, False, "guardrail"),
        ({"mape": 0.080, "mape_dtd_lt_7": 0.12 * (1 + GUARDRAIL_TOLERANCE / 2)}, True, "not worse"),
        ({"mape": 0.080, "mape_dtd_lt_7": None}, True, "guardrail not checked"),
    ],
)
def test_compare_decisions_say_why(
    challenger: dict[str, float], promote_expected: bool, reason_part: str
) -> None:
    decision = compare(challenger, METRICS, margin=0.02)
    assert decision.promote is promote_expected
    assert reason_part in decision.reason
    assert decision.outcome == ("promoted" if promote_expected else "rejected")


def test_guardrail_rejection_names_both_short_horizon_mapes() -> None:
    decision = compare({"mape": 0.08, "mape_dtd_lt_7": 0.13}, METRICS, margin=0.02)
    assert "days_to_departure < 7 is 13.00%" in decision.reason
    assert "12.00%" in decision.reason


def market(n: int, seed: int) -> pd.DataFrame:
    """A small multiplicative market: price depends on cabin, horizon and carrier."""
    rng = np.random.default_rng(seed)
    observed = pd.Timestamp("2026-09-01") + pd.to_timedelta(rng.uniform(0, 28, n), unit="D")
    frame = pd.DataFrame(
        {
            "observed_at": observed,
            "departure_at": observed + pd.to_timedelta(rng.uniform(0.1, 60, n), unit="D"),
            "carrier": rng.choice(["AA", "BA"], n),
            "origin": "JFK",
            "destination": rng.choice(["LHR", "FRA"], n),
            "cabin": rng.choice(["economy", "business"], n),
            "stops": 0,
            "duration_minutes": 420,
            "capacity": 100,
            "seats_remaining": rng.integers(0, 100, n),
        }
    )
    frame = derive_request_features(frame)
    days = frame["days_to_departure"].to_numpy()
    frame["price_usd"] = (
        np.where(frame["cabin"] == "business", 900.0, 250.0)
        * np.where(frame["carrier"] == "BA", 1.2, 1.0)
        * (1 + 0.6 * np.exp(-days / 5))
        * rng.lognormal(0, 0.05, n)
    )
    return frame.sort_values("observed_at", ignore_index=True)


def test_compare_models_scores_both_on_the_same_rows(store: LocalStore) -> None:
    frame = market(3000, seed=1)
    strong = train_model(frame, {"num_boost_round": 120, "learning_rate": 0.2})
    weak = train_model(frame, {"num_boost_round": 2, "learning_rate": 0.2, "max_depth": 2})
    for version, trained in (("v-strong", strong), ("v-weak", weak)):
        save_model(trained, store, version)
    strong_model, weak_model = load_model(store, "v-strong"), load_model(store, "v-weak")
    holdout = market(500, seed=2)

    better = compare_models(strong_model, weak_model, holdout, margin=0.02)
    worse = compare_models(weak_model, strong_model, holdout, margin=0.02)
    first = compare_models(weak_model, None, holdout, margin=0.02)

    assert better.promote and not worse.promote and first.first_model
    assert better.challenger_metrics == worse.champion_metrics
    assert better.challenger_metrics["rows"] == better.champion_metrics["rows"] == 500


def test_rollback_to_a_named_version_makes_the_champion_a_challenger_with_the_reason(
    warehouse: DuckDBWarehouse,
) -> None:
    for version in ("v1", "v2", "v3"):
        register(warehouse, version, {"mape": 0.1}, f"file:///{version}", "0" * 64,
                          status="champion" if version == "v1" else "challenger")
    promote(warehouse, "v2", "better")
    promote(warehouse, "v3", "better still")  # promoted from v2

    back = rollback(warehouse, "deploy failed", to="v1")  # v1 is what was serving
    assert back.version == "v1" and "reinstated by rollback of v3: deploy failed" in back.reason
    demoted = get(warehouse, "v3")
    assert demoted.status == "challenger" and demoted.reason == "rolled back: deploy failed"
    with pytest.raises(RegistryError, match="to itself"):
        rollback(warehouse, "again", to="v1")
    assert_single_champion(warehouse)


# --- load_champion: the one loader of serving, training and scoring ----------------------


def test_load_champion_raises_when_required_and_returns_none_otherwise(warehouse, store):
    with pytest.raises(NoChampionError, match="no champion"):
        load_champion(warehouse, store)
    assert load_champion(warehouse, store, required=False) is None
    with pytest.raises(NoChampionError, match="pinned model v-9 is not registered"):
        load_champion(warehouse, store, version="v-9")


def test_load_champion_loads_the_champion_or_the_pinned_version(warehouse, store):
    frame = market(600, seed=3)
    for version, rounds in (("v-a", 5), ("v-b", 6)):
        info = save_model(train_model(frame, {"num_boost_round": rounds}), store, version)
        register(warehouse, version, METRICS, info.model_uri, info.sha256)
    promote(warehouse, "v-a", "first")

    assert load_champion(warehouse, store).version == "v-a"
    assert load_champion(warehouse, store, required=False).version == "v-a"
    assert load_champion(warehouse, store, version="v-b").version == "v-b"
