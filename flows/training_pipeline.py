"""Weekly model training: dbt build -> quality gate -> train -> compare -> promote -> demand fit
-> deploy -> smoke test (rollback on failure) -> log."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)

from flightprice.clock import new_run_id
from flightprice.deploy.rollout import deploy
from flightprice.orchestrate.hooks import notify_flow_state, run_name
from flightprice.orchestrate.retries import task_retries
from flightprice.orchestrate.writer_slot import warehouse_writer
from flightprice.registry import NoChampionError
from flightprice.revenue.fitted import NoDemandHistoryError, fit_markdown, run_demand_fit
from flightprice.settings import Settings, get_settings
from flightprice.store import open_store
from flightprice.train.report import report_markdown
from flightprice.train.run import TrainingOutcome, build_model_report, quality_gate, run_training
from flightprice.transform.quality import run_quality_checks, transform
from flightprice.warehouse import open_warehouse

# The warehouse may be briefly held by another writer; back off and try again.
RETRY = task_retries(retries=2, backoff_factor=5)
# Training and the report are deterministic: retry only what a second try can fix.
RETRY_TRANSIENT = task_retries(retries=2, backoff_factor=10, transient_only=True)


@task(**RETRY)
def refresh_warehouse(settings: Settings, run_id: str) -> bool:
    with warehouse_writer(settings):
        return transform(settings, run_id=run_id, args=["build"], runner="prefect").success


@task(**RETRY)
def check_quality(settings: Settings, run_id: str) -> str | None:
    with warehouse_writer(settings):
        run_quality_checks(settings, run_id=run_id, run_tests=False)
        with open_warehouse(settings) as warehouse:
            return quality_gate(warehouse)


@task(**RETRY_TRANSIENT)
def train_and_decide(settings: Settings, run_id: str, reason: str | None = None) -> TrainingOutcome:
    with warehouse_writer(settings), open_warehouse(settings) as warehouse:
        return run_training(settings, warehouse, open_store(settings), run_id=run_id,
                            compare=True, promote=True, check_quality=True, trigger=reason)


@task(**RETRY_TRANSIENT)
def fit_demand(settings: Settings) -> dict | None:
    """Learn demand from the bookings feed with the champion; None when there is nothing to learn."""
    try:
        with warehouse_writer(settings):
            fit = run_demand_fit(settings)
    except (NoDemandHistoryError, NoChampionError) as exc:
        get_run_logger().info("no demand fit: %s", exc)
        return None
    markdown = fit_markdown(fit)
    print(markdown)  # the fit report in the run's log
    create_markdown_artifact(key="demand-fit", markdown=markdown,
                             description=f"Demand fit {fit['version']}")  # fmt: skip
    return {"version": fit["version"], **fit["summary"]}


# Not in the writer slot: the deploy opens the warehouse only around registry writes, and the
# API it reloads must open the DuckDB file in between. A retry starts over (a failed attempt
# has put the target and the registry back first).
@task(**RETRY)
def deploy_model(settings: Settings, version: str, run_id: str) -> dict:
    return deploy(settings, version, run_id=run_id).to_dict()


@task(**RETRY_TRANSIENT)
def write_report(settings: Settings, version: str) -> str:
    with warehouse_writer(settings), open_warehouse(settings) as warehouse:
        files = build_model_report(settings, warehouse, open_store(settings), version)
    create_markdown_artifact(key="model-report", markdown=report_markdown(files),
                             description=f"Model report {version}")
    create_link_artifact(key="model-report-file", link=Path(files.html).resolve().as_uri(),
                         link_text=f"model report {version}", description=str(files.html))  # fmt: skip
    return str(files.html)


def comparison_markdown(outcome: TrainingOutcome, deployed: dict | None) -> str:
    """Render the comparison table the flow attaches as an artifact."""
    lines = [f"# Training run `{outcome.run_id}`", "",
             f"**{outcome.status}** — decision **{outcome.decision}**: {outcome.reason}", ""]
    if outcome.metrics:
        columns = {"challenger " + (outcome.version or ""): outcome.metrics}
        if outcome.champion_metrics:
            columns["champion " + (outcome.champion_version or "")] = outcome.champion_metrics
        columns.update(outcome.baselines)
        lines += ["| metric | " + " | ".join(columns) + " |",
                  "|---|" + "---|" * len(columns)]
        for key in ("mape", "mape_dtd_lt_7", "mae", "rmse", "r2", "rows"):
            cells = [("–" if (m or {}).get(key) is None else f"{m[key]:.4g}")
                     for m in columns.values()]
            lines.append(f"| {key} | " + " | ".join(cells) + " |")
    if outcome.mape_to_noise_floor is not None:
        lines += ["", (f"Noise floor MAPE {outcome.noise_floor_mape:.4f}; model at "
                       f"{outcome.mape_to_noise_floor:.3f}x.")]
    if deployed:
        verdict = "Deployed" if deployed.get("passed", True) else "Deploy ROLLED BACK:"
        lines += ["", (f"{verdict} `{deployed['version']}` ({deployed['target']}): "
                       f"{deployed['detail']}")]
    return "\n".join(lines)


def metrics_table(outcome: TrainingOutcome) -> list[dict]:
    """One row per model (challenger, champion, baselines) and its holdout metrics."""
    columns = {"challenger": outcome.metrics, "champion": outcome.champion_metrics,
               **outcome.baselines}  # fmt: skip
    return [{"model": name, **{k: (m or {}).get(k) for k in ("mape", "mae", "rmse", "r2", "rows")}}
            for name, m in columns.items() if m]  # fmt: skip


@flow(name="model-training", log_prints=True, flow_run_name=run_name("training"),
      on_failure=[notify_flow_state], on_crashed=[notify_flow_state])  # fmt: skip
def training_pipeline(refresh: bool = True, reason: str | None = None) -> dict:
    """Retrain weekly; promote and deploy the challenger only when it beats the champion.

    `reason` says why a run was started out of schedule (monitoring passes its breach); it is
    recorded in TRAINING_LOG.

    The deploy goes to `settings.deploy_target` and is smoke-tested; a failed one is rolled
    back (target, registry, TRAINING_LOG) and fails this run, which notifies.
    """
    logger = get_run_logger()
    settings = get_settings()
    run_id = new_run_id("training")
    if refresh and not refresh_warehouse(settings, run_id):
        logger.warning("dbt build had failures; the quality gate decides whether to train")
    why_not = check_quality(settings, run_id)
    if why_not:
        logger.warning("quality gate closed: %s", why_not)
    outcome = train_and_decide(settings, run_id, reason)  # logs a skipped run when the gate is closed
    # Before the deploy: the API it reloads picks up the new fit with the new champion.
    demand = fit_demand(settings)
    deployed = deploy_model(settings, outcome.version, run_id) if outcome.promoted else None
    report = write_report(settings, outcome.version) if outcome.version else None
    create_markdown_artifact(key="training-comparison",
                             markdown=comparison_markdown(outcome, deployed),
                             description=f"Training run {run_id}")
    if outcome.metrics:
        create_table_artifact(key="training-metrics", table=metrics_table(outcome),
                              description=f"Holdout metrics of {run_id}")  # fmt: skip
    if deployed and deployed["rolled_back"]:
        raise RuntimeError(f"deploy of {deployed['version']} to {deployed['target']} "
                           f"{deployed['detail']}")
    return {**outcome.to_dict(), "deployed": deployed, "report": report, "demand": demand}


if __name__ == "__main__":
    training_pipeline()
