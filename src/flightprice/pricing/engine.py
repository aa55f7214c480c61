"""Dynamic pricing: the model's market fare -> adjustments -> guardrails -> rounded price + reasons.

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

Parameters (`PricingParams`; out-of-range values are rejected):

| parameter | default | meaning |
|---|---|---|
| demand_sensitivity | 0.5 | price change per unit of load factor ahead of the curve (0.1 → +5%) |
| max_demand_adjustment | 0.15 | cap on the demand adjustment either way (±15%) |
| final_load_factor | 0.82 | booking curve at departure |
| half_booked_days | 28 | days out at which the curve is half of final_load_factor |
| booking_curve_shape | 1.5 | steepness of the curve; higher = bookings come later |
| urgency_window_days | 7 | urgency applies inside this many days of departure (0 = off) |
| max_urgency_adjustment | 0.08 | urgency uplift at departure, falling linearly to 0 at the window |
| max_increase | 0.15 | largest rise over the last published price per cycle (+15%) |
| max_decrease | 0.15 | largest fall below the last published price per cycle (−15%) |
| cabin_bounds | see below | floor_usd and ceiling_usd per cabin (ceiling ≥ floor + 1, floor ≥ 1) |
| rounding | "charm" | "charm", "whole", "cents" or "none" |

Default cabin bounds (USD, floor / ceiling), wide enough to bind only on a model glitch in the
synthetic market: economy 19 / 6,000; premium_economy 29 / 10,000; business 49 / 25,000; first
99 / 40,000.

`explain(result, i)` gives one row's reasons as sentences; `reasons_json(result)` gives every
row's reasons as compact JSON for ML_PREDICTIONS.FLIGHT_PRICES.reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, model_validator

from flightprice.contract import CABINS

__all__ = [
    "CABINS",
    "GUARDRAILS",
    "CabinBounds",
    "CabinBoundsByCabin",
    "Guardrail",
    "PriceResult",
    "PricingParams",
    "explain",
    "price_flights",
    "reasons_json",
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


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class CabinBounds(_Frozen):
    """The lowest and highest price a cabin may be sold at."""

    floor_usd: float = Field(ge=1, description="Lowest recommended price in USD (at least 1).")
    ceiling_usd: float = Field(
        description="Highest recommended price in USD; at least floor_usd + 1, so every rounding "
        "rule has a value inside the bounds."
    )

    @model_validator(mode="after")
    def _floor_below_ceiling(self) -> CabinBounds:
        if self.ceiling_usd < self.floor_usd + 1:
            raise ValueError(
                f"ceiling_usd {self.ceiling_usd} must be at least floor_usd + 1 "
                f"= {self.floor_usd + 1}"
            )
        return self


class CabinBoundsByCabin(_Frozen):
    """Floor and ceiling for each cabin; override one cabin and keep the others' defaults."""

    economy: CabinBounds = Field(
        default=CabinBounds(floor_usd=19, ceiling_usd=6_000), description="Economy bounds."
    )
    premium_economy: CabinBounds = Field(
        default=CabinBounds(floor_usd=29, ceiling_usd=10_000), description="Premium economy bounds."
    )
    business: CabinBounds = Field(
        default=CabinBounds(floor_usd=49, ceiling_usd=25_000), description="Business bounds."
    )
    first: CabinBounds = Field(
        default=CabinBounds(floor_usd=99, ceiling_usd=40_000), description="First class bounds."
    )

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Return floors and ceilings indexed by cabin code (position in `CABINS`)."""
        bounds = [getattr(self, cabin) for cabin in CABINS]
        return np.array([b.floor_usd for b in bounds]), np.array([b.ceiling_usd for b in bounds])


class PricingParams(_Frozen):
    """Every knob of the dynamic-pricing policy; the module docstring gives the order of steps."""

    demand_sensitivity: float = Field(
        default=0.5, ge=0, le=5,
        description="Relative price change per unit of load factor above (below) the expected "
        "booking curve: 0.5 and a load factor 0.10 ahead of the curve give +5%.",
    )  # fmt: skip
    max_demand_adjustment: float = Field(
        default=0.15, ge=0, lt=1,
        description="Cap on the demand adjustment in either direction (0.15 = at most ±15%).",
    )  # fmt: skip
    final_load_factor: float = Field(
        default=0.82, gt=0, le=1,
        description="Expected load factor at departure: the booking curve's end point.",
    )  # fmt: skip
    half_booked_days: float = Field(
        default=28.0, gt=0, le=365,
        description="Days before departure at which the expected load factor is half of "
        "final_load_factor.",
    )  # fmt: skip
    booking_curve_shape: float = Field(
        default=1.5, gt=0, le=10,
        description="Steepness of the booking curve final / (1 + (days / half_booked_days) ^ "
        "shape); higher means bookings come later and faster.",
    )  # fmt: skip
    urgency_window_days: float = Field(
        default=7.0, ge=0, le=90,
        description="Urgency applies within this many days of departure (0 turns it off).",
    )  # fmt: skip
    max_urgency_adjustment: float = Field(
        default=0.08, ge=0, le=1,
        description="Urgency uplift at departure; it falls linearly to 0 at urgency_window_days.",
    )  # fmt: skip
    max_increase: float = Field(
        default=0.15, ge=0, le=10,
        description="Largest rise over the last published price in one pricing cycle "
        "(0.15 = +15%).",
    )  # fmt: skip
    max_decrease: float = Field(
        default=0.15, ge=0, lt=1,
        description="Largest fall below the last published price in one pricing cycle "
        "(0.15 = -15%).",
    )  # fmt: skip
    cabin_bounds: CabinBoundsByCabin = Field(
        default_factory=CabinBoundsByCabin,
        description="Floor and ceiling in USD per cabin; they win over the change limit.",
    )
    rounding: Literal["charm", "whole", "cents", "none"] = Field(
        default="charm",
        description="Applied last: 'charm' = nearest X.99, 'whole' = nearest dollar, 'cents' = "
        "nearest cent, 'none' = unrounded. Never moves a price outside the cabin bounds.",
    )

    def expected_load_factor(self, days_to_departure: Any) -> np.ndarray:
        """Return the usual load factor this many days before departure (the booking curve)."""
        days = np.maximum(np.asarray(days_to_departure, dtype=np.float64), 0.0)
        return self.final_load_factor / (
            1.0 + (days / self.half_booked_days) ** self.booking_curve_shape
        )


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


def _number(values: np.ndarray, decimals: int) -> pa.Array:
    """Return values rounded to `decimals` as shortest JSON number strings ("4.2", "-15")."""
    rounded = np.round(values, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    return pc.cast(pa.array(rounded), pa.string())


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
