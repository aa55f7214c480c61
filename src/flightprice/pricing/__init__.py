"""Dynamic pricing: market fare -> adjustments -> guardrails -> rounded price + reasons."""

from flightprice._exports import lazy_exports

_EXPORTS = {
    "PricingParams": ".engine",
    "PriceResult": ".engine",
    "price_flights": ".engine",
    "explain": ".engine",
    "reasons_json": ".engine",
    "Guardrail": ".engine",
    "GUARDRAILS": ".engine",
}

__all__ = [*_EXPORTS]  # noqa: PLE0604 (the names of the lazy exports above)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
