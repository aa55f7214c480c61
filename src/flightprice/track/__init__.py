"""Track: training runs in MLflow, the registry's champion and challenger mirrored as aliases."""

from flightprice._exports import lazy_exports

_EXPORTS = {
    "track_training": ".mlflow_runs",
    "open_tracking": ".mlflow_runs",
    "track_report": ".mlflow_runs",
    "sync_model_aliases": ".mlflow_runs",
    "tracking_uri": ".mlflow_runs",
    "mlflow_ui_command": ".mlflow_runs",
}

__all__ = [*_EXPORTS]  # noqa: PLE0604 (the names of the lazy exports above)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
