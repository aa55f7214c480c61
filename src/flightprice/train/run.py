"""One training run: quality gate -> train -> save -> register -> compare -> promote -> log."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from flightprice import registry
from flightprice._json import finite
from flightprice.clock import utc_now
from flightprice.features import TRAINING_TABLE_COLUMNS, derive_request_features
from flightprice.settings import Settings
from flightprice.store import ObjectStore
from flightprice.synth.generate import read_market_summary
from flightprice.track.mlflow_runs import StoreOpener, track_report, track_training
from flightprice.train._evaluation import fit_baselines
from flightprice.train._phases import PhaseTimer, describe
from flightprice.train._reconcile import log_interrupted_runs
from flightprice.train.model import (
    DEFAULT_PARAMS,
    InsufficientDataError,
    TimeSplit,
    TrainedModel,
    choose_holdout,
    empty_training_data,
    load_model,
    new_version,
    save_model,
    train_model,
)
from flightprice.transform.quality import latest_quality
from flightprice.warehouse import Warehouse

log = logging.getLogger(__name__)

TRAINING_TABLE = "ANALYTICS.ML_TRAINING_FEATURES"


@dataclass
class TrainingOutcome:
    """What one training run did; `to_dict()` is the `train --json` output."""

    run_id: str
    status: str  # trained | skipped | failed
    reason: str | None = None
    version: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)
    champion_version: str | None = None
    champion_metrics: dict[str, Any] | None = None
    decision: str | None = None  # first_champion | promoted | rejected | would_promote | none
    promoted: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    window: dict[str, Any] = field(default_factory=dict)
    noise_floor_mape: float | None = None
    search: dict[str, Any] | None = None  # the hyperparameter search, when one ran
    trigger: str | None = None  # why this run was started, when not by its schedule
    artifact_uri: str | None = None
    sha256: str | None = None
    seconds: float = 0.0
    # Wall and CPU seconds by phase (train/_phases.py): where the run's time went.
    timing: dict[str, Any] = field(default_factory=dict)

    @property
    def mape_to_noise_floor(self) -> float | None:
        mape = self.metrics.get("mape")
        if mape is None or not self.noise_floor_mape:
            return None
        return mape / self.noise_floor_mape

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items()}
        data["mape_to_noise_floor"] = self.mape_to_noise_floor
        return finite(data)  # a metric that could not be computed is null, never NaN


def load_training_frame(warehouse: Warehouse, max_rows: int | None = None) -> pd.DataFrame:
    """Read the training rows (the latest `max_rows` when given) and derive their features.

    The table holds request columns and the target; the features come from
    `derive_request_features`, the function the API and batch scoring run.
    """
    # The warehouse sorts (in parallel, on typed columns): cheaper than pandas on strings.
    # Arrow, then pandas: the same frame as DuckDB's own `.df()` for a third of its CPU (1M
    # rows: 0.4 vs 1.3 CPU s; benchmarks/README.md, Session 8); Snowflake's query_df is this.
    frame = warehouse.query_arrow(training_sql(max_rows)).to_pandas()
    frame.columns = [c.lower() for c in frame.columns]
    return derive_request_features(frame)


def training_sql(max_rows: int | None = None) -> str:
    """Return the query of the training rows (the latest `max_rows`), in time order."""
    # The contract's columns by name, not `*`: the table's transformed_at is no feature.
    columns = ", ".join(TRAINING_TABLE_COLUMNS)
    source = TRAINING_TABLE
    if max_rows:
        source = (f"(SELECT {columns} FROM {TRAINING_TABLE} "
                  f"ORDER BY observed_at DESC, quote_id LIMIT {int(max_rows)}) AS latest")
    return f"SELECT {columns} FROM {source} ORDER BY observed_at, quote_id"


def quality_gate(warehouse: Warehouse) -> str | None:
    """Return why training must not run (an `error` check of the latest run failed), or None.

    Checks of severity `warn` (no schedules feed, unknown capacity) never block.
    """
    summary = latest_quality(warehouse)
    if summary.run_id is None:
        return "no data-quality run recorded: run `flightprice quality` first"
    if summary.blocking:
        return (f"latest data-quality run {summary.run_id} has {len(summary.blocking)} failed "
                f"check(s) of severity error (of {summary.checks}): "
                + "; ".join(summary.blocking))
    return None


def run_training(
    settings: Settings,
    warehouse: Warehouse,
    store: ObjectStore,
    *,
    run_id: str,
    compare: bool = True,
    promote: bool = False,
    check_quality: bool = True,
    params: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    trigger: str | None = None,
) -> TrainingOutcome:
    """Train a challenger and decide on it; every run, skipped or failed too, is logged.

    The first model ever becomes champion. Later ones are compared with the champion on the
    same holdout rows; with `promote` a better one (by `settings.promotion_margin`, guardrail
    not worse) becomes champion, without it the decision says `would_promote`. `trigger` (a
    monitoring breach, say) is recorded in TRAINING_LOG's reason before the decision's.
    """
    started, phases = utc_now(), PhaseTimer()
    log_interrupted_runs(warehouse, run_id)  # models a killed run registered but never logged
    outcome = TrainingOutcome(run_id=run_id, status="trained", trigger=trigger)
    market = read_market_summary(store)
    outcome.noise_floor_mape = market["noise_floor_mape"] if market else None
    if check_quality and (why := quality_gate(warehouse)):
        outcome.status, outcome.reason, outcome.decision = "skipped", why, "none"
        registry.log_training(warehouse, run_id, "skipped", started_at=started,
                              reason=_logged_reason(why, trigger))
        log.warning("training skipped: %s", why)
        return outcome
    tracking = StoreOpener(settings)  # MLflow's store opens while the refit runs
    try:
        _train_and_decide(settings, warehouse, store, outcome, compare, promote, params, progress,
                          phases, tracking.start)  # fmt: skip
    except Exception as exc:
        outcome.status, outcome.reason = "failed", f"{type(exc).__name__}: {exc}"
        registry.log_training(warehouse, run_id, "failed", started_at=started,
                              model_version=outcome.version,
                              reason=_logged_reason(outcome.reason, trigger))
        if isinstance(exc, InsufficientDataError):
            log.error("training failed: %s", exc)  # a data condition: no traceback
        else:
            log.exception("training failed")
        raise
    finally:
        outcome.seconds = round((utc_now() - started).total_seconds(), 2)
    with phases.phase("training_log"):
        registry.log_training(
            warehouse, run_id, "trained", started_at=started, model_version=outcome.version,
            decision=outcome.decision if outcome.decision in registry.DECISIONS else "none",
            reason=_logged_reason(outcome.reason, trigger),
            metrics={"model": outcome.metrics, "baselines": outcome.baselines,
                                            "champion": outcome.champion_metrics},
            training_rows=outcome.rows.get("train"), holdout_rows=outcome.rows.get("holdout"),
        )
    outcome.timing = phases.summary()  # MLflow records the phases before its own
    with phases.phase("mlflow"):
        track_training(settings, warehouse, store, outcome, tracking.opened)  # only warns
    outcome.timing = phases.summary()
    outcome.seconds = round((utc_now() - started).total_seconds(), 2)
    log.info("training time by phase: %s", describe(outcome.timing))
    return outcome


def _logged_reason(reason: str | None, trigger: str | None) -> str | None:
    """Return TRAINING_LOG's reason: what started the run, then what it decided."""
    return f"triggered by {trigger}; {reason}" if trigger else reason


