"""Dependencies as Annotated aliases, so that handlers read like plain signatures.

They are `async def` on purpose: FastAPI runs a plain `def` dependency in a worker thread,
and these only read app state.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader

from api.metrics import ApiMetrics
from flightprice.pricing.params import PricingParams
from flightprice.serve.quoting import ModelHolder
from flightprice.settings import Settings
from flightprice.train.model import LoadedModel


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _holder(request: Request) -> ModelHolder:
    return request.app.state.holder


async def _metrics(request: Request) -> ApiMetrics:
    return request.app.state.metrics


SettingsDep = Annotated[Settings, Depends(_settings)]
HolderDep = Annotated[ModelHolder, Depends(_holder)]
MetricsDep = Annotated[ApiMetrics, Depends(_metrics)]


async def _model(holder: HolderDep) -> LoadedModel:
    """Return the model once for the whole request: a reload cannot change it midway."""
    return served_model(holder)


def served_model(holder: ModelHolder) -> LoadedModel:
    """The model now served, or 503 when there is none (see `_model`)."""
    model = holder.model
    if model is None:
        reason = holder.public_error or "no model loaded"
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"no model to price with: {reason}. Register a champion "
            "(flightprice train) and POST /admin/reload.",
        )
    return model


async def _pricing(settings: SettingsDep) -> PricingParams:
    return settings.pricing


# Security schemes, so /docs has Authorize; auto_error off: our own 401/403/503 say more.
_ADMIN_KEY = APIKeyHeader(
    name="X-API-Key", scheme_name="AdminKey", auto_error=False,
    description="FLIGHTPRICE_API_KEY: needed by /admin endpoints.",
)  # fmt: skip
_PRICING_KEY = APIKeyHeader(
    name="X-API-Key", scheme_name="PricingKey", auto_error=False,
    description="FLIGHTPRICE_API_PRICING_KEY (or the admin key), when configured.",
)  # fmt: skip


async def _admin(
    settings: SettingsDep, x_api_key: Annotated[str | None, Depends(_ADMIN_KEY)]
) -> None:
    if settings.api_key is None or not settings.api_key.get_secret_value():
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="admin endpoints are disabled: no FLIGHTPRICE_API_KEY is configured",
        )
    _check_key(x_api_key, settings.api_key.get_secret_value())


async def pricing_key(
    settings: SettingsDep, x_api_key: Annotated[str | None, Depends(_PRICING_KEY)]
) -> None:
    """Require FLIGHTPRICE_API_PRICING_KEY (or the admin key); added only when it is set."""
    keys = [k.get_secret_value() for k in (settings.api_pricing_key, settings.api_key) if k]
    _check_key(x_api_key, *keys)


def _check_key(given: str | None, *keys: str) -> None:
    if given is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing X-API-Key header",
            headers={"WWW-Authenticate": "X-API-Key"},
        )
    # Constant time, and every key compared: the answer's timing says nothing about either.
    matches = [secrets.compare_digest(given.encode(), key.encode()) for key in keys if key]
    if not any(matches):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="invalid API key")


ModelDep = Annotated[LoadedModel, Depends(_model)]
PricingDep = Annotated[PricingParams, Depends(_pricing)]
AdminDep = Annotated[None, Depends(_admin)]
