"""Drive the real pricing API with simulated buyers, so an experiment runs end to end.

Each sale day, every flight and cabin still on sale is quoted through the API's JSON batch
endpoint (which splits flights between the arms, as for any client); the buyers of that day
then meet the quoted price with the synthetic market's purchase model (`synth.draw_bookings`:
the revenue simulator's customer segments, willingness to pay anchored to the market's true
price), and their bookings are written as the bookings feed. The buyers depend only on the
seed and the day, not on the prices, so both arms face the same kind of demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from flightprice.experiment.arms import flight_id
from flightprice.synth import draw_bookings, true_price, write_bookings

if TYPE_CHECKING:
    from flightprice.serve.client import PricingClient
    from flightprice.store import ObjectStore

QUOTE_HOUR = time(12)  # each day's prices are asked for at noon UTC
_FLIGHT = ("carrier", "flight_number", "departure_at", "cabin")


@dataclass
class DriveResult:
    """What the drive sold: the bookings (the feed's columns) and every quote's flight and arm."""

    bookings: pd.DataFrame
    quotes: pd.DataFrame  # flight_id, cabin, day, price, arm, model_version
    files: list[str] = field(default_factory=list)


def drive_api(
    client: PricingClient,
    flights: pa.Table,
    *,
    first_day: date,
    days: int,
    seed: int,
    store: ObjectStore | None = None,
    batch_rows: int = 500,
) -> DriveResult:
    """Sell `flights` (synth.market_flights) for `days` sale days priced by the API at `client`."""
    frame = flights.to_pandas()
    frame["departure_at"] = frame["departure_at"].astype("datetime64[s]")
    sold = np.zeros(len(frame), dtype=np.int64)
    unit_of = {key: i for i, key in enumerate(frame[list(_FLIGHT)].itertuples(index=False))}
    bookings, quotes, files = [], [], []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        at = datetime.combine(day, QUOTE_HOUR)
        on_sale = np.flatnonzero((frame["departure_at"] > at) & (sold < frame["capacity"]))
        if not len(on_sale):
            continue
        offer = frame.iloc[on_sale].assign(
            observed_at=at, seats_remaining=(frame["capacity"].to_numpy() - sold)[on_sale]
        )
        priced = _quote(client, offer, batch_rows)
        offer = offer.assign(price=[q["price"] for q in priced], currency="USD",
                             quote_id=[f"D{seed}-{day:%Y%m%d}-{i}" for i in range(len(offer))])  # fmt: skip
        quotes.append(_quote_rows(offer, priced, day))
        capacity = offer["capacity"].to_numpy(float)
        sale = draw_bookings(pa.Table.from_pandas(offer, preserve_index=False), true_price(offer),
                             capacity, seed=seed, day=day, quotes_per_day=1.0)  # fmt: skip
        if sale.num_rows:
            keys = sale.select(list(_FLIGHT)).to_pandas().astype({"departure_at": "datetime64[s]"})
            units = [unit_of[k] for k in keys.itertuples(index=False)]
            sold += np.bincount(units, sale["seats"].to_numpy(), minlength=len(frame)).astype(int)
            bookings.append(sale.to_pandas())
            if store is not None:
                files.append(write_bookings(store, day, sale))
    return DriveResult(
        bookings=pd.concat(bookings, ignore_index=True) if bookings else pd.DataFrame(),
        quotes=pd.concat(quotes, ignore_index=True),
        files=files,
    )


def _quote(client: PricingClient, offer: pd.DataFrame, batch_rows: int) -> list[dict]:
    requests = [
        {"carrier": r.carrier, "flight_number": r.flight_number, "origin": r.origin,
         "destination": r.destination, "cabin": r.cabin, "observed_at": r.observed_at.isoformat(),
         "departure_at": r.departure_at.isoformat(), "stops": int(r.stops),
         "duration_minutes": int(r.duration_minutes), "seats_remaining": int(r.seats_remaining),
         "capacity": int(r.capacity)}
        for r in offer.itertuples(index=False)
    ]  # fmt: skip
    priced: list[dict] = []
    for start in range(0, len(requests), batch_rows):
        priced += client.price_batch(requests[start : start + batch_rows])["quotes"]
    return priced


def _quote_rows(offer: pd.DataFrame, priced: list[dict], day: date) -> pd.DataFrame:
    return pd.DataFrame({
        "flight_id": [flight_id(c, n, d) for c, n, d in
                      zip(offer["carrier"], offer["flight_number"], offer["departure_at"], strict=True)],
        "cabin": offer["cabin"].to_numpy(), "day": day,
        "price": [q["price"] for q in priced], "arm": [q["arm"] for q in priced],
        "model_version": [q["model_version"] for q in priced],
    })  # fmt: skip
