"""Dynamic pricing: market fare -> adjustments -> guardrails -> rounded price + reasons."""

from flightprice._exports import lazy_exports

_EXPORTS = {
    "PricingParams": ".params",
    "CabinBounds": ".params",
    "CabinBoundsByCabin": ".params",
    "PriceResult": ".engine",
    "price_flights": ".engine",
    "Guardrail": ".engine",
    "GUARDRAILS": ".engine",
    "explain": ".reasons",
    "reasons_json": ".reasons",
}

__all__ = [*_EXPORTS]  # noqa: PLE0604 (the names of the lazy exports above)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
