"""Experiment tracking in MLflow: every training run, its report, and the registry's aliases.

The warehouse MODEL_REGISTRY decides which model is champion; MLflow's registered model
carries the same versions (tag `flightprice.version`) and follows it with the aliases
`champion` and `challenger`, re-set after every training run, promotion and rollback.
Tracking never fails training unless FLIGHTPRICE_MLFLOW_STRICT is set: a failure is a warning.

mlflow is imported inside the functions that talk to it: it takes seconds to import, and
`flightprice --help`, the API and scoring never need it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from flightprice import registry

if TYPE_CHECKING:
    from flightprice.settings import Settings
    from flightprice.store import ObjectStore
    from flightprice.train.report import ReportFiles
    from flightprice.train.run import TrainingOutcome
    from flightprice.warehouse import Warehouse

log = logging.getLogger(__name__)

VERSION_TAG = "flightprice.version"
ALIASES = ("champion", "challenger")  # MODEL_REGISTRY statuses mirrored as aliases
_T = TypeVar("_T")


def tracking_uri(settings: Settings) -> str:
    """Return the MLflow URI: FLIGHTPRICE_MLFLOW_URI, else the SQLite store under home.

    SQLite, not a `./mlruns` folder: MLflow 3.7+ defaults to it and keeps the file store only
    for compatibility (docs: self-hosting/architecture/backend-store).
    """
    if settings.mlflow_uri:
        return settings.mlflow_uri
    return f"sqlite:///{_local_dir(settings).resolve() / 'mlflow.db'}"


def mlflow_ui_command(settings: Settings, port: int | None = None) -> list[str]:
    """Return the command that serves the MLflow UI on the local store (127.0.0.1:port)."""
    return [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", tracking_uri(settings),
            "--host", "127.0.0.1", "--port", str(port or settings.mlflow_ui_port),
            "--workers", "1"]  # fmt: skip


def open_tracking(settings: Settings) -> Future | None:
    """Start opening the MLflow store on a background thread; None when tracking is off.

    Importing mlflow, creating or migrating the SQLite store's tables and finding the
    experiment and registered model cost ~4-5 CPU seconds (`import mlflow` ~2.6, the store
    1.3 on an existing one, 2.1 on a new one), single-threaded, holding the GIL for much of
    it. `track_training(opened=...)` waits for it. A training run starts it once its refit
    has every thread (`StoreOpener`).
    """
    if not settings.mlflow_tracking:
        return None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlflow-open")
    try:
        return pool.submit(_open_store, settings)
    finally:
        pool.shutdown(wait=False)  # the thread ends with its one task


class StoreOpener:
    """Open the MLflow store on a thread when `start` is called: its future is `opened`.

    Started at the run's start, the store took a core from early stopping and the one-thread
    refit beside it (the first run of a process: early stopping 5.3 s against 2.6 s once
    mlflow is open; benchmarks/README.md, session 9). During the refit's rounds on every
    thread the training thread only waits, and XGBoost's threads leave ~0.45 of two cores
    idle between parallel loops: the store opens in those. Never started (a run that failed
    before its refit), `track_training` opens the store itself.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings, self.opened = settings, None

    def start(self) -> None:
        """Start opening the store (once)."""
        if self.opened is None:
            self.opened = open_tracking(self._settings)


def track_training(
    settings: Settings,
    warehouse: Warehouse,
    store: ObjectStore,
    outcome: TrainingOutcome,
    opened: Future | None = None,
) -> str | None:
    """Log a trained run (params, window, metrics, model artifact) and register its version.

    `opened` is `open_tracking`'s store, opened meanwhile (without it, it is opened here).
    Return the MLflow run id; None when tracking is off, nothing was trained, or it failed.
    """
    if not settings.mlflow_tracking or outcome.version is None:
        return None
    return _guarded(settings, f"track training run {outcome.run_id}",
                    lambda: _log_training(settings, warehouse, store, outcome, opened))  # fmt: skip


def track_report(settings: Settings, version: str, files: ReportFiles) -> None:
    """Attach a model report (HTML and PNGs) to the MLflow run that trained `version`."""
    if not settings.mlflow_tracking or not _store_exists(settings):
        return
    _guarded(settings, f"attach the report of {version}",
             lambda: _log_report(settings, version, files))  # fmt: skip


def sync_model_aliases(settings: Settings, warehouse: Warehouse) -> None:
    """Point the `champion` / `challenger` aliases at MODEL_REGISTRY's current versions."""
    if not settings.mlflow_tracking or not _store_exists(settings):
        return  # nothing tracked yet: no store to open (and no mlflow import)
    _guarded(settings, "sync the model aliases",
             lambda: _sync_aliases(_client(settings), settings, warehouse))  # fmt: skip


def _guarded(settings: Settings, what: str, call: Callable[[], _T]) -> _T | None:
    try:
        return call()
    except Exception as exc:
        if settings.mlflow_strict:
            raise
        log.warning("MLflow: could not %s (%s: %s); set FLIGHTPRICE_MLFLOW_STRICT=true to fail "
                    "instead", what, type(exc).__name__, exc)  # fmt: skip
        return None


def _local_dir(settings: Settings) -> Path:
    return settings.home / "mlflow"


def _store_exists(settings: Settings) -> bool:
    return bool(settings.mlflow_uri) or (_local_dir(settings) / "mlflow.db").exists()


