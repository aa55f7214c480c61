"""The experiment hook of the app: an ArmRouter around the pricing function, when configured.

With FLIGHTPRICE_EXPERIMENT_CHALLENGER unset nothing changes: the app prices with the plain
function and every quote says `arm: champion`. The challenger model is loaded once, at
start-up, beside the champion; while it cannot be loaded its flights are priced (and logged)
by the champion.
"""

from __future__ import annotations

from flightprice.experiment.arms import Experiment
from flightprice.experiment.assignments import AssignmentLog
from flightprice.experiment.serving import ArmRouter, PriceMany
from flightprice.serve.quoting import ModelHolder, load_served_model
from flightprice.settings import Settings

POLICIES: tuple[str, ...] = ()  # pricing policy names a challenger may name (none yet)


def arm_router(settings: Settings, price_many: PriceMany) -> ArmRouter | None:
    """Return the router of the configured experiment, or None when there is none."""
    experiment = Experiment.from_settings(settings, POLICIES)
    if experiment is None:
        return None
    pinned = settings.model_copy(update={"model_version": experiment.challenger})
    holder = ModelHolder(lambda: load_served_model(pinned))
    router = ArmRouter(experiment, price_many, AssignmentLog(settings.experiment_log),
                       challenger_model=lambda: holder.model)  # fmt: skip
    router.holder = holder  # type: ignore[attr-defined] - the lifespan loads it
    return router


def load_challenger(router: ArmRouter | None) -> None:
    """Load the challenger model of a model-version experiment (logged, never raised)."""
    holder = getattr(router, "holder", None)
    if router is not None and router.experiment.kind == "model" and holder is not None:
        holder.try_reload()
