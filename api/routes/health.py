"""Liveness and readiness."""

from __future__ import annotations

import time

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse

from api.deps import HolderDep
from api.schemas import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Liveness: up, model loaded, uptime")
async def health(holder: HolderDep) -> Health:
    model = holder.model
    return Health(
        model_loaded=model is not None,
        model_version=model.version if model is not None else None,
        loaded_at=holder.loaded_at if model is not None else None,
        uptime_seconds=round(time.monotonic() - holder.started, 3),
        model_error=holder.public_error if model is None else None,
        fallback=holder.fallback.describe() if holder.fallback is not None else None,
    )


@router.get(
    "/ready",
    response_model=Ready,
    summary="Readiness: 200 once a model is loaded, else 503",
    responses={503: {"model": Ready, "description": "No model loaded yet."}},
)
async def ready(holder: HolderDep) -> Ready | JSONResponse:
    model = holder.model
    if model is None:
        body = Ready(ready=False, reason=holder.public_error or "no model loaded")
        return JSONResponse(body.model_dump(), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
    return Ready(ready=True, model_version=model.version)
