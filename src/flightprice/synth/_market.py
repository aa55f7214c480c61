"""The synthetic market's world: airports, carriers, the flight network and the price model.

Every price effect is a function of columns a fare quote carries (plus the schedule's
capacity): no hidden per-flight price level, so a model that sees those columns can reach
the noise floor. All price parameters are constants, independent of the seed. The realistic
profile (synth/_realistic.py) adds a per-flight level and longer itineraries on top.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SALE_HORIZON_DAYS = 90

# (latitude, longitude) of major airports; great-circle distance drives fare and duration.
AIRPORTS: dict[str, tuple[float, float]] = {
    "ATL": (33.64, -84.43), "LAX": (33.94, -118.41), "ORD": (41.98, -87.90),
    "DFW": (32.90, -97.04), "DEN": (39.86, -104.67), "JFK": (40.64, -73.78),
    "SFO": (37.62, -122.38), "SEA": (47.45, -122.31), "LAS": (36.08, -115.15),
    "MCO": (28.43, -81.31), "MIA": (25.80, -80.29), "BOS": (42.37, -71.01),
    "EWR": (40.69, -74.17), "IAH": (29.98, -95.34), "PHX": (33.43, -112.01),
    "MSP": (44.88, -93.22), "DTW": (42.21, -83.35), "YYZ": (43.68, -79.63),
    "YVR": (49.19, -123.18), "MEX": (19.44, -99.07), "GRU": (-23.43, -46.47),
    "LHR": (51.47, -0.45), "CDG": (49.01, 2.55), "AMS": (52.31, 4.76),
    "FRA": (50.03, 8.57), "MAD": (40.47, -3.57), "BCN": (41.30, 2.08),
    "FCO": (41.80, 12.25), "MUC": (48.35, 11.79), "IST": (41.26, 28.74),
    "DXB": (25.25, 55.36), "DOH": (25.27, 51.61), "DEL": (28.56, 77.10),
    "BOM": (19.09, 72.87), "SIN": (1.36, 103.99), "HKG": (22.31, 113.91),
    "NRT": (35.77, 140.39), "ICN": (37.46, 126.44), "SYD": (-33.95, 151.18),
    "JNB": (-26.14, 28.24),
}  # fmt: skip
AIRPORT_CODES = tuple(AIRPORTS)
_LAT, _LON = np.radians(np.array(list(AIRPORTS.values()))).T

# carrier: (fare level, full service); low-cost carriers sell economy on short routes only.
CARRIERS: dict[str, tuple[float, bool]] = {
    "UA": (1.05, True), "DL": (1.08, True), "BA": (1.12, True), "LH": (1.10, True),
    "EK": (1.15, True), "SQ": (1.18, True), "WN": (0.78, False), "FR": (0.65, False),
}  # fmt: skip
CARRIER_CODES = tuple(CARRIERS)
_CARRIER_FACTOR = np.array([level for level, _ in CARRIERS.values()])
_FULL_SERVICE = np.flatnonzero([full for _, full in CARRIERS.values()])

_CABIN_FACTOR = np.array([1.0, 1.7, 3.8, 6.5])
_STOP_FACTOR = np.array([1.0, 0.9, 0.82, 0.76, 0.72])  # 3-4 stops: realistic profile only
_WEEKDAY_FACTOR = np.array([1.04, 0.94, 0.95, 1.03, 1.09, 0.96, 1.07])  # Monday first
_HOURS = np.arange(24) + 0.5
# Business peaks in the morning and evening; red-eyes sell cheap.
_HOUR_FACTOR = (
    1
    + 0.08 * np.exp(-(((_HOURS - 8) / 2) ** 2))
    + 0.07 * np.exp(-(((_HOURS - 18) / 2) ** 2))
    - 0.10 * ((_HOURS < 6) | (_HOURS >= 22))
)

# ARCHITECTURE.md calibration: mean premium over the cheapest fare by days before departure,
# placed at each bucket's midpoint; the two ends extend the neighbouring slopes.
_WINDOW_DAYS = np.array([0.0, 2, 6, 11.5, 18.5, 26.5, 38.5, 53.5, 75.5, 90])
_WINDOW_PREMIUM = np.array([0.449, 0.429, 0.390, 0.314, 0.248, 0.198, 0.179, 0.209, 0.288, 0.340])

MEAN_FINAL_LOAD = 0.82
LOAD_SENSITIVITY = 1.0  # log-price change per unit of load factor above the booking curve


def _pchip_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return Fritsch-Carlson slopes: the curve never overshoots its calibration points."""
    h, d = np.diff(x), np.diff(y) / np.diff(x)
    slopes = np.concatenate([d[:1], np.zeros(len(d) - 1), d[-1:]])
    w1, w2 = 2 * h[1:] + h[:-1], h[1:] + 2 * h[:-1]
    same_sign = d[:-1] * d[1:] > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = (w1 + w2) / (w1 / d[:-1] + w2 / d[1:])
    slopes[1:-1] = np.where(same_sign, harmonic, 0.0)
    return slopes


