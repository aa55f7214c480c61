"""Train: the fare model, its evaluation against baselines, the champion decision and the report."""

from flightprice._exports import lazy_exports

_EXPORTS = {
    "run_training": ".run",
    "compare_versions": ".run",
    "build_model_report": ".run",
    "load_training_frame": ".run",
    "quality_gate": ".run",
    "TrainingOutcome": ".run",
    "train_model": ".model",
    "save_model": ".model",
    "load_model": ".model",
    "split_by_time": ".model",
    "choose_holdout": ".model",
    "fit_fold": ".model",
    "FoldResult": ".model",
    "new_version": ".model",
    "LoadedModel": ".model",
    "TrainedModel": ".model",
    "ArtifactChecksumError": ".model",
    "ArtifactNotFoundError": ".model",
    "InsufficientDataError": ".model",
    "build_report": ".report",
    "ReportFiles": ".report",
}

__all__ = [*_EXPORTS]  # noqa: PLE0604 (the names of the lazy exports above)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
