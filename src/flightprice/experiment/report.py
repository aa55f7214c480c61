"""Revenue per flight by arm, the difference with a 95% interval, and what to do about it.

Each flight in the assignment log is one unit of the experiment; its revenue is the sum of
its bookings (zero when it sold nothing), credited to the arm that priced it. A flight that
appears under both arms (the challenger could not be loaded for a while, or the split
changed) is left out and counted. The difference of the mean revenue per flight
(challenger - champion) gets Welch's t interval (unequal variances, as two pricing policies
spread revenue differently). The recommendation: `switch` when the interval is above zero,
`keep` when it is below, `inconclusive` otherwise or while an arm has fewer than
`min_flights` flights.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats  # a dependency of xgboost: Student's t quantiles

from flightprice.experiment.arms import ARMS

Recommendation = Literal["keep", "switch", "inconclusive"]
MIN_FLIGHTS = 10
UPLIFT_NOTE = (
    "uplift_ci95 divides the difference's interval by the champion's mean "
    "(its own uncertainty is not counted)"
)


@dataclass(frozen=True)
class ArmSummary:
    arm: str
    flights: int
    flights_with_bookings: int
    bookings: int
    seats: int
    revenue_usd: float
    revenue_per_flight_usd: float | None
    revenue_per_flight_sd: float | None
    priced_by: list[str]  # model versions (and the challenger's name) seen in the log


@dataclass
class ExperimentReport:
    """What `flightprice experiment report` prints (`to_dict` is its --json document)."""

    experiment: str | None
    arms: list[ArmSummary]
    revenue_per_flight_diff: float | None  # challenger - champion, USD
    ci95: list[float] | None  # of that difference, USD
    revenue_uplift: float | None  # relative to the champion's mean (0.031 = +3.1%)
    uplift_ci95: list[float] | None  # the interval over the champion's mean
    recommendation: Recommendation
    reason: str
    mixed_flights: int = 0  # flights logged under both arms, left out
    unattributed_bookings: int = 0  # bookings of flights no experiment quote priced
    confidence: float = 0.95
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def experiment_report(
    assignments: pd.DataFrame,
    bookings: pd.DataFrame,
    *,
    experiment: str | None = None,
    min_flights: int = MIN_FLIGHTS,
    confidence: float = 0.95,
) -> ExperimentReport:
    """Credit `bookings` (flight_id, seats, revenue_usd) to the arms of `assignments`."""
    arms_of = assignments.groupby("flight_id")["arm"].agg(lambda a: frozenset(a))
    mixed = arms_of[arms_of.map(len) > 1]
    units = arms_of[arms_of.map(len) == 1].map(lambda a: next(iter(a))).rename("arm")
    sold = bookings.groupby("flight_id").agg(
        bookings=("revenue_usd", "size"), seats=("seats", "sum"), revenue_usd=("revenue_usd", "sum")
    )
    per_flight = (
        units.to_frame()
        .join(sold, how="left")
        .fillna({"bookings": 0, "seats": 0, "revenue_usd": 0.0})
    )
    unattributed = int(sold.loc[~sold.index.isin(arms_of.index), "bookings"].sum())
    summaries = [_summary(arm, per_flight, assignments) for arm in ARMS]
    champion, challenger = (per_flight.loc[per_flight["arm"] == a, "revenue_usd"] for a in ARMS)
    diff, ci = _welch(challenger.to_numpy(float), champion.to_numpy(float), confidence)
    recommendation, reason = _recommend(summaries, ci, min_flights)
    base = summaries[0].revenue_per_flight_usd
    relative = base is not None and base > 0 and diff is not None
    return ExperimentReport(
        experiment=experiment,
        arms=summaries,
        revenue_per_flight_diff=diff,
        ci95=ci,
        revenue_uplift=diff / base if relative else None,
        uplift_ci95=[c / base for c in ci] if relative and ci is not None else None,
        recommendation=recommendation,
        reason=reason,
        mixed_flights=len(mixed),
        unattributed_bookings=unattributed,
        confidence=confidence,
        notes=[UPLIFT_NOTE],
    )


def _summary(arm: str, per_flight: pd.DataFrame, assignments: pd.DataFrame) -> ArmSummary:
    rows = per_flight[per_flight["arm"] == arm]
    revenue = rows["revenue_usd"].to_numpy(float)
    logged = assignments[assignments["arm"] == arm]
    priced_by = sorted({str(v) for v in logged["model_version"].dropna()})
    return ArmSummary(
        arm=arm,
        flights=len(rows),
        flights_with_bookings=int((rows["bookings"] > 0).sum()),
        bookings=int(rows["bookings"].sum()),
        seats=int(rows["seats"].sum()),
        revenue_usd=float(revenue.sum()),
        revenue_per_flight_usd=float(revenue.mean()) if len(revenue) else None,
        revenue_per_flight_sd=float(revenue.std(ddof=1)) if len(revenue) > 1 else None,
        priced_by=priced_by,
    )


def _welch(
    a: np.ndarray, b: np.ndarray, confidence: float
) -> tuple[float | None, list[float] | None]:
    """Return mean(a) - mean(b) and its Welch t interval (None where undefined)."""
    if len(a) == 0 or len(b) == 0:
        return None, None
    diff = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return diff, None
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, [diff, diff]
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, dof)) * se
    return diff, [diff - half, diff + half]


def _recommend(
    summaries: list[ArmSummary], ci: list[float] | None, min_flights: int
) -> tuple[Recommendation, str]:
    short = [s.arm for s in summaries if s.flights < min_flights]
    if short:
        return "inconclusive", (
            f"too few flights in {', '.join(short)} (fewer than {min_flights}): keep running"
        )
    if ci is None:
        return "inconclusive", "no interval: the arms have no revenue spread to compare"
    low, high = ci
    if low > 0:
        return (
            "switch",
            f"the challenger earns more per flight (interval {low:.2f}..{high:.2f} USD)",
        )
    if high < 0:
        return "keep", f"the champion earns more per flight (interval {low:.2f}..{high:.2f} USD)"
    return "inconclusive", (
        f"the interval {low:.2f}..{high:.2f} USD includes zero: keep the champion and run longer"
    )
