"""The experiment hook of the app: an ArmRouter around the pricing function, when configured.

With FLIGHTPRICE_EXPERIMENT_CHALLENGER unset nothing changes: the app prices with the plain
function and every quote says `arm: champion`. A model challenger is loaded once, at
start-up, beside the champion; while it cannot be loaded its flights are priced (and logged)
by the champion. A policy challenger (a name of `revenue.policies.POLICIES`) prices its
flights with the served model under that pricing policy.
"""

from __future__ import annotations

import functools

from flightprice.experiment.arms import Experiment
from flightprice.experiment.assignments import AssignmentLog
from flightprice.experiment.serving import ArmRouter
from flightprice.serve.quoting import ModelHolder, load_served_model
from flightprice.settings import Settings


def arm_router(settings: Settings, price_many: functools.partial) -> ArmRouter | None:
    """Return the router of the configured experiment, or None when there is none.

    `price_many` is `quote_flights` with the app's keywords bound; a policy experiment calls it
    once per batch with `pricing_policy` replaced by one policy per request.
    """
    if not settings.experiment_challenger:
        return None
    # Deferred: the policies load the revenue simulator, which only an experiment needs.
    from flightprice.revenue.policies import POLICIES

    experiment = Experiment.from_settings(settings, POLICIES)
    log = AssignmentLog(settings.experiment_log)
    if experiment.kind == "policy":

        def price_policy(model, requests, policies):
            return price_many(model, requests, pricing_policy=policies)

        return ArmRouter(experiment, price_many, log, price_policy=price_policy,
                         champion_policy=settings.pricing_policy)  # fmt: skip
    pinned = settings.model_copy(update={"model_version": experiment.challenger})
    holder = ModelHolder(lambda: load_served_model(pinned))
    router = ArmRouter(experiment, price_many, log, challenger_model=lambda: holder.model,
                       champion_policy=settings.pricing_policy)  # fmt: skip
    router.holder = holder  # type: ignore[attr-defined] - the lifespan loads it
    return router


def load_challenger(router: ArmRouter | None) -> str | None:
    """Load the challenger model of a model-version experiment (logged, never raised).

    Return its version, or None without a model experiment or when it cannot be loaded (its
    flights stay with the champion until a later load succeeds).
    """
    holder = getattr(router, "holder", None)
    if holder is None:
        return None
    model = holder.try_reload()
    return None if model is None else model.version
