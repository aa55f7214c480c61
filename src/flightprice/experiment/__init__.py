"""Experiment: champion/challenger at serve time (arms by flight, the assignment log, the report)."""

from flightprice._exports import lazy_exports

_EXPORTS = {
    "Experiment": ".arms",
    "ExperimentError": ".arms",
    "flight_id": ".arms",
    "ARMS": ".arms",
    "AssignmentLog": ".assignments",
    "read_assignments": ".assignments",
    "ArmRouter": ".serving",
    "experiment_report": ".report",
    "ExperimentReport": ".report",
    "drive_api": ".drive",
    "DriveResult": ".drive",
    "report_experiment": ".run",
    "NoExperimentDataError": ".run",
}

__all__ = [*_EXPORTS]  # noqa: PLE0604 (the names of the lazy exports above)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