_WINDOW_SLOPES = _pchip_slopes(_WINDOW_DAYS, _WINDOW_PREMIUM)


def window_factor(days_out: np.ndarray) -> np.ndarray:
    """Return the booking-window multiplier, 1.0 at its cheapest point (38.5 days out)."""
    x = np.clip(days_out, _WINDOW_DAYS[0], _WINDOW_DAYS[-1])
    i = np.clip(np.searchsorted(_WINDOW_DAYS, x, side="right") - 1, 0, len(_WINDOW_DAYS) - 2)
    h = _WINDOW_DAYS[i + 1] - _WINDOW_DAYS[i]
    t = (x - _WINDOW_DAYS[i]) / h
    premium = (
        (1 + 2 * t) * (1 - t) ** 2 * _WINDOW_PREMIUM[i]
        + t * (1 - t) ** 2 * h * _WINDOW_SLOPES[i]
        + t**2 * (3 - 2 * t) * _WINDOW_PREMIUM[i + 1]
        + t**2 * (t - 1) * h * _WINDOW_SLOPES[i + 1]
    )
    return (1 + premium) / (1 + _WINDOW_PREMIUM.min())


def season_factor(day_of_year: np.ndarray) -> np.ndarray:
    """Return the demand season by departure day: a July peak plus the year-end holidays."""
    summer = 0.10 * np.cos(2 * np.pi * (day_of_year - 196) / 365.25)
    gap = np.abs(day_of_year - 358)
    holidays = 0.12 * np.exp(-((np.minimum(gap, 365.25 - gap) / 6) ** 2))
    return 1 + summer + holidays


def booked_share(days_out: np.ndarray) -> np.ndarray:
    """Return the share of final bookings already made `days_out` days before departure."""
    return 1 / (1 + (np.asarray(days_out) / 28) ** 1.5)


def final_load(uniform: np.ndarray, day_of_year: np.ndarray) -> np.ndarray:
    """Return each departure's load factor at take-off: season-driven plus per-flight demand."""
    load = MEAN_FINAL_LOAD + 0.5 * (season_factor(day_of_year) - 1) + 0.18 * (2 * uniform - 1)
    return np.clip(load, 0.3, 0.98)


def distance_km(origin: np.ndarray, destination: np.ndarray) -> np.ndarray:
    """Return great-circle distances between airport indices."""
    dlat, dlon = _LAT[destination] - _LAT[origin], _LON[destination] - _LON[origin]
    a = (
        np.sin(dlat / 2) ** 2
        + np.cos(_LAT[origin]) * np.cos(_LAT[destination]) * np.sin(dlon / 2) ** 2
    )
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def nonstop_minutes(km: np.ndarray) -> np.ndarray:
    """Return block time of a direct flight: taxi and climb plus cruise at ~810 km/h."""
    return 35 + km / 13.5


