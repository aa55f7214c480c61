"""The data contract's vocabularies and limits, defined once (see docs/contracts.md).

Ingest validation, the request checks, the API schemas and pricing import these; dbt reads
the cabins from `vars` in dbt/dbt_project.yml and the currencies from the dated
`currency_rates` seed, and tests/test_contract.py fails if either copy drifts. Plain constants only: the CLI
imports this at start-up.
"""

from datetime import datetime

CABINS: tuple[str, ...] = ("economy", "premium_economy", "business", "first")
# ISO 4217 codes the shipped `currency_rates` seed has dated rates for. A raw fare may be
# quoted in any currency with a rate on or before its observation date, from that seed or
# from the `currency_rates` feed.
CURRENCIES: tuple[str, ...] = (
    "USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "SGD", "AED", "INR",
)  # fmt: skip

# Anchored, because pydantic and Arrow search for a match anywhere in the text.
CARRIER_PATTERN = r"^[A-Z0-9]{2}$"  # IATA airline designator
AIRPORT_PATTERN = r"^[A-Z]{3}$"  # IATA airport code
MAX_FLIGHT_NUMBER_LENGTH = 16

# Intermediate stops of one itinerary. Sellers' search results reach 4 (the realistic
# profile writes them) and "milk run" flights stop more: United's Island Hopper (Honolulu to
# Guam) makes 5. 6 admits those and still refuses typos such as 10 or 99.
MAX_STOPS = 6
# Minutes from departure to arrival. The shortest scheduled flight (Westray to Papa Westray)
# is 2 minutes; 5,000 (83 hours) covers the longest multi-stop itineraries sellers quote.
MIN_DURATION_MINUTES = 1
MAX_DURATION_MINUTES = 5_000
# Seats in one cabin of one flight (capacity, and so seats_remaining). The largest aircraft
# is certified for 853 passengers, so 1,000 admits every real cabin; the raw-data check
# (1,000) and the request check (10,000) used to disagree, which let the API price a flight
# the warehouse would have refused.
MAX_SEATS = 1_000
# The highest fare, in USD. Requests give USD; ingest converts a raw price at the rate of
# its observation date (see docs/contracts.md) and checks the USD amount, so a 250,000 INR
# business fare (about 3,000 USD) passes and a 200,000 USD one does not.
MAX_PRICE = 100_000.0
# The lowest plausible fare in USD, checked at ingest after conversion (requests only need a
# positive price). Pricing has per-cabin floors of its own; the contract has none.
MIN_PRICE_USD = 1.0
# Seats in one booking (a passenger name record): reservation systems take at most 9 names
# per booking; larger parties are group bookings, which the bookings feed does not carry.
MAX_BOOKING_SEATS = 9
MAX_DAYS_AHEAD = 400  # the furthest a departure may be from when it is priced
# Timestamps outside [EARLIEST, LATEST) are refused: they cannot be real quotes, and pandas'
# nanosecond timestamps end in 2262.
EARLIEST = datetime(2000, 1, 1)
LATEST = datetime(2100, 1, 1)
