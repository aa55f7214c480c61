"""Weekly model training: dbt build -> quality gate -> train -> compare -> promote -> deploy -> log."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from flightprice.deploy import deploy_local
from flightprice.quality import run_quality_checks
from flightprice.settings import Settings, get_settings
from flightprice.store import open_store
from flightprice.report import report_markdown
from flightprice.training import TrainingOutcome, build_model_report, quality_gate, run_training
from flightprice.transform import new_run_id, transform
from flightprice.warehouse import open_warehouse

RETRY = {"retries": 2, "retry_delay_seconds": exponential_backoff(backoff_factor=5),
         "retry_jitter_factor": 0.5, "cache_policy": NO_CACHE}


@task(**RETRY)
def refresh_warehouse(settings: Settings, run_id: str) -> bool:
    return transform(settings, run_id=run_id, args=["build"], runner="prefect").success


@task(**RETRY)
def check_quality(settings: Settings, run_id: str) -> str | None:
    run_quality_checks(settings, run_id=run_id, run_tests=False)
    with open_warehouse(settings) as warehouse:
        return quality_gate(warehouse)


# Training is CPU-bound and deterministic: a retry would fail the same way.
@task(cache_policy=NO_CACHE)
def train_and_decide(settings: Settings, run_id: str) -> TrainingOutcome:
    with open_warehouse(settings) as warehouse:
        return run_training(settings, warehouse, open_store(settings), run_id=run_id,
                            compare=True, promote=True, check_quality=True)


@task(**RETRY)
def deploy(settings: Settings, version: str) -> dict:
    with open_warehouse(settings) as warehouse:
        return deploy_local(settings, warehouse, version).to_dict()


@task(cache_policy=NO_CACHE)
def write_report(settings: Settings, version: str) -> str:
    with open_warehouse(settings) as warehouse:
        files = build_model_report(settings, warehouse, open_store(settings), version)
    create_markdown_artifact(key="model-report", markdown=report_markdown(files),
                             description=f"Model report {version}")
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
        lines += ["", f"Noise floor MAPE {outcome.noise_floor_mape:.4f}; model at "
                      f"{outcome.mape_to_noise_floor:.3f}x."]
    if deployed:
        lines += ["", f"Deployed `{deployed['version']}` ({deployed['target']}): {deployed['detail']}"]
    return "\n".join(lines)


@flow(name="model-training", log_prints=True)
def training_pipeline(refresh: bool = True) -> dict:
    """Retrain weekly; promote and deploy the challenger only when it beats the champion."""
    logger = get_run_logger()
    settings = get_settings()
    run_id = new_run_id("training")
    if refresh and not refresh_warehouse(settings, run_id):
        logger.warning("dbt build had failures; the quality gate decides whether to train")
    why_not = check_quality(settings, run_id)
    if why_not:
        logger.warning("quality gate closed: %s", why_not)
    outcome = train_and_decide(settings, run_id)  # logs a skipped run when the gate is closed
    deployed = deploy(settings, outcome.version) if outcome.promoted else None
    report = write_report(settings, outcome.version) if outcome.version else None
    create_markdown_artifact(key="training-comparison",
                             markdown=comparison_markdown(outcome, deployed),
                             description=f"Training run {run_id}")
    return {**outcome.to_dict(), "deployed": deployed, "report": report}


if __name__ == "__main__":
    training_pipeline()