def calendar(epoch_seconds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return hour (0-23), weekday (Monday = 0) and day of year (1-366) of UTC timestamps."""
    days = epoch_seconds // 86400
    stamp = days.astype("datetime64[D]")
    day_of_year = (stamp - stamp.astype("datetime64[Y]")).astype(np.int64) + 1
    return (epoch_seconds // 3600) % 24, (days + 3) % 7, day_of_year  # 1970-01-01 was a Thursday


def price_components(
    carrier: np.ndarray, origin: np.ndarray, destination: np.ndarray, cabin: np.ndarray,
    stops: np.ndarray, duration: np.ndarray, departure: np.ndarray, observed: np.ndarray,
    seats: np.ndarray, capacity: np.ndarray,
) -> dict[str, np.ndarray]:  # fmt: skip
    """Return each multiplicative price effect; codes are indices, times epoch seconds."""
    km = distance_km(origin, destination)
    days_out = (departure - observed) / 86400
    hour, weekday, day_of_year = calendar(departure)
    load = np.clip(1 - seats / capacity, 0, 1)
    # Revenue management reacts to selling ahead of the usual curve; an unknown load is usual.
    surprise = np.nan_to_num(load - MEAN_FINAL_LOAD * booked_share(days_out), nan=0.0)
    return {
        "base": (55 + 0.085 * km) * _CARRIER_FACTOR[carrier] * _CABIN_FACTOR[cabin],
        "window": window_factor(days_out),
        "hour": _HOUR_FACTOR[hour],
        "weekday": _WEEKDAY_FACTOR[weekday],
        "season": season_factor(day_of_year),
        "load": np.exp(LOAD_SENSITIVITY * surprise),
        "stops": _STOP_FACTOR[stops] * (duration / nonstop_minutes(km)) ** -0.2,
    }


def combine(components: dict[str, np.ndarray]) -> np.ndarray:
    """Multiply the effects in one fixed order, so every caller gets identical floats."""
    price = np.ones_like(components["base"])
    for name in ("base", "window", "hour", "weekday", "season", "load", "stops"):
        price = price * components[name]
    return price


@dataclass(frozen=True)
class Network:
    """Flight-cabin templates flown every day, sorted by departure time of day."""

    carrier: np.ndarray
    flight_number: np.ndarray
    origin: np.ndarray
    destination: np.ndarray
    departure_minute: np.ndarray
    duration: np.ndarray
    stops: np.ndarray
    cabin: np.ndarray
    capacity: np.ndarray

    def __len__(self) -> int:
        return len(self.carrier)


_CAPACITY_RANGE = ((110, 250), (16, 40), (8, 48), (4, 14))


def build_network(seed: int, routes: int) -> Network:
    """Pick `routes` origin-destination pairs and the flights and cabins that serve them."""
    rng = np.random.default_rng([seed, 0])
    n = len(AIRPORT_CODES)
    if not 1 <= routes <= n * (n - 1):
        raise ValueError(f"routes must be between 1 and {n * (n - 1)}, got {routes}")
    pairs = rng.choice(n * (n - 1), size=routes, replace=False)
    origins, destinations = pairs // (n - 1), pairs % (n - 1)
    destinations += destinations >= origins  # skip the diagonal (origin == destination)
    next_number = 100 + 10 * rng.integers(0, 60, size=len(CARRIERS))
    rows = []
    for origin, destination in zip(origins, destinations):
        km = float(distance_km(origin, destination))
        eligible = _FULL_SERVICE if km > 3000 else np.arange(len(CARRIERS))
        count = min(int(rng.integers(1, 4)), len(eligible))
        carriers = rng.choice(eligible, size=count, replace=False)
        for carrier in carriers:
            full_service = carrier in _FULL_SERVICE
            daily = int(rng.integers(2, 6) if km < 1500 else rng.integers(1, 4 if km < 5000 else 3))
            # Spread departures over 05:00-23:30 with jitter, on a five-minute grid.
            slots = 300 + (np.arange(daily) + rng.random(daily)) * (1110 / daily)
            for minute in np.sort(np.round(slots / 5) * 5).astype(int):
                stops = int(rng.choice(3, p=(0.9, 0.1, 0.0) if km < 3000 else (0.55, 0.35, 0.10)))
                layovers = rng.integers(9, 37, size=stops).sum() * 5  # 45-180 min per stop
                duration = int(round((nonstop_minutes(km) * (1 + 0.08 * stops) + layovers) / 5) * 5)
                offered = (
                    True,
                    full_service and rng.random() < (0.6 if km > 2500 else 0.15),
                    full_service and rng.random() < 0.9,
                    full_service and km > 5000 and rng.random() < 0.35,
                )
                for cabin in np.flatnonzero(offered):
                    low, high = _CAPACITY_RANGE[cabin]
                    capacity = int(rng.integers(low, high + 1))
                    rows.append((carrier, next_number[carrier], origin, destination, minute,
                                 duration, stops, cabin, capacity))  # fmt: skip
                next_number[carrier] += 1
    columns = np.array(rows, dtype=np.int64).T
    order = np.lexsort((columns[7], columns[1], columns[0], columns[4]))
    return Network(*(column[order] for column in columns))
