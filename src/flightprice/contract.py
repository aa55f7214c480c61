"""The data contract's vocabularies and limits, defined once (see docs/contracts.md).

Ingest validation, the request checks, the API schemas and pricing import these; dbt reads
the cabins from `vars` in dbt/dbt_project.yml and the currencies from the `currency_rates`
seed, and tests/test_contract.py fails if either copy drifts. Plain constants only: the CLI
imports this at start-up.
"""

from datetime import datetime

CABINS: tuple[str, ...] = ("economy", "premium_economy", "business", "first")
# ISO 4217 codes a raw fare may be quoted in: those the `currency_rates` seed can convert.
CURRENCIES: tuple[str, ...] = (
    "USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "SGD", "AED", "INR",
)  # fmt: skip

# Anchored, because pydantic and Arrow search for a match anywhere in the text.
CARRIER_PATTERN = r"^[A-Z0-9]{2}$"  # IATA airline designator
AIRPORT_PATTERN = r"^[A-Z]{3}$"  # IATA airport code
MAX_FLIGHT_NUMBER_LENGTH = 16

MAX_STOPS = 3
MAX_DURATION_MINUTES = 5_000
# Seats in one cabin of one flight (capacity, and so seats_remaining). The largest aircraft
# is certified for 853 passengers, so 1,000 admits every real cabin; the raw-data check
# (1,000) and the request check (10,000) used to disagree, which let the API price a flight
# the warehouse would have refused.
MAX_SEATS = 1_000
# The highest fare, exclusive of zero. Requests give USD; ingest applies it to the raw price
# in its own currency, before dbt converts it.
MAX_PRICE = 100_000.0
MAX_DAYS_AHEAD = 400  # the furthest a departure may be from when it is priced
# Timestamps outside [EARLIEST, LATEST) are refused: they cannot be real quotes, and pandas'
# nanosecond timestamps end in 2262.
EARLIEST = datetime(2000, 1, 1)
LATEST = datetime(2100, 1, 1)
