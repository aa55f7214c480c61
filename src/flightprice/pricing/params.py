"""The dynamic-pricing policy: every parameter, its default and its allowed range.

Pydantic only (no numpy, pandas or pyarrow at import): `flightprice.settings` reads the policy
from the environment, and the CLI imports settings at start-up. `engine.price_flights` applies
the policy; its docstring gives the order of the steps.

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
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from flightprice.contract import CABINS

if TYPE_CHECKING:
    import numpy as np

__all__ = ["CabinBounds", "CabinBoundsByCabin", "PricingParams"]


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
        import numpy as np  # imported here: settings (and so the CLI) import this module

        bounds = [getattr(self, cabin) for cabin in CABINS]
        return np.array([b.floor_usd for b in bounds]), np.array([b.ceiling_usd for b in bounds])


class PricingParams(_Frozen):
    """Every knob of the dynamic-pricing policy; `engine` gives the order of steps."""

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
        import numpy as np  # imported here: settings (and so the CLI) import this module

        days = np.maximum(np.asarray(days_to_departure, dtype=np.float64), 0.0)
        return self.final_load_factor / (
            1.0 + (days / self.half_booked_days) ** self.booking_curve_shape
        )
