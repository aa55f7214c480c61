"""Dynamic pricing: the model's market fare -> adjustments -> guardrails -> rounded price.

One vectorised implementation, `price_flights`, prices a single API request (1-row arrays)
and a batch of millions of flights alike, so the API and batch scoring cannot disagree.

Steps, in this order, for every flight (amounts in USD):

1. Market fare: the model's prediction, taken as given (it must be finite and > 0).
2. Demand: ``× (1 + clip(demand_sensitivity × (load_factor − expected_load_factor),
   −max_demand_adjustment, +max_demand_adjustment))``, where the expected load factor is the
   usual booking curve ``final_load_factor / (1 + (days / half_booked_days) ^
   booking_curve_shape)``: with the defaults 0.12 at 90 days, 0.39 at 30, 0.64 at 12 and 0.82
   at departure (the synthetic market's usual curve; set your own from your booking data).
   Selling ahead of the curve raises the price, behind it lowers it. A missing load factor
   means no demand adjustment (the reasons say so). Load factors are clipped to [0, 1]; a
   negative days_to_departure counts as 0.
3. Urgency: ``× (1 + max_urgency_adjustment × (1 − days / urgency_window_days))`` inside the
   last urgency_window_days, else × 1: with the defaults +8% at departure, +4% at 3.5 days,
   nothing from 7 days out.
4. Change limit: the price is kept within ``[last × (1 − max_decrease), last × (1 +
   max_increase)]`` of the last published price, so it moves at most ±15% (default) per pricing
   cycle. Skipped where there is no last published price.
5. Cabin floor and ceiling: the price is clipped to the cabin's [floor_usd, ceiling_usd]. These
   win over the change limit where the two conflict (a last price below a raised floor).
6. Rounding, applied last: "charm" (nearest X.99), "whole" (nearest dollar), "cents" or
   "none". Where the nearest rounded value would leave the cabin bounds, it moves one step
   back inside. It does the same for the change limit, as long as a rounded price fits both the
   limit and the cabin bounds. So a floor of 49.00 gives 49.99, never 48.99.

The final price is therefore always finite, > 0 and within the cabin's [floor, ceiling]. Each
row records the guardrail that set its price: "none", "floor", "ceiling", "max_increase" or
"max_decrease" (floor or ceiling where a change limit applied first and a bound then overrode it).

The parameters and their defaults are in `params.PricingParams`; `reasons.explain(result, i)`
gives one row's reasons as sentences, `reasons.reasons_json(result)` every row's as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flightprice.contract import CABINS
from flightprice.pricing.params import PricingParams

__all__ = [
    "CABINS",
    "GUARDRAILS",
    "Guardrail",
    "PriceResult",
    "PricingParams",
    "price_flights",
]

GUARDRAILS: tuple[str, ...] = ("none", "floor", "ceiling", "max_increase", "max_decrease")
_CABIN_SET = pa.array(CABINS)
_CABIN_CODES = {cabin: code for code, cabin in enumerate(CABINS)}
_LOOKUP_ROWS = 256  # up to this many cabins are looked up one by one, not through Arrow
_ROUNDING_STEP = {"charm": 1.0, "whole": 1.0, "cents": 0.01, "none": 0.0}
# The change band is a product of floats (250 × 1.15 = 287.49999999999997); this slack keeps
# the rounding re-check from stepping away from a price that sits exactly on the limit.
_BAND_SLACK = 1e-9


class Guardrail(IntEnum):
    """Codes of `PriceResult.guardrail`; names as in `GUARDRAILS`."""

    NONE = 0
    FLOOR = 1
    CEILING = 2
    MAX_INCREASE = 3
    MAX_DECREASE = 4


@dataclass(frozen=True, eq=False)
class PriceResult:
    """Prices and their components, one element per input row (positional)."""

    price: np.ndarray
    market_fare: np.ndarray
    demand_adjustment: np.ndarray  # multiplier - 1; 0 where the load factor is unknown
    urgency_adjustment: np.ndarray  # multiplier - 1
    guardrail: np.ndarray  # int8 `Guardrail` codes
    expected_load_factor: np.ndarray
    cabin: np.ndarray  # int8 codes into CABINS
    days_to_departure: np.ndarray  # as priced: negatives count as 0
    load_factor: np.ndarray  # as priced: clipped to [0, 1], NaN when unknown
    last_price: np.ndarray  # NaN when none
    unrounded_price: np.ndarray  # after the guardrails, before rounding
    params: PricingParams

    def __len__(self) -> int:
        return len(self.price)

    @cached_property
    def _nearest_rounded(self) -> np.ndarray:
        # For `explain`: one vectorised pass for all rows, not one per row and sentence.
        return _round_to_grid(self.unrounded_price, self.params.rounding)

    @property
    def guardrail_names(self) -> np.ndarray:
        """Return the guardrail of each row by name."""
        return np.asarray(GUARDRAILS)[self.guardrail]

    def to_frame(self) -> pd.DataFrame:
        """Return every array as a column; guardrail and cabin as categoricals."""
        columns: dict[str, Any] = {
            "price": self.price,
            "market_fare": self.market_fare,
            "demand_adjustment": self.demand_adjustment,
            "urgency_adjustment": self.urgency_adjustment,
            "guardrail": pd.Categorical.from_codes(self.guardrail, categories=list(GUARDRAILS)),
            "expected_load_factor": self.expected_load_factor,
            "cabin": pd.Categorical.from_codes(self.cabin, categories=list(CABINS)),
            "days_to_departure": self.days_to_departure,
            "load_factor": self.load_factor,
            "last_price": self.last_price,
            "unrounded_price": self.unrounded_price,
        }
        return pd.DataFrame(columns, copy=False)


def price_flights(
    market_fare: Any,
    cabin: Any,
    days_to_departure: Any,
    load_factor: Any = None,
    last_price: Any = None,
    params: PricingParams | None = None,
) -> PriceResult:
    """Price flights from the model's market fares; array-likes of one length, matched by position.

    `load_factor` and `last_price` may hold NaN (or be None: unknown for every row); a length-1
    input is repeated to the length of `market_fare`. Raise ValueError on an unknown cabin, a
    market fare that is not finite and > 0, a non-finite days_to_departure, or a last price that
    is given but not finite and > 0.
    """
    params = PricingParams() if params is None else params
    fare = _float_array(market_fare, None, "market_fare")
    n = len(fare)
    days = np.maximum(_float_array(days_to_departure, n, "days_to_departure"), 0.0)
    load = np.clip(_float_array(load_factor, n, "load_factor"), 0.0, 1.0)
    last = _float_array(last_price, n, "last_price")
    codes = _cabin_codes(cabin, n)
    _require(np.isfinite(fare) & (fare > 0), "market_fare must be finite and > 0", fare)
    _require(np.isfinite(days), "days_to_departure must be finite", days)
    _require(
        np.isnan(last) | (np.isfinite(last) & (last > 0)), "last_price must be > 0 or NaN", last
    )

    expected = params.expected_load_factor(days)
    cap = params.max_demand_adjustment
    demand = np.clip(params.demand_sensitivity * (load - expected), -cap, cap)
    demand[np.isnan(demand)] = 0.0  # unknown load factor: no demand adjustment
    urgency = np.zeros(n)
    if params.urgency_window_days > 0:
        left = np.clip(1.0 - days / params.urgency_window_days, 0.0, 1.0)
        urgency = params.max_urgency_adjustment * left
    adjusted = fare * (1.0 + demand) * (1.0 + urgency)

    guardrail = np.zeros(n, dtype=np.int8)
    band_low = last * (1.0 - params.max_decrease)  # NaN where no last price: compares False
    band_high = last * (1.0 + params.max_increase)
    guarded = adjusted.copy()
    _clamp(guarded, guarded > band_high, band_high, guardrail, Guardrail.MAX_INCREASE)
    _clamp(guarded, guarded < band_low, band_low, guardrail, Guardrail.MAX_DECREASE)
    floors, ceilings = params.cabin_bounds.arrays()
    floor, ceiling = floors[codes], ceilings[codes]
    _clamp(guarded, guarded < floor, floor, guardrail, Guardrail.FLOOR)
    _clamp(guarded, guarded > ceiling, ceiling, guardrail, Guardrail.CEILING)

    # Rounding respects the change band too where a rounded price fits in band ∩ cabin bounds.
    step = _ROUNDING_STEP[params.rounding]
    low = np.fmax(floor, band_low * (1.0 - _BAND_SLACK))
    high = np.fmin(ceiling, band_high * (1.0 + _BAND_SLACK))
    narrow = high - low < step
    np.copyto(low, floor, where=narrow)
    np.copyto(high, ceiling, where=narrow)
    price = _round_within(guarded, params.rounding, low, high)
    return PriceResult(
        price=price, market_fare=fare, demand_adjustment=demand, urgency_adjustment=urgency,
        guardrail=guardrail, expected_load_factor=expected, cabin=codes,
        days_to_departure=days, load_factor=load, last_price=last, unrounded_price=guarded,
        params=params,
    )  # fmt: skip


def _float_array(values: Any, n: int | None, name: str) -> np.ndarray:
    """Return a float64 copy of `values` with missing as NaN, repeated to length n if length 1."""
    if values is None:
        if n is None:
            raise ValueError(f"{name} is required")
        return np.full(n, np.nan)
    if isinstance(values, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        array = values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        array = np.array(values, dtype=np.float64)
    array = np.atleast_1d(array)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if n is not None and len(array) != n:
        if len(array) != 1:
            raise ValueError(f"{name} has {len(array)} rows, market_fare has {n}")
        array = np.repeat(array, n)
    return array


def _cabin_codes(cabin: Any, n: int) -> np.ndarray:
    """Return int8 positions in CABINS; raise ValueError naming any unknown cabin."""
    if isinstance(cabin, str):
        cabin = [cabin]
    if isinstance(getattr(cabin, "dtype", None), pd.CategoricalDtype):
        codes = pd.Categorical(cabin, categories=list(CABINS)).codes
    elif isinstance(cabin, np.ndarray) and cabin.dtype == object and len(cabin) <= _LOOKUP_ROWS:
        # An API batch: a dict lookup per row costs less than a trip through Arrow.
        codes = [_CABIN_CODES.get(c, -1) if isinstance(c, str) else -1 for c in cabin]
    else:
        # Arrow hashes strings in C++; a pandas "str" column converts without a copy.
        try:
            if isinstance(cabin, (pa.Array, pa.ChunkedArray)):
                values = cabin
            elif isinstance(cabin, (pd.Series, pd.Index)):
                values = pa.array(cabin, from_pandas=True)
            else:
                values = pa.array(np.asarray(cabin, dtype=object), from_pandas=True)
            values = values.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise ValueError(f"cabin must be strings, one of {', '.join(CABINS)}") from exc
        index = pc.index_in(values, value_set=_CABIN_SET).fill_null(-1)
        codes = np.asarray(index.to_numpy(zero_copy_only=False), dtype=np.int8)
    codes = np.atleast_1d(np.asarray(codes, dtype=np.int8))
    if (codes < 0).any():
        unknown = pd.unique(np.atleast_1d(np.asarray(cabin, dtype=object))[codes < 0])
        shown = ", ".join(repr(v) for v in unknown[:5])
        raise ValueError(f"unknown cabin {shown}; expected one of {', '.join(CABINS)}")
    if len(codes) != n:
        if len(codes) != 1:
            raise ValueError(f"cabin has {len(codes)} rows, market_fare has {n}")
        codes = np.repeat(codes, n)
    return codes


def _require(ok: np.ndarray, message: str, values: np.ndarray) -> None:
    if not ok.all():
        bad = np.flatnonzero(~ok)
        raise ValueError(
            f"{message}: {len(bad)} row(s), first at position {bad[0]} ({values[bad[0]]!r})"
        )


def _clamp(
    price: np.ndarray, hit: np.ndarray, bound: np.ndarray, codes: np.ndarray, code: Guardrail
) -> None:
    np.copyto(price, bound, where=hit)
    codes[hit] = code


def _round_to_grid(price: np.ndarray, mode: str) -> np.ndarray:
    """Return the nearest rounded price (halves go up)."""
    if mode == "none":
        return price.copy()
    scale = 100.0 if mode == "cents" else 1.0
    offset = 0.01 if mode == "charm" else 0.0  # X.99 is the whole number above, less a cent
    rounded = price * scale
    rounded += 0.5 + offset
    np.floor(rounded, out=rounded)
    rounded /= scale
    rounded -= offset
    return rounded


def _round_within(price: np.ndarray, mode: str, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Round, then move one step back inside [low, high] (which is at least one step wide)."""
    step = _ROUNDING_STEP[mode]
    rounded = _round_to_grid(price, mode)
    if step:
        np.subtract(rounded, step, out=rounded, where=rounded > high)
        np.add(rounded, step, out=rounded, where=rounded < low)
    return rounded