def _train_and_decide(settings, warehouse, store, outcome, compare, promote, params, progress,
                      phases: PhaseTimer, on_refit: Callable[[], None] | None = None):
    # Load the champion first: a corrupt champion artifact fails the run before any training.
    with phases.phase("load_champion"):
        current = registry.load_champion(warehouse, store, required=False)
    judged = current if compare or promote else None  # scored on the challenger's holdout
    if settings.engine == "dask":
        # Deferred: the dask engine imports dask, distributed and xgboost.dask on use.
        from flightprice.train._dask import train_on_dask

        if on_refit is not None:
            on_refit()  # the cluster trains: nothing here to leave a core to
        with phases.phase("train_on_dask"):
            trained, champion_metrics = train_on_dask(
                settings, warehouse, training_sql(settings.max_training_rows), params, judged,
                table=TRAINING_TABLE,
            )
    else:
        trained, champion_metrics = _train_locally(settings, warehouse, params, progress, judged,
                                                   phases, on_refit)  # fmt: skip
    outcome.search = trained.search
    outcome.metrics, outcome.baselines = dict(trained.metrics), dict(trained.baselines)
    outcome.rows, outcome.window = dict(trained.rows), dict(trained.window)
    version = new_version()
    trained.timing = phases.summary()  # the model's metadata: the phases that trained it
    with phases.phase("save"):
        info = save_model(trained, store, version)
    outcome.version, outcome.artifact_uri, outcome.sha256 = version, info.model_uri, info.sha256
    log.info("trained %s: holdout MAPE %.4f", version, trained.metrics["mape"])
    with phases.phase("register"):
        _register_and_decide(settings, warehouse, outcome, trained, current, champion_metrics,
                             compare, promote)  # fmt: skip


def _register_and_decide(settings, warehouse, outcome, trained, current, champion_metrics,
                         compare, promote):
    version = outcome.version
    # The registry row carries the baselines scored on the same rows, for `models show`.
    entry_metrics = {**trained.metrics, "baselines": trained.baselines}

    if current is None:
        registry.register(warehouse, version, entry_metrics, outcome.artifact_uri,
                          outcome.sha256, status="champion")
        outcome.decision, outcome.promoted = "first_champion", True
        outcome.reason = registry.compare(trained.metrics, None, 0.0).reason
        return
    registry.register(warehouse, version, entry_metrics, outcome.artifact_uri, outcome.sha256)
    outcome.champion_version = current.version
    if not compare and not promote:
        outcome.decision, outcome.reason = "none", "registered as challenger (no comparison)"
        return
    outcome.champion_metrics = champion_metrics
    decision = registry.compare(trained.metrics, outcome.champion_metrics,
                                settings.promotion_margin)
    outcome.reason = decision.reason
    if decision.promote and promote:
        registry.promote(warehouse, version, decision.reason)
        outcome.decision, outcome.promoted = "promoted", True
    elif decision.promote:
        outcome.decision = "would_promote"
    else:
        outcome.decision = "rejected"


