"""Why a price is what it is: sentences for one row, compact JSON for every row.

`explain(result, i)` gives one row's reasons as sentences; `reasons_json(result)` gives every
row's reasons as compact JSON for ML_PREDICTIONS.FLIGHT_PRICES.reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flightprice.contract import CABINS
from flightprice.pricing.engine import GUARDRAILS, Guardrail, PriceResult
from flightprice.pricing.params import CabinBounds

__all__ = ["explain", "reasons_json"]


def explain(result: PriceResult, i: int) -> list[str]:
    """Return the reasons for row `i`'s price as sentences, one per step."""
    p, days = result.params, float(result.days_to_departure[i])
    urgency = float(result.urgency_adjustment[i])
    if urgency > 0:
        urgency_reason = f"urgency {urgency:+.1%}: {days:.1f} days to departure"
    else:
        window = p.urgency_window_days
        urgency_reason = f"urgency: none ({days:.1f} days to departure, window {window:g} days)"
    return [
        f"market fare {result.market_fare[i]:.2f} USD",
        _demand_reason(result, i),
        urgency_reason,
        _guardrail_reason(result, i),
        _rounding_reason(result, i),
    ]


def _demand_reason(result: PriceResult, i: int) -> str:
    p, load = result.params, float(result.load_factor[i])
    if np.isnan(load):
        return "demand: no adjustment (load factor unknown)"
    expected, days = float(result.expected_load_factor[i]), float(result.days_to_departure[i])
    reason = (
        f"demand {result.demand_adjustment[i]:+.1%}: load factor {load:.2f} "
        f"vs {expected:.2f} expected at {days:.1f} days"
    )
    if abs(p.demand_sensitivity * (load - expected)) > p.max_demand_adjustment:
        reason += f" (capped at ±{_pct(p.max_demand_adjustment)})"
    return reason


def _guardrail_reason(result: PriceResult, i: int) -> str:
    p, last, cabin = result.params, float(result.last_price[i]), CABINS[result.cabin[i]]
    bounds: CabinBounds = getattr(p.cabin_bounds, cabin)
    multiplier = (1 + result.demand_adjustment[i]) * (1 + result.urgency_adjustment[i])
    adjusted = f"adjusted price {result.market_fare[i] * multiplier:.2f}"
    match Guardrail(result.guardrail[i]):
        case Guardrail.NONE if np.isnan(last):
            return "guardrail: none (no last published price, so no change limit)"
        case Guardrail.NONE:
            return f"guardrail: none (within the change limit vs last published {last:.2f})"
        case Guardrail.MAX_INCREASE:
            limit = f"+{_pct(p.max_increase)}"
            return f"guardrail: limited to {limit} of last published {last:.2f} ({adjusted})"
        case Guardrail.MAX_DECREASE:
            limit = f"-{_pct(p.max_decrease)}"
            return f"guardrail: limited to {limit} of last published {last:.2f} ({adjusted})"
        case Guardrail.FLOOR:
            return f"guardrail: cabin floor {bounds.floor_usd:.2f} ({cabin}, {adjusted})"
        case _:
            return f"guardrail: cabin ceiling {bounds.ceiling_usd:.2f} ({cabin}, {adjusted})"


def _rounding_reason(result: PriceResult, i: int) -> str:
    mode, price = result.params.rounding, float(result.price[i])
    if mode == "none":
        return f"not rounded: {price:.2f}"
    reason = f"rounded ({mode}) to {price:.2f}"
    nearest = float(result._nearest_rounded[i])
    if nearest != price:
        bounds: CabinBounds = getattr(result.params.cabin_bounds, CABINS[result.cabin[i]])
        crossed = (
            "cabin ceiling" if nearest > bounds.ceiling_usd
            else "cabin floor" if nearest < bounds.floor_usd
            else "change limit vs last published"
        )  # fmt: skip
        reason += f" (nearest {nearest:.2f} would cross the {crossed})"
    return reason


def reasons_json(result: PriceResult) -> pd.Series:
    """Return one compact JSON object per row for FLIGHT_PRICES.reasons (Arrow-backed strings).

    Trade-off: the warehouse gets the codes and numbers behind the reasons, not `explain`'s
    sentences. Sentences need per-row Python formatting (about 10 s per million rows) and ~300
    bytes a row; this JSON is built with Arrow compute kernels from the rows each key applies
    to (under a second per million rows), averages ~80 bytes, and stays queryable (Snowflake
    PARSE_JSON, DuckDB ->>).
    Keys: ``demand_pct``, ``load_factor``, ``expected_load_factor`` (or ``"demand":
    "no_load_factor"``); ``urgency_pct`` when > 0; ``guardrail`` and ``bound_usd`` (the price it
    set, before rounding) when one applied. Price, market fare and rounding are columns or
    parameters of their own. `explain` gives the sentences for any single row.
    """
    r = result
    demand = _only_where(
        ~np.isnan(r.load_factor),
        lambda i: _concat(
            '"demand_pct":', _number(r.demand_adjustment[i] * 100, 1),
            ',"load_factor":', _number(r.load_factor[i], 3),
            ',"expected_load_factor":', _number(r.expected_load_factor[i], 3),
        ),
        otherwise='"demand":"no_load_factor"',
    )  # fmt: skip
    urgency = _only_where(
        r.urgency_adjustment > 0,
        lambda i: _concat(',"urgency_pct":', _number(r.urgency_adjustment[i] * 100, 1)),
    )
    names = pa.array(GUARDRAILS)
    guardrail = _only_where(
        r.guardrail != Guardrail.NONE,
        lambda i: _concat(
            ',"guardrail":"', pc.take(names, pa.array(r.guardrail[i])),
            '","bound_usd":', _number(r.unrounded_price[i], 2),
        ),
    )  # fmt: skip
    joined = _concat("{", demand, urgency, guardrail, "}")
    return pd.Series(pd.array(joined, dtype="str"), name="reasons", copy=False)


def _number(values: np.ndarray, decimals: int) -> pa.Array:
    """Return values rounded to `decimals` as shortest JSON number strings ("4.2", "-15")."""
    rounded = np.round(values, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    # Each distinct value formatted once: load factors and percentages take a few thousand
    # values per chunk, and the hash costs less than formatting every row (0.06 -> 0.015 CPU-s
    # per 1M rows and column; benchmarks/README.md, session 6 scoring).
    encoded = pc.dictionary_encode(pa.array(rounded))
    return pc.take(pc.cast(encoded.dictionary, pa.string()), encoded.indices)


def _only_where(
    mask: np.ndarray, build: Callable[[np.ndarray], pa.Array], otherwise: str = ""
) -> pa.Array:
    """Return `build(rows)` at the masked rows and `otherwise` elsewhere, formatting only those."""
    rows = np.flatnonzero(mask)
    base = pa.repeat(pa.scalar(otherwise), len(mask))
    if len(rows) == 0:
        return base
    return pc.replace_with_mask(base, pa.array(mask), build(rows))


def _concat(*parts: Any) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _pct(fraction: float) -> str:
    return f"{fraction * 100:g}%"
