"""Price a chunk's slices in parallel on a Dask cluster (FLIGHTPRICE_ENGINE=dask, local mode).

The champion is sent to every worker once; each chunk `score.batch` reads is cut into one
slice per worker, and each slice is priced by `LocalScorer`, the in-process scorer, so prices
are those of local scoring row for row (a row's price never depends on its neighbours).
The writing stays in the scoring process: one writer of PRICE_HISTORY and FLIGHT_PRICES.
"""

from __future__ import annotations

import contextlib
import math
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from flightprice.score._scorers import LocalScorer, Mode

if TYPE_CHECKING:
    from flightprice.pricing.params import PricingParams
    from flightprice.serve.unseen import UnseenPolicy
    from flightprice.settings import Settings
    from flightprice.train.model import LoadedModel


class DaskScorer:
    """Price with a model on the cluster of `settings`, one slice of each chunk per worker."""

    mode: Mode = "local"  # the registry's champion, as in local mode; only the engine differs
    concurrency = 1  # a chunk at a time; its slices are priced on every worker at once

    def __init__(
        self,
        settings: Settings,
        model: LoadedModel,
        params: PricingParams,
        unseen_policy: UnseenPolicy = "price",
        pricing_policy: str = "rule",
    ) -> None:
        # Deferred: engine imports distributed on use.
        from flightprice.engine import dask_client

        self._session = contextlib.ExitStack()
        self._client = self._session.enter_context(dask_client(settings))
        try:
            self._scorer = self._client.scatter(
                LocalScorer(model, params, unseen_policy, pricing_policy),
                broadcast=True,
                hash=False,
            )
            self._slices = max(1, len(self._client.scheduler_info()["workers"]))
        except BaseException:
            self._session.close()
            raise

    def price(self, rows: pa.Table) -> pa.Table:
        size = max(1, math.ceil(rows.num_rows / self._slices))
        futures = [
            self._client.submit(price_slice, self._scorer, rows.slice(start, size), pure=False)
            for start in range(0, rows.num_rows, size)
        ]
        return pa.concat_tables(self._client.gather(futures))

    def close(self) -> None:
        self._session.close()


def price_slice(scorer: Any, rows: pa.Table) -> pa.Table:
    """Price one slice of a chunk on a worker (the scorer was sent there once)."""
    return scorer.price(rows)
