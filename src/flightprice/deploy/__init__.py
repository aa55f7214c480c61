"""Deploy: ship a model version to the local API or ECS, smoke-test it, roll back on failure."""

from flightprice._exports import lazy_exports

_EXPORTS = {
    "deploy": ".rollout",
    "TaskDefinitionError": "._ecs",
}

__all__ = [*_EXPORTS]  # noqa: PLE0604 (the names of the lazy exports above)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
