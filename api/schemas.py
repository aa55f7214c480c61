"""Request and response bodies of the pricing API, with the examples shown in /docs.

Limits come from `flightprice.contract`, which `flightprice.serve._request_table` also applies
to Arrow IPC batches and scoring rows, so a flight is accepted or refused alike however it
arrives.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from flightprice.clock import naive_utc, utc_now
from flightprice.contract import (
    AIRPORT_PATTERN,
    CABINS,
    CARRIER_PATTERN,
    EARLIEST,
    LATEST,
    MAX_DAYS_AHEAD,
    MAX_DURATION_MINUTES,
    MAX_FLIGHT_NUMBER_LENGTH,
    MAX_PRICE,
    MAX_SEATS,
    MAX_STOPS,
    MIN_DURATION_MINUTES,
)
from flightprice.pricing.engine import GUARDRAILS
from flightprice.serve.unseen import FARE_SOURCES

# An enum, not a Literal: OpenAPI names it `Cabin`, and the routes read `.value`.
Cabin = Enum("Cabin", {cabin: cabin for cabin in CABINS}, type=str)

Guardrail = Literal[GUARDRAILS]  # type: ignore[valid-type]
Confidence = Literal["high", "medium", "low"]
FareSource = Literal[FARE_SOURCES]  # type: ignore[valid-type]
Airport = Annotated[str, Field(pattern=AIRPORT_PATTERN, description="IATA airport code.")]
# Answers carry an offset, as OpenAPI's date-time (RFC 3339) requires: naive values are UTC.
UtcDatetime = Annotated[
    datetime,
    PlainSerializer(lambda v: naive_utc(v).isoformat() + "Z", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
_RANGE = f"between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)"

# As docs/example-quote.json: a flight of the demo market (`flightprice generate` defaults).
PRICE_REQUEST_EXAMPLE: dict[str, Any] = {
    "carrier": "BA",
    "flight_number": "278",
    "origin": "CDG",
    "destination": "LAX",
    "cabin": "economy",
    "observed_at": "2026-09-20T12:00:00",
    "departure_at": "2026-10-15T17:05:00",
    "stops": 0,
    "duration_minutes": 710,
    "seats_remaining": 42,
    "capacity": 158,
    "last_price": 540.0,
}


class PriceRequest(BaseModel):
    """One flight and cabin to price, as of `observed_at` (default: now)."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={"examples": [PRICE_REQUEST_EXAMPLE]},
    )

    carrier: str = Field(pattern=CARRIER_PATTERN, description="IATA carrier code.")
    flight_number: str | None = Field(
        None, min_length=1, max_length=MAX_FLIGHT_NUMBER_LENGTH, description="Not a model input."
    )
    origin: Airport
    destination: Airport
    cabin: Cabin
    observed_at: datetime | None = Field(
        None,
        validate_default=True,
        description=f"When the price applies (UTC; naive means UTC), {_RANGE}. Default: now.",
    )
    departure_at: datetime = Field(
        description=f"Departure (UTC; naive means UTC), {_RANGE}; after observed_at, at "
        f"most {MAX_DAYS_AHEAD} days later."
    )
    # Numbers are strict: "stops": "1" or true is a client error, not a number.
    stops: int = Field(ge=0, le=MAX_STOPS, strict=True)
    duration_minutes: int = Field(ge=MIN_DURATION_MINUTES, le=MAX_DURATION_MINUTES, strict=True)
    seats_remaining: int | None = Field(
        None, ge=0, le=MAX_SEATS, strict=True, description="Unknown if absent."
    )
    capacity: int | None = Field(
        None, ge=1, le=MAX_SEATS, strict=True, description="Seats in this cabin; unknown if absent."
    )
    last_price: float | None = Field(
        None,
        gt=0,
        strict=True,
        le=MAX_PRICE,
        description="Last published price in USD: the reference of the per-cycle change limit.",
    )
    competitor_fare: float | None = Field(
        None,
        gt=0,
        strict=True,
        le=MAX_PRICE,
        description="The competitor's fare on offer now for this flight's route and cabin, in "
        "USD (e.g. scraped from the market). With FLIGHTPRICE_PRICING_POLICY optimal or oracle "
        "the price responds to it; absent, the quote is priced as without it.",
    )

    @field_validator("destination")
    @classmethod
    def _not_origin(cls, destination: str, info: ValidationInfo) -> str:
        if destination == info.data.get("origin"):
            raise ValueError("destination must differ from origin")
        return destination

    @field_validator("observed_at")
    @classmethod
    def _observed_default_now(cls, value: datetime | None) -> datetime:
        return naive_utc(utc_now()) if value is None else _naive_utc(value)

    @field_validator("departure_at")
    @classmethod
    def _departure_after_observed(cls, value: datetime, info: ValidationInfo) -> datetime:
        departure = _naive_utc(value)
        observed = info.data.get("observed_at")
        if observed is None:  # observed_at itself was invalid; that error is reported
            return departure
        if departure <= observed:
            raise ValueError(f"departure_at must be after observed_at ({observed.isoformat()})")
        if (departure - observed).days >= MAX_DAYS_AHEAD:
            raise ValueError(
                f"departure_at must be at most {MAX_DAYS_AHEAD} days after observed_at"
            )
        return departure


