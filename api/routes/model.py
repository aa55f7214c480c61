"""The model being served, and the admin reload that swaps it."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool

from api.deps import AdminDep, HolderDep, MetricsDep, ModelDep, SettingsDep
from api.experiment import load_challenger
from api.schemas import ModelInfo, Reloaded, ServedDemandInfo
from flightprice.registry import NoChampionError
from flightprice.revenue import demand_store

router = APIRouter(tags=["model"])
admin_router = APIRouter(tags=["model"])  # never behind the pricing key: the admin key guards it


@router.get("/v1/model", response_model=ModelInfo, summary="The model being served")
async def model_info(model: ModelDep, holder: HolderDep, settings: SettingsDep) -> ModelInfo:
    meta = model.metadata
    demand = demand_store.served()
    return ModelInfo(
        version=model.version,
        sha256=model.sha256,
        loaded_at=holder.loaded_at,
        created_at=meta.get("created_at"),
        target_transform=model.target_transform,
        feature_columns=list(model.spec.columns),
        metrics=meta.get("metrics", {}),
        training_window=meta.get("training_window", {}),
        pricing=settings.pricing.model_dump(),
        unseen_policy=settings.unseen_policy,
        known_flight=model.known_flight,
        demand=ServedDemandInfo(
            source=demand.source,
            version=demand.version,
            created_at=None if demand.fit is None else demand.fit.get("created_at"),
        ),
    )


@admin_router.post(
    "/admin/reload",
    response_model=Reloaded,
    summary="Load the registry's current champion and swap it in atomically",
    description="Needs the X-API-Key header. Requests in flight finish on the model they "
    "started with; a failed reload keeps the model that was serving. Under a model "
    "experiment the challenger is loaded again too (`challenger_version`).",
    responses={
        401: {"description": "No X-API-Key header."},
        403: {"description": "Wrong API key."},
        409: {"description": "The registry has no champion."},
        503: {"description": "No API key configured, or the champion could not be loaded."},
    },
)
async def reload(_: AdminDep, holder: HolderDep, metrics: MetricsDep, request: Request) -> Reloaded:
    previous = holder.version
    try:
        model = await run_in_threadpool(holder.reload)
    except NoChampionError as exc:
        metrics.reloads.labels("failed").inc()
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - checksum, store, warehouse: keep serving, say why
        metrics.reloads.labels("failed").inc()
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"could not load the champion ({type(exc).__name__}: {exc}); "
            f"still serving {previous}",
        ) from None
    metrics.reloads.labels("success").inc()
    metrics.set_model(model.version)
    # A model challenger that could not be loaded at start-up gets another chance here.
    challenger = await run_in_threadpool(load_challenger, getattr(request.app.state, "arms", None))
    return Reloaded(
        model_version=model.version, previous_version=previous, loaded_at=holder.loaded_at,
        challenger_version=challenger,
    )  # fmt: skip