def _client(settings: Settings):
    from mlflow import MlflowClient

    if not settings.mlflow_uri:
        _local_dir(settings).mkdir(parents=True, exist_ok=True)
    uri = tracking_uri(settings)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _experiment_id(client, settings: Settings) -> str:
    experiment = client.get_experiment_by_name(settings.mlflow_experiment)
    if experiment is not None:
        return experiment.experiment_id
    location = None if settings.mlflow_uri else (_local_dir(settings) / "artifacts").resolve()
    return client.create_experiment(
        settings.mlflow_experiment, artifact_location=location.as_uri() if location else None
    )


def _open_store(settings: Settings) -> tuple[Any, str]:
    """Return a client on the store (tables created) and the experiment's id."""
    client = _client(settings)
    experiment_id = _experiment_id(client, settings)
    _registered_model(client, settings)
    return client, experiment_id


def _log_training(settings, warehouse, store, outcome, opened: Future | None = None) -> str:
    from mlflow.entities import Metric, Param, RunStatus

    client, experiment_id = opened.result() if opened is not None else _open_store(settings)
    metadata = json.loads(store.read_bytes(f"models/{outcome.version}/metadata.json"))
    run = client.create_run(experiment_id, run_name=outcome.version, tags={
        VERSION_TAG: outcome.version, "flightprice.run_id": outcome.run_id,
        "flightprice.decision": str(outcome.decision), "flightprice.reason": str(outcome.reason),
    })  # fmt: skip
    run_id, now = run.info.run_id, int(time.time() * 1000)
    try:
        params = {**_flat("", metadata.get("params") or {}),
                  **_flat("options.", metadata.get("training_options") or {}),
                  **_flat("window.", outcome.window), **_flat("rows.", outcome.rows)}  # fmt: skip
        metrics = {**_numbers("", outcome.metrics), **_numbers("champion.", outcome.champion_metrics),
                   **{k: v for name, m in outcome.baselines.items()
                      for k, v in _numbers(f"{name}.", m).items()},
                   **{k: v for name, p in (outcome.timing or {}).get("phases", {}).items()
                      for k, v in _numbers(f"seconds.{name}.", p).items()}}  # fmt: skip
        client.log_batch(run_id, metrics=[Metric(k, v, now, 0) for k, v in metrics.items()],
                         params=[Param(k, str(v)[:6000]) for k, v in params.items()])  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            model_dir = Path(tmp) / "model"
            model_dir.mkdir()
            for name in ("model.ubj", "metadata.json"):
                (model_dir / name).write_bytes(store.read_bytes(f"models/{outcome.version}/{name}"))
            (Path(tmp) / "training.json").write_text(json.dumps(outcome.to_dict(), default=str))
            client.log_artifacts(run_id, str(model_dir), "model")
            client.log_artifact(run_id, str(Path(tmp) / "training.json"))
        client.set_terminated(run_id, RunStatus.to_string(RunStatus.FINISHED))
    except BaseException:
        client.set_terminated(run_id, RunStatus.to_string(RunStatus.FAILED))
        raise
    _register_version(client, settings, outcome.version, run_id, run.info.artifact_uri)
    _sync_aliases(client, settings, warehouse)
    log.info("MLflow run %s tracks %s (%s)", run_id, outcome.version, tracking_uri(settings))
    return run_id


def _registered_model(client, settings) -> None:
    """Create the registered model that mirrors MODEL_REGISTRY, unless it exists."""
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(settings.mlflow_model_name)
    except MlflowException:
        client.create_registered_model(settings.mlflow_model_name,
                                       description="Mirror of ML_PREDICTIONS.MODEL_REGISTRY")  # fmt: skip


def _register_version(client, settings, version: str, run_id: str, artifact_uri: str) -> None:
    client.create_model_version(settings.mlflow_model_name, source=f"{artifact_uri}/model",
                                run_id=run_id, tags={VERSION_TAG: version})  # fmt: skip


def _sync_aliases(client, settings, warehouse) -> None:
    from mlflow.exceptions import MlflowException

    name = settings.mlflow_model_name
    numbers = {mv.tags.get(VERSION_TAG): mv.version
               for mv in client.search_model_versions(f"name = '{name}'")}  # fmt: skip
    if not numbers:
        return
    challengers = registry.list_models(warehouse, registry.CHALLENGER)
    champion = registry.champion(warehouse)
    targets = {"champion": champion.version if champion else None,
               "challenger": challengers[0].version if challengers else None}  # fmt: skip
    for alias, version in targets.items():
        if version in numbers:
            client.set_registered_model_alias(name, alias, numbers[version])
        else:
            with contextlib.suppress(MlflowException):  # the alias was not set
                client.delete_registered_model_alias(name, alias)


def _log_report(settings, version: str, files) -> None:
    client = _client(settings)
    runs = client.search_runs([_experiment_id(client, settings)],
                              filter_string=f"tags.`{VERSION_TAG}` = '{version}'",
                              max_results=1, order_by=["attributes.start_time DESC"])  # fmt: skip
    if not runs:
        log.info("MLflow: no tracked run trained %s; its report is not attached", version)
        return
    run_id = runs[0].info.run_id
    client.log_artifact(run_id, str(files.html), "report")
    for png in files.pngs.values():
        client.log_artifact(run_id, str(png), "report")


def _flat(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}{k}": v for k, v in values.items() if v is not None}


def _numbers(prefix: str, values: dict[str, Any] | None) -> dict[str, float]:
    """Return the finite numeric entries of `values` (MLflow metrics are floats)."""
    out = {}
    for key, value in (values or {}).items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if math.isfinite(value):
            out[f"{prefix}{key}"] = float(value)
    return out