def _train_locally(settings, warehouse, params, progress, judged, phases: PhaseTimer,
                   on_refit: Callable[[], None] | None = None):
    """Train in this process; return the model and `judged`'s metrics on the same holdout."""
    with phases.phase("read_frame"):
        frame = load_training_frame(warehouse, settings.max_training_rows)
    if frame.empty:
        raise empty_training_data(settings.holdout_days, TRAINING_TABLE)
    with phases.phase("search"):
        search = _search_params(settings, frame)
    chosen = {"flight_min_rows": settings.flight_min_rows,
              "early_stopping_max_rows": settings.early_stopping_max_rows,
              "early_stopping_min_share": settings.early_stopping_min_share,
              **(search.train_params() if search else {}), **(params or {})}  # fmt: skip
    # The champion is scored on the challenger's holdout rows while early stopping runs.
    trained: TrainedModel = train_model(frame, chosen, settings.holdout_days, progress,
                                        holdout_max_share=settings.holdout_max_share,
                                        champion=judged, phases=phases,
                                        on_refit=on_refit)  # fmt: skip
    trained.search = search.summary() if search else None
    return trained, trained.champion_metrics


def _search_params(settings: Settings, frame: pd.DataFrame):
    """Search the booster's parameters on the rows before the holdout; None with 0 trials."""
    if settings.search_trials == 0:
        return None
    # Deferred: optuna takes ~1.5 s to import, which a run without a search never needs.
    from flightprice.train._search import search_params

    return search_params(
        _holdout(frame, settings).train, trials=settings.search_trials,
        timeout_seconds=settings.search_timeout_seconds, seed=DEFAULT_PARAMS["seed"],
        max_rows=settings.search_max_rows,
    )


def _holdout(frame: pd.DataFrame, settings: Settings) -> TimeSplit:
    """Split `frame` as training does (`choose_holdout` with the holdout settings)."""
    return choose_holdout(frame, settings.holdout_days, settings.holdout_max_share)


def compare_versions(
    settings: Settings,
    warehouse: Warehouse,
    store: ObjectStore,
    challenger: str | None = None,
    champion: str | None = None,
) -> dict[str, Any]:
    """Score two registered versions on the same, current holdout rows and decide."""
    if champion is None:
        entry = registry.champion(warehouse)
        if entry is None:
            raise registry.RegistryError("no champion to compare with")
        champion = entry.version
    if challenger is None:
        candidates = [e for e in registry.list_models(warehouse, "challenger")]
        if not candidates:
            raise registry.RegistryError("no challenger registered: run `flightprice train`")
        challenger = candidates[0].version
    models = {}
    for version in (challenger, champion):
        entry = registry.get(warehouse, version)
        if entry is None:
            raise registry.RegistryError(f"model version {version} is not registered")
        models[version] = load_model(store, version, expected_sha256=entry.sha256)
    frame = load_training_frame(warehouse, settings.max_training_rows)
    holdout = _holdout(frame, settings).holdout
    decision = registry.compare_models(models[challenger], models[champion], holdout,
                                       settings.promotion_margin)
    return {
        "challenger": challenger, "champion": champion, "holdout_rows": len(holdout),
        "challenger_metrics": dict(decision.challenger_metrics or {}),
        "champion_metrics": dict(decision.champion_metrics or {}),
        "promote": decision.promote, "reason": decision.reason,
    }


def build_model_report(
    settings: Settings,
    warehouse: Warehouse,
    store: ObjectStore,
    version: str | None = None,
    out_dir=None,
):
    """Write the HTML + PNG report of `version` (default: the champion) on the current holdout.

    The champion is drawn beside a challenger; both median baselines are fitted on the train
    window and scored on the same rows.
    """
    from pathlib import Path

    # Deferred: the report draws with matplotlib, which training itself never needs.
    from flightprice.train.report import build_report

    current = registry.champion(warehouse)
    version = version or (current.version if current else None)
    if version is None:
        raise registry.RegistryError("no model to report on: run `flightprice train` first")
    entry = registry.get(warehouse, version)
    if entry is None:
        raise registry.RegistryError(f"model version {version} is not registered")
    model = load_model(store, version, expected_sha256=entry.sha256)
    champion_model = None
    if current is not None and current.version != version:
        champion_model = load_model(store, current.version, expected_sha256=current.sha256)
    frame = load_training_frame(warehouse, settings.max_training_rows)
    split = _holdout(frame, settings)
    out_dir = Path(out_dir) if out_dir else settings.home / "reports" / version
    files = build_report(
        model, split.holdout, out_dir, title=f"flightprice model {version}",
        champion=champion_model, baselines=fit_baselines(split.train), version=version,
    )
    track_report(settings, version, files)  # beside the run that trained it, in MLflow
    return files