class BatchRequest(BaseModel):
    """Many flights; each is priced as a single request would be."""

    model_config = ConfigDict(extra="forbid")

    flights: list[PriceRequest] = Field(
        min_length=1,
        max_length=100_000,
        description="At most FLIGHTPRICE_API_BATCH_LIMIT flights (default 1000) per JSON "
        "request; more answers 413. For larger batches send Arrow IPC "
        "(application/vnd.apache.arrow.stream).",
    )


class Adjustments(BaseModel):
    demand: float = Field(description="Demand adjustment: multiplier - 1 (0.05 = +5%).")
    urgency: float = Field(description="Urgency adjustment: multiplier - 1.")


class Quote(BaseModel):
    """A recommended price and why."""

    price: float = Field(description="Recommended price, after guardrails and rounding.")
    currency: Literal["USD"] = "USD"
    market_fare: float = Field(description="The model's market fare.")
    adjustments: Adjustments
    load_factor: float | None = Field(description="1 - seats_remaining / capacity, if known.")
    expected_load_factor: float = Field(description="The booking curve at this many days out.")
    guardrail: Guardrail = Field(description="The guardrail that set the price, if any.")
    last_price: float | None
    reasons: list[str] = Field(description="Each step of the pricing, in order.")
    model_version: str
    observed_at: UtcDatetime
    days_to_departure: float
    unseen: list[str] = Field(
        description="Model inputs whose value the model never saw in training (route, origin, "
        "destination, carrier, cabin, and the flight if it is an input); a missing value "
        "counts as unseen. Empty: every input was seen."
    )
    confidence: Confidence = Field(
        description="high: nothing unseen; medium: something unseen, but the route, carrier "
        "and cabin are known (the flight, say); low: the route, carrier or cabin is unseen "
        "(an unseen airport makes its route unseen)."
    )
    fare_source: FareSource = Field(
        description="model: the model's market fare; baseline: the route x cabin median of "
        "the training prices (FLIGHTPRICE_UNSEEN_POLICY=baseline, something unseen, route and "
        "cabin known)."
    )
    policy: Literal["rule", "ladder", "optimal", "oracle"] = Field(
        "rule",
        description="The pricing policy that set the price (FLIGHTPRICE_PRICING_POLICY); a "
        "request without capacity or seats remaining is priced by rule.",
    )
    arm: Literal["champion", "challenger"] = Field(
        "champion",
        description="The experiment arm that priced this flight (FLIGHTPRICE_EXPERIMENT_*): "
        "champion, or challenger for its share of the flights; champion when none runs.",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "price": 561.99, "currency": "USD", "market_fare": 528.4,
                    "adjustments": {"demand": 0.063, "urgency": 0.0},
                    "load_factor": 0.72, "expected_load_factor": 0.594,
                    "guardrail": "none", "last_price": 540.0,
                    "reasons": ["market fare 528.40 USD", "demand +6.3%: ..."],
                    "model_version": "v20261126T070102Z-3fa9c1",
                    "observed_at": "2026-09-20T12:00:00", "days_to_departure": 25.27,
                    "unseen": [], "confidence": "high", "fare_source": "model",
                    "policy": "rule",
                }
            ]
        }
    )  # fmt: skip


class BatchQuotes(BaseModel):
    model_version: str
    count: int
    quotes: list[Quote]


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    model_loaded: bool
    model_version: str | None
    loaded_at: UtcDatetime | None
    uptime_seconds: float
    model_error: str | None = Field(None, description="Why no model is loaded, if none is.")
    fallback: str | None = Field(
        None,
        description="Set when the champion's artifact could not be loaded at start and the "
        "last good version is served instead (the registry is updated to name it).",
    )


class Ready(BaseModel):
    ready: bool
    model_version: str | None = None
    reason: str | None = None


class ServedDemandInfo(BaseModel):
    source: Literal["warehouse", "simulator"]
    version: str | None = Field(
        description="The fitted demand in use (`flightprice demand fit`); null while none was "
        "fitted, when optimal and ladder price by rule."
    )
    created_at: str | None = Field(description="When that demand was fitted.")


class ModelInfo(BaseModel):
    version: str
    sha256: str
    loaded_at: UtcDatetime | None
    created_at: str | None
    target_transform: str
    feature_columns: list[str]
    metrics: dict[str, Any]
    training_window: dict[str, Any]
    pricing: dict[str, Any] = Field(description="The dynamic-pricing parameters in force.")
    unseen_policy: Literal["price", "baseline", "refuse"] = Field(
        description="FLIGHTPRICE_UNSEEN_POLICY: what a request with unseen inputs gets."
    )
    known_flight: dict[str, Any] | None = Field(
        None,
        description="The most quoted flight of the training rows (request fields and its "
        "departure_time, HH:MM UTC): priced with nothing unseen. None for older models.",
    )
    demand: ServedDemandInfo = Field(
        description="The demand the optimal and ladder policies price with "
        "(FLIGHTPRICE_DEMAND_SOURCE and, from the warehouse, the fit in use)."
    )


class Reloaded(BaseModel):
    model_version: str
    previous_version: str | None
    loaded_at: UtcDatetime
    challenger_version: str | None = Field(
        default=None,
        description="A model experiment's challenger, loaded again with the champion; null "
        "without one, or while it cannot be loaded (its flights stay with the champion).",
    )


def _naive_utc(value: datetime) -> datetime:
    try:
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # year 1 at +01:00 is year 0: out of range, as far as we care
        value = datetime.min if value.year < EARLIEST.year else datetime.max
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be {_RANGE}")
    return value
