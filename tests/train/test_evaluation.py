"""Holdout metrics by hand, their null cases, and SHAP importance on the model's own trees."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from test_model import FAST_PARAMS, make_training_frame

from flightprice._json import dumps
from flightprice.features import to_matrix
from flightprice.train._evaluation import (
    GUARDRAIL_METRIC,
    METRIC_KEYS,
    fit_baselines,
    score,
    shap_importance,
    shap_label,
)
from flightprice.train.model import TrainedModel, split_by_time, train_model

ACTUAL = [100.0, 200.0, 300.0, 400.0]
PREDICTED = [110.0, 180.0, 300.0, 440.0]
DAYS = [2.0, 5.0, 10.0, 30.0]


def _frame(actual=ACTUAL, days=DAYS) -> pd.DataFrame:
    return pd.DataFrame({"price_usd": actual, "days_to_departure": days})


@pytest.fixture(scope="module")
def trained() -> TrainedModel:
    frame = make_training_frame(n=3000, seed=4)
    return train_model(frame, {**FAST_PARAMS, "nthread": 1}, holdout_days=7)


def test_metrics_match_the_textbook_formulas_on_a_tiny_frame() -> None:
    metrics = score(np.array(PREDICTED), _frame())

    # errors 10, -20, 0, 40; mean price 250, SStot = 150^2 + 50^2 + 50^2 + 150^2 = 50,000
    assert metrics["mae"] == pytest.approx((10 + 20 + 0 + 40) / 4)
    assert metrics["rmse"] == pytest.approx(np.sqrt((100 + 400 + 0 + 1600) / 4))
    assert metrics["mape"] == pytest.approx((0.1 + 0.1 + 0.0 + 0.1) / 4)
    assert metrics["r2"] == pytest.approx(1 - 2100 / 50_000)
    assert metrics[GUARDRAIL_METRIC] == pytest.approx(0.1)  # rows at 2 and 5 days only
    assert (metrics["rows"], metrics["rows_dtd_lt_7"]) == (4, 2)
    assert "null_reasons" not in metrics


def test_constant_prices_have_no_r2_and_say_why() -> None:
    metrics = score(np.array(PREDICTED), _frame(actual=[250.0] * 4))

    assert metrics["r2"] is None
    assert metrics["mae"] == pytest.approx((140 + 70 + 50 + 190) / 4)
    assert set(metrics["null_reasons"]) == {"r2"}
    assert "equal" in metrics["null_reasons"]["r2"]


def test_no_short_horizon_rows_gives_a_null_guardrail_with_its_reason() -> None:
    metrics = score(np.array(PREDICTED), _frame(days=[8.0, 9.0, 10.0, 30.0]))

    assert metrics[GUARDRAIL_METRIC] is None and metrics["rows_dtd_lt_7"] == 0
    assert metrics["null_reasons"] == {GUARDRAIL_METRIC: "no rows with days_to_departure < 7"}
    assert metrics["mape"] == pytest.approx(0.075)


def test_non_finite_predictions_give_null_metrics_and_nan_free_json() -> None:
    metrics = score(np.array([110.0, np.nan, 300.0, np.inf]), _frame())

    assert all(metrics[key] is None for key in METRIC_KEYS)
    assert set(metrics["null_reasons"]) == set(METRIC_KEYS)
    text = dumps(metrics)
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["rows"] == 4


def test_empty_frame_scores_to_nulls_with_reasons() -> None:
    metrics = score(np.array([]), _frame(actual=[], days=[]))

    assert all(metrics[key] is None for key in METRIC_KEYS) and metrics["rows"] == 0
    assert set(metrics["null_reasons"]) == set(METRIC_KEYS)


def test_model_and_both_baselines_carry_all_five_metrics(trained: TrainedModel) -> None:
    assert set(trained.baselines) == {"route_cabin_median", "route_cabin_dtd_median"}
    for name, metrics in {"model": trained.metrics, **trained.baselines}.items():
        for key in METRIC_KEYS:
            assert isinstance(metrics[key], float), (name, key)
        assert metrics["r2"] < 1 and metrics["mape"] > 0, name
    assert trained.metrics["r2"] > trained.baselines["route_cabin_median"]["r2"]


def test_baseline_metrics_equal_scoring_its_predictions() -> None:
    frame = make_training_frame(n=2000, seed=6)
    split = split_by_time(frame, holdout_days=7)
    baseline = fit_baselines(split.train)["route_cabin_dtd_median"]
    predicted = baseline.predict(split.holdout)
    actual = split.holdout["price_usd"].to_numpy()
    metrics = score(predicted, split.holdout)

    residual = np.sum((actual - predicted) ** 2)
    total = np.sum((actual - actual.mean()) ** 2)
    assert metrics["r2"] == pytest.approx(1 - residual / total)
    assert metrics["mape"] == pytest.approx(np.mean(np.abs(predicted - actual) / actual))


def test_shap_importance_is_the_mean_absolute_contribution(trained: TrainedModel) -> None:
    holdout = make_training_frame(n=400, seed=9)
    importance = shap_importance(trained, holdout)

    matrix = xgb.DMatrix(to_matrix(holdout, trained.spec), feature_names=list(trained.spec.columns),
                         feature_types=trained.spec.feature_types, enable_categorical=True)
    contributions = trained.booster.predict(matrix, pred_contribs=True)
    # SHAP values plus the bias add up to the model's raw (log-price) output.
    raw = trained.booster.predict(matrix)
    assert np.allclose(contributions.sum(axis=1), raw, atol=1e-4)
    expected = np.abs(contributions[:, :-1]).mean(axis=0)
    for j, name in enumerate(trained.spec.columns):
        assert importance[name] == pytest.approx(expected[j], rel=1e-5), name
    assert importance.is_monotonic_decreasing
    assert importance["days_to_departure"] > 0 and importance["cabin"] > 0


def test_shap_importance_uses_a_bounded_seeded_sample(trained: TrainedModel) -> None:
    holdout = make_training_frame(n=600, seed=10)

    sampled = shap_importance(trained, holdout, sample_rows=200, seed=1)
    assert sampled.equals(shap_importance(trained, holdout, sample_rows=200, seed=1))
    assert not sampled.equals(shap_importance(trained, holdout))
    assert shap_label(trained) == "mean |SHAP value| (log-price contribution)"


def test_shap_sample_shrinks_for_large_boosters_but_keeps_a_floor(
    trained: TrainedModel, monkeypatch
) -> None:
    from flightprice.train import _evaluation

    holdout = make_training_frame(n=3000, seed=11)
    assert shap_importance(trained, holdout).attrs["rows"] == len(holdout)  # small model: all

    monkeypatch.setattr(_evaluation, "SHAP_WORK", 100)
    assert _evaluation.shap_sample_rows(trained.booster) == _evaluation.SHAP_MIN_ROWS
    assert shap_importance(trained, holdout).attrs["rows"] == _evaluation.SHAP_MIN_ROWS

    monkeypatch.setattr(_evaluation, "SHAP_WORK", 150_000_000)
    rounds = trained.booster.num_boosted_rounds()
    full = _evaluation.shap_sample_rows(trained.booster)
    half = _evaluation.shap_sample_rows(trained.booster[: rounds // 2])
    assert _evaluation.SHAP_MIN_ROWS < full < half <= 5000, (full, half)
