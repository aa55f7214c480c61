"""Champion/challenger decision: a clear MAPE gain, and no regression where fares move most."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from flightprice.train._evaluation import GUARDRAIL_DAYS, GUARDRAIL_METRIC, evaluate

if TYPE_CHECKING:
    from flightprice.train.model import LoadedModel

FIRST_MODEL_REASON = "first model: no champion"
# Tiny relative slack on the short-horizon guardrail (10.00% may become 10.05%): near-identical
# models differ by that much through rounding and tree ties, which must not block a clear
# overall gain; anything larger counts as a regression.
GUARDRAIL_TOLERANCE = 0.005


@dataclass(frozen=True)
class Decision:
    """Whether a challenger should replace the champion, and why."""

    promote: bool
    reason: str
    first_model: bool = False
    challenger_metrics: Mapping[str, Any] | None = None
    champion_metrics: Mapping[str, Any] | None = None

    @property
    def outcome(self) -> str:
        """The TRAINING_LOG `decision` value: first_champion, promoted or rejected."""
        if self.first_model:
            return "first_champion"
        return "promoted" if self.promote else "rejected"


def compare(
    challenger_metrics: Mapping[str, Any],
    champion_metrics: Mapping[str, Any] | None,
    margin: float,
) -> Decision:
    """Promote only on a MAPE gain beyond `margin` with no short-horizon (< 7 days) regression."""
    if not 0 <= margin < 1:
        raise ValueError(f"margin is a fraction in [0, 1), got {margin}")
    if champion_metrics is None:
        return Decision(
            True, FIRST_MODEL_REASON, first_model=True, challenger_metrics=challenger_metrics
        )

    def decide(promote: bool, reason: str) -> Decision:
        return Decision(promote, reason, False, challenger_metrics, champion_metrics)

    new, old = _metric(challenger_metrics, "mape"), _metric(champion_metrics, "mape")
    if new is None or old is None:
        return decide(False, "cannot compare: MAPE missing for the challenger or the champion")
    needed = old * (1 - margin)
    if not new < needed:
        return decide(
            False,
            f"challenger MAPE {new:.2%} is not below champion MAPE {old:.2%} less the "
            f"{margin:.1%} margin ({needed:.2%})",
        )
    gain = f"challenger MAPE {new:.2%} beats champion {old:.2%} by more than {margin:.1%}"
    new_short = _metric(challenger_metrics, GUARDRAIL_METRIC)
    old_short = _metric(champion_metrics, GUARDRAIL_METRIC)
    horizon = f"MAPE at days_to_departure < {GUARDRAIL_DAYS}"
    if new_short is None or old_short is None:
        return decide(True, f"{gain}; guardrail not checked: no {horizon} for both models")
    limit = old_short * (1 + GUARDRAIL_TOLERANCE)
    if new_short > limit:
        return decide(
            False,
            f"guardrail: {gain}, but its {horizon} is {new_short:.2%}, worse than the "
            f"champion's {old_short:.2%} (tolerance {GUARDRAIL_TOLERANCE:.1%} relative)",
        )
    return decide(True, f"{gain}; {horizon} {new_short:.2%} vs {old_short:.2%} (not worse)")


def compare_models(
    challenger: LoadedModel,
    champion_model: LoadedModel | None,
    holdout_frame: pd.DataFrame,
    margin: float,
) -> Decision:
    """Score both models on the same labelled rows, then `compare` them."""
    challenger_metrics = evaluate(challenger, holdout_frame)
    if champion_model is None:
        return compare(challenger_metrics, None, margin)
    return compare(challenger_metrics, evaluate(champion_model, holdout_frame), margin)


def _metric(metrics: Mapping[str, Any], name: str) -> float | None:
    value = metrics.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)
