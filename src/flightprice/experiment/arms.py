"""Which arm prices a flight: a stable hash of the flight id against the challenger's share.

The unit of the experiment is the flight (carrier + number + UTC departure day, dbt's
`flight_id`), not the quote: every quote of a flight comes from one arm, so its bookings
can be credited to that arm, and a flight's prices do not jump between two policies. The
hash is SHA-256 of the experiment name and the flight id, so the split is the same in every
process and after every restart, and a new experiment name reshuffles the flights.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from flightprice.settings import Settings

ARMS = ("champion", "challenger")
Arm = Literal["champion", "challenger"]
_BUCKETS = 2**64  # the first 8 bytes of the digest, as a fraction of this


class ExperimentError(ValueError):
    """The experiment is configured in a way that cannot run."""


@dataclass(frozen=True)
class Experiment:
    """A running champion/challenger split: `share` of the flights go to `challenger`.

    `challenger` is a model version, or a pricing policy name when it is one of `policies`
    (then the served model prices those flights with that policy).
    """

    name: str
    challenger: str
    share: float
    kind: Literal["model", "policy"] = "model"

    @classmethod
    def from_settings(cls, settings: Settings, policies: tuple[str, ...] = ()) -> Experiment | None:
        """Return the configured experiment, or None when FLIGHTPRICE_EXPERIMENT_CHALLENGER is unset."""
        challenger = (settings.experiment_challenger or "").strip()
        if not challenger:
            return None
        kind: Literal["model", "policy"] = "policy" if challenger in policies else "model"
        return cls(settings.experiment_name, challenger, settings.experiment_share, kind)

    def is_challenger(self, flight: str) -> bool:
        """Return True when `flight` (a flight id) is in the challenger's share."""
        digest = hashlib.sha256(f"{self.name}\x00{flight}".encode()).digest()
        return int.from_bytes(digest[:8], "big") < self.share * _BUCKETS

    def arm_of(self, flight: str) -> Arm:
        return "challenger" if self.is_challenger(flight) else "champion"


def flight_id(
    carrier: str,
    flight_number: str | None,
    departure_at: datetime,
    origin: str = "",
    destination: str = "",
) -> str:
    """Return dbt's flight_id (carrier || flight_number || '-' || YYYYMMDD, UTC departure).

    A request without a flight number names its flight by route and departure minute.
    """
    carrier = carrier.strip().upper()
    number = (flight_number or "").strip().upper()
    if not number:
        return f"{carrier}-{origin}{destination}-{departure_at:%Y%m%d%H%M}"
    return f"{carrier}{number}-{departure_at:%Y%m%d}"
