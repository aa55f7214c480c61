"""Score: batch-price every flight on sale into FLIGHT_PRICES and PRICE_HISTORY."""

from flightprice._exports import lazy_exports

_EXPORTS = {
    "run_scoring": ".batch",
    "ScoringError": ".batch",
}

__all__ = [*_EXPORTS]  # noqa: PLE0604 (the names of the lazy exports above)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
