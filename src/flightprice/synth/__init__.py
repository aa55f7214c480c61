"""Synthetic market: a seeded flight network and its daily schedule, fare and bookings files."""

from flightprice._exports import lazy_exports

_EXPORTS = {
    "generate_market": ".generate",
    "read_market_summary": ".generate",
    "expected_noise_floor": ".generate",
    "true_price": ".generate",
    "price_components": ".generate",
    "MarketReport": ".generate",
    "FARE_COLUMNS": ".generate",
    "SCHEDULE_COLUMNS": ".generate",
    "BAD_ROWS_KEY": "._realistic",
    "RATES_FEED": "._realistic",
    "BOOKING_COLUMNS": "._bookings",
    "draw_bookings": "._bookings",
    "market_flights": "._bookings",
    "write_bookings": "._bookings",
}

__all__ = [*_EXPORTS]  # noqa: PLE0604 (the names of the lazy exports above)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
