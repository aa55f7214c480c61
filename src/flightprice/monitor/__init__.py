"""Monitor: drift and realised accuracy of each scoring run, alerts, retraining on a breach."""

from flightprice._exports import lazy_exports

_EXPORTS = {
    "monitor_scoring_run": ".run",
    "MonitoringResult": ".run",
    "Check": "._drift",
    "population_stability": "._drift",
}

__all__ = [*_EXPORTS]  # noqa: PLE0604 (the names of the lazy exports above)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
