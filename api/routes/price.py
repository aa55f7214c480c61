"""Quotes: one flight, a JSON batch, or an Arrow IPC batch (same endpoint, by content type)."""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from api.arrow_arms import priced_by_arm
from api.deps import ModelDep, SettingsDep, served_model
from api.metrics import ApiMetrics
from api.schemas import BatchQuotes, BatchRequest, PriceRequest, Quote
from flightprice.experiment.serving import ArmRouter
from flightprice.features import Columns, FeatureError
from flightprice.pricing.engine import GUARDRAILS
from flightprice.pricing.params import PricingParams
from flightprice.pricing.reasons import explain
from flightprice.serve._request_table import REQUEST_COLUMNS, RequestTableError, request_frame
from flightprice.serve.client import ARROW_STREAM, MARK_REFUSED_HEADER
from flightprice.serve.quoting import Quotes, quote
from flightprice.serve.unseen import UnseenPolicy
from flightprice.train.model import LoadedModel

_NUMBERS = (
    "stops", "duration_minutes", "seats_remaining", "capacity", "last_price", "competitor_fare",
)  # fmt: skip
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_LISTED_ROWS = 20  # rows named per unseen input in an Arrow batch's 422


class ArrowOrJsonRoute(APIRoute):
    """Send `application/vnd.apache.arrow.stream` bodies to the Arrow handler, JSON as usual."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        json_handler = super().get_route_handler()

        async def handler(request: Request) -> Response:
            content_type = request.headers.get("content-type", "").split(";")[0].strip()
            if content_type.lower() == ARROW_STREAM:
                return await price_arrow(request)
            return await json_handler(request)

        return handler


router = APIRouter(tags=["price"])
batch_router = APIRouter(tags=["price"], route_class=ArrowOrJsonRoute)


@router.post(
    "/v1/price",
    response_model=Quote,
    summary="Quote one flight",
    responses={
        422: {"description": "Invalid input; or, with FLIGHTPRICE_UNSEEN_POLICY=refuse, "
              "inputs the model never saw (type `unseen_input`, loc naming each)."},
        503: {"description": "No model loaded yet."},
    },
)
async def price(flight: PriceRequest, request: Request) -> dict[str, Any]:
    # Concurrent quotes are priced together (api/batching.py): same function, fewer calls.
    # The hottest endpoint reads app state directly: two dependency resolutions cost ~10 %.
    state = request.app.state
    return await state.batcher.submit(served_model(state.holder), flight)


@batch_router.post(
    "/v1/price/batch",
    response_model=BatchQuotes,
    summary="Quote many flights (JSON, or Arrow IPC for large batches)",
    description='JSON: `{"flights": [...]}`, at most FLIGHTPRICE_API_BATCH_LIMIT flights '
    "(default 1000). Arrow IPC stream (`Content-Type: application/vnd.apache.arrow.stream`): "
    "one row per flight with the PriceRequest fields as columns, at most "
    "FLIGHTPRICE_API_ARROW_BATCH_LIMIT rows (default 100000); the answer is an Arrow IPC "
    "stream of price_usd, market_fare_usd, demand_adjustment, urgency_adjustment, guardrail, "
    "reasons (JSON), days_to_departure, unseen (comma-joined), confidence, fare_source, row "
    "for row, and the model version in the X-Model-Version header and the schema metadata. "
    "With FLIGHTPRICE_UNSEEN_POLICY=refuse, any flight with unseen inputs refuses the whole "
    "batch: 422 naming each row and input (JSON: loc body.flights.<i>.<input>; Arrow: "
    "loc body.<input>, the rows in the message); with the header `X-Unseen-Refused: mark` an "
    "Arrow batch is answered whole instead, refused rows with null prices and a `refused` "
    "column (batch scoring skips them). Under an experiment (FLIGHTPRICE_EXPERIMENT_*) each "
    "row is priced by its flight's arm and the Arrow answer gains `arm` and `model_version` "
    "columns.",
    responses={
        200: {"content": {ARROW_STREAM: _BINARY}},
        413: {"description": "More flights than the batch limit."},
        422: {"description": "Invalid input, or unseen inputs under the refuse policy."},
        503: {"description": "No model loaded yet."},
    },
    openapi_extra={"requestBody": {"content": {ARROW_STREAM: _BINARY}}},
)
def price_batch(
    batch: BatchRequest,
    model: ModelDep,
    settings: SettingsDep,
    request: Request,
) -> dict[str, Any]:
    limit = settings.api_batch_limit
    if len(batch.flights) > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"{len(batch.flights)} flights: at most {limit} per JSON request "
            "(send Arrow IPC for larger batches)",
        )
    # quote_flights with the app's pricing settings, split by arm when an experiment runs.
    quotes = request.app.state.price_many(model, batch.flights)
    refused = [
        {**err, "loc": ["body", "flights", i, *err["loc"][1:]]}
        for i, q in enumerate(quotes)
        if isinstance(q, RequestValidationError)
        for err in q.errors()
    ]
    if refused:
        raise RequestValidationError(refused)
    return {"model_version": model.version, "count": len(quotes), "quotes": quotes}


async def price_arrow(request: Request) -> Response:
    """Price an Arrow IPC stream of requests; answer an Arrow IPC stream of prices."""
    state = request.app.state
    model: LoadedModel | None = state.holder.model
    if model is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="no model loaded")
    body = await request.body()  # capped by api/guards.py: FLIGHTPRICE_API_MAX_ARROW_BODY_BYTES
    try:
        with pa.ipc.open_stream(body) as reader:
            table = reader.read_all()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _invalid("body", f"not an Arrow IPC stream: {exc}") from None
    limit = state.settings.api_arrow_batch_limit
    if table.num_rows == 0:
        raise _invalid("body", "no rows")
    if table.num_rows > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"{table.num_rows} rows: at most {limit} per Arrow request",
        )
    settings = state.settings
    mark = request.headers.get(MARK_REFUSED_HEADER, "").lower() == "mark"
    payload = await run_in_threadpool(
        _price_table, model, table, settings.pricing, state.metrics, settings.unseen_policy, mark,
        settings.pricing_policy, getattr(state, "arms", None),
    )  # fmt: skip
    return Response(payload, media_type=ARROW_STREAM, headers={"x-model-version": model.version})


def _price_table(
    model: LoadedModel,
    table: pa.Table,
    params: PricingParams,
    metrics: ApiMetrics,
    unseen_policy: UnseenPolicy,
    mark_refused: bool = False,
    pricing_policy: str | np.ndarray = "rule",
    arms: ArmRouter | None = None,
) -> bytes:
    try:
        frame = request_frame(table)
    except RequestTableError as exc:
        raise RequestValidationError([p.to_error() for p in exc.problems]) from None
    if arms is not None:
        def quote_rows(arm_model: LoadedModel, rows: pd.DataFrame, policy: Any) -> Quotes:
            return _quote(arm_model, rows, params, metrics, unseen_policy, policy)

        priced = priced_by_arm(arms, model, frame, mark_refused, quote_rows, _refused_columns)
    else:
        quotes = _quote(model, frame, params, metrics, unseen_policy, pricing_policy)
        if quotes.refused.any() and not mark_refused:
            raise RequestValidationError(_refused_columns(quotes))
        priced = quotes.to_arrow(mark_refused)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, priced.schema) as writer:
        writer.write_table(priced)
    return sink.getvalue().to_pybytes()


def quote_flights(
    model: LoadedModel,
    flights: list[PriceRequest],
    *,
    params: PricingParams,
    metrics: ApiMetrics,
    unseen_policy: UnseenPolicy = "price",
    pricing_policy: str | np.ndarray = "rule",
) -> list[dict[str, Any] | RequestValidationError]:
    """Price validated requests with one `quote` call; one response body per request.

    A request the unseen policy refuses gets its 422 (loc `body.<input>`) instead of a body.
    """
    quotes = _quote(model, _columns(flights), params, metrics, unseen_policy, pricing_policy)
    r, flags, sources, policies = quotes.result, quotes.flags, quotes.fare_sources, quotes.policies
    return [
        _refused_row(quotes, i)
        if quotes.refused[i]
        else {
            "price": float(r.price[i]),
            "currency": "USD",
            "market_fare": float(r.market_fare[i]),
            "adjustments": {
                "demand": float(r.demand_adjustment[i]),
                "urgency": float(r.urgency_adjustment[i]),
            },
            "load_factor": _finite_or_none(r.load_factor[i]),
            "expected_load_factor": float(r.expected_load_factor[i]),
            "guardrail": GUARDRAILS[r.guardrail[i]],
            "last_price": _finite_or_none(r.last_price[i]),
            "reasons": explain(r, i) + quotes.policy_notes(i),
            "model_version": quotes.model_version,
            "observed_at": flight.observed_at,
            "days_to_departure": float(r.days_to_departure[i]),
            "unseen": flags.names(i),
            "confidence": flags.confidence[i],
            "fare_source": sources[i],
            "policy": policies[i],
        }
        for i, flight in enumerate(flights)
    ]


def _quote(
    model: LoadedModel,
    requests: pd.DataFrame | Columns,
    params: PricingParams,
    metrics: ApiMetrics,
    unseen_policy: UnseenPolicy,
    pricing_policy: str | np.ndarray = "rule",
) -> Quotes:
    try:
        quotes = quote(model, requests, params, unseen_policy, pricing_policy)
    except (FeatureError, ValueError) as exc:  # schema checks should have caught it first
        raise _invalid("body", str(exc)) from None
    codes, counts = np.unique(quotes.result.guardrail, return_counts=True)
    for code, count in zip(codes, counts, strict=True):
        metrics.flights_priced.labels(GUARDRAILS[code]).inc(int(count))
    return quotes


def _columns(flights: list[PriceRequest]) -> dict[str, np.ndarray]:
    """Return the request columns as arrays: no frame, as pandas costs ~1 ms a call.

    The schema has made timestamps naive UTC; whole seconds are all the features use.
    """
    columns: dict[str, np.ndarray] = {}
    for name in REQUEST_COLUMNS:
        values = [getattr(f, name) for f in flights]
        if name in ("observed_at", "departure_at"):
            columns[name] = np.array(values, dtype="datetime64[us]").astype("datetime64[s]")
        elif name in _NUMBERS:
            columns[name] = np.array([np.nan if v is None else v for v in values], "float64")
        else:
            if name == "cabin":
                values = [v.value for v in values]
            columns[name] = np.array(values, dtype=object)
    return columns


def _refused_row(quotes: Quotes, i: int) -> RequestValidationError:
    """Return the 422 of one refused request: one error per unseen input."""
    return RequestValidationError([
        {"loc": ["body", name], "type": "unseen_input",
         "msg": f"{quotes.features[name][i]!s} was never seen in training by model "
                f"{quotes.model_version} (FLIGHTPRICE_UNSEEN_POLICY=refuse)"}
        for name in quotes.flags.names(i)
    ])  # fmt: skip


def _refused_columns(quotes: Quotes, rows: np.ndarray | None = None) -> list[dict[str, Any]]:
    """Return the 422 errors of a refused Arrow batch: per unseen input, the rows it hits.

    `rows`: the batch's row of each of `quotes`' rows (one arm's part), else the same.
    """
    rows_by_input: dict[str, list[int]] = {}
    for i in np.flatnonzero(quotes.refused).tolist():
        for name in quotes.flags.names(i):
            rows_by_input.setdefault(name, []).append(i if rows is None else int(rows[i]))
    return [
        {"loc": ["body", name], "type": "unseen_input",
         "msg": f"never seen in training by model {quotes.model_version} "
                f"(FLIGHTPRICE_UNSEEN_POLICY=refuse) in {len(rows)} rows: {_listed(rows)}"}
        for name, rows in rows_by_input.items()
    ]  # fmt: skip


def _listed(rows: list[int]) -> str:
    more = ", ..." if len(rows) > _LISTED_ROWS else ""
    return ", ".join(map(str, rows[:_LISTED_ROWS])) + more


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _invalid(field: str, message: str) -> RequestValidationError:
    loc = ["body"] if field == "body" else ["body", field]
    return RequestValidationError([{"loc": loc, "msg": message, "type": "value_error"}])
