"""Serve: the one pricing path (request rows -> features -> model fare -> price) and its API client."""

from flightprice._exports import lazy_exports

_EXPORTS = {
    "quote": ".quoting",
    "Quotes": ".quoting",
    "ModelHolder": ".quoting",
    "NoChampionError": ".quoting",
    "load_served_model": ".quoting",
    "model_version_of": ".quoting",
    "PRICED_SCHEMA": ".quoting",
    "request_frame": "._request_table",
    "RequestTableError": "._request_table",
    "REQUEST_COLUMNS": "._request_table",
    "PricingClient": ".client",
    "ApiError": ".client",
    "run_smoke_test": ".smoke",
    "UnseenPolicy": ".unseen",
    "UNSEEN_POLICIES": ".unseen",
    "load_champion_or_fallback": ".fallback",
    "Fallback": ".fallback",
}

__all__ = [*_EXPORTS]  # noqa: PLE0604 (the names of the lazy exports above)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
