"""How a chunk of scoring rows gets priced: in this process (`local`) or through the API (`api`).

Both run `serving.quote`, the function the API runs: `LocalScorer` with the registry's champion
loaded here, `ApiScorer` through the deployed API's Arrow batch endpoint, several requests in
flight, each retried with back-off by `PricingClient`.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Literal, Protocol

import pyarrow as pa

from flightprice import registry
from flightprice.revenue import demand_store
from flightprice.serve._request_table import REQUEST_COLUMNS, request_frame
from flightprice.serve.client import PricingClient, pricing_key
from flightprice.serve.quoting import model_version_of, quote

if TYPE_CHECKING:
    from flightprice.pricing.params import PricingParams
    from flightprice.serve.unseen import UnseenPolicy
    from flightprice.settings import Settings
    from flightprice.store import ObjectStore
    from flightprice.train.model import LoadedModel
    from flightprice.warehouse import Warehouse

Mode = Literal["api", "local"]


class Scorer(Protocol):
    """Prices a table of scoring rows: the PRICED_SCHEMA columns and the model version, either
    as a `model_version` column or in the schema metadata (`serving.model_version_of`)."""

    mode: Mode
    # How many chunks `score.batch` may have this scorer price at once (from as many threads).
    concurrency: int

    def price(self, rows: pa.Table) -> pa.Table: ...

    def close(self) -> None: ...


class LocalScorer:
    """Price with a model in this process; `workers` chunks at once, each predicted on a share
    of the cores.

    One chunk at a time left a core idle whenever its pricing thread ran Python (features,
    guardrails, reasons: ~10 % of a chunk); two at once, each predicting on half the cores,
    keep both busy (benchmarks/README.md, session 10 scoring). XGBoost's `inplace_predict` is
    safe to call from several threads at once, and a row's prediction does not depend on the
    thread count, so prices are the same.
    """

    mode: Mode = "local"

    def __init__(
        self,
        model: LoadedModel,
        params: PricingParams,
        unseen_policy: UnseenPolicy = "price",
        pricing_policy: str = "rule",
        workers: int = 1,
    ) -> None:
        cores = os.cpu_count() or 1
        self.concurrency = max(1, min(workers, cores))  # a core for each, at least
        if self.concurrency > 1:
            model = model.on_threads(cores // self.concurrency)
        self.model, self.params, self.unseen_policy = model, params, unseen_policy
        self.pricing_policy = pricing_policy
        # The served demand travels with the scorer: Dask workers are other processes.
        self.demand = demand_store.served()

    def price(self, rows: pa.Table) -> pa.Table:
        quotes = quote(
            self.model, request_frame(rows), self.params, self.unseen_policy, self.pricing_policy,
            demand=self.demand,
        )  # fmt: skip
        # Refused rows come back marked, as from the API: score.batch skips them.
        return quotes.to_arrow(mark_refused=True)

    def close(self) -> None:
        pass


class ApiScorer:
    """Price through the API's Arrow batch endpoint, `concurrency` requests in flight."""

    mode: Mode = "api"
    concurrency = 1  # a chunk at a time; its requests are the ones in flight

    def __init__(self, client: PricingClient, request_rows: int, concurrency: int) -> None:
        self.client, self.request_rows = client, request_rows
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="score-api")

    def price(self, rows: pa.Table) -> pa.Table:
        requests = rows.select([c for c in REQUEST_COLUMNS if c in rows.column_names])
        slices = [
            requests.slice(start, self.request_rows)
            for start in range(0, requests.num_rows, self.request_rows)
        ]
        priced = self._pool.map(
            lambda requests: self.client.price_arrow(requests, mark_refused=True), slices
        )
        return pa.concat_tables([_with_version_column(table) for table in priced])

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.client.close()


def open_scorer(settings: Settings, mode: Mode, warehouse: Warehouse, store: ObjectStore) -> Scorer:
    """Return the scorer for `mode`: the registry's champion in-process, or the API's client."""
    if mode == "local":
        model = registry.load_champion(warehouse, store)
        demand_store.install(settings.demand_source, store)  # what optimal and ladder price with
        if settings.engine == "dask":
            # Deferred: score._dask imports this module, and distributed on use.
            from flightprice.score._dask import DaskScorer

            return DaskScorer(
                settings,
                model,
                settings.pricing,
                settings.unseen_policy,
                settings.pricing_policy,
            )
        return LocalScorer(
            model, settings.pricing, settings.unseen_policy, settings.pricing_policy,
            workers=settings.scoring_pricing_workers,
        )  # fmt: skip
    if mode != "api":
        raise ValueError(f"mode must be 'api' or 'local', not {mode!r}")
    client = PricingClient(
        settings.api_url,
        timeout=settings.scoring_timeout_seconds,
        retries=settings.scoring_retries,
        max_connections=settings.scoring_concurrency,
        pricing_key=pricing_key(settings),
    )
    request_rows = min(settings.scoring_request_rows, settings.api_arrow_batch_limit)
    return ApiScorer(client, request_rows, settings.scoring_concurrency)


def _with_version_column(priced: pa.Table) -> pa.Table:
    # Each API answer names its model: a reload may land between two requests of a chunk.
    if "model_version" in priced.column_names:  # an experiment's answer: a version per row
        return priced.replace_schema_metadata(None)
    version = pa.repeat(pa.scalar(model_version_of(priced)), priced.num_rows)
    return priced.replace_schema_metadata(None).append_column("model_version", version)
