"""Batch scoring, every six hours: API health -> dbt ML features -> score -> prices -> notify."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from flightprice.clock import new_run_id
from flightprice.monitor.run import monitor_scoring_run
from flightprice.orchestrate.engine_flow import engine_flow
from flightprice.orchestrate.hooks import notify_flow_state, run_name
from flightprice.orchestrate.notify import notify
from flightprice.orchestrate.writer_slot import warehouse_writer
from flightprice.score.batch import ScoringError, run_scoring
from flightprice.serve.client import PricingClient
from flightprice.settings import Settings, get_settings
from flightprice.transform.dbt import run_dbt

# Network and warehouse calls: the API may be restarting, the DuckDB file briefly held.
RETRY = {"retries": 3, "retry_delay_seconds": exponential_backoff(backoff_factor=2),
         "retry_jitter_factor": 0.5, "cache_policy": NO_CACHE}  # fmt: skip


@task(**RETRY)
def check_api_health(settings: Settings) -> dict:
    with PricingClient(settings.api_url, retries=0, timeout=10) as client:
        return client.health()


@task(**RETRY)
def refresh_ml_features(settings: Settings, as_of: str | None) -> dict:
    with warehouse_writer(settings):  # one writer of the DuckDB file across flows
        run = run_dbt(settings, ["run", "--select", "ml"], runner="prefect", scoring_as_of=as_of)
    if not run.success:
        raise RuntimeError(f"dbt ml features failed: {[n.name for n in run.failed]}")
    return run.to_dict()


def _worth_retrying(task, task_run, state) -> bool:
    try:
        state.result()
    except ScoringError as exc:
        return exc.retryable  # no champion, refused rows: the same again would fail again
    except Exception:  # noqa: BLE001 - anything else may be transient
        return True
    return False


# A retry re-runs the same run id: the run is one transaction, and history is replaced.
@task(**RETRY, retry_condition_fn=_worth_retrying)
def score_flights(settings: Settings, mode: str, run_id: str) -> dict:
    with warehouse_writer(settings):
        return run_scoring(settings, mode=mode, run_id=run_id).to_dict()


# Not retried: a second pass would measure the same rows (and could start training twice).
@task(cache_policy=NO_CACHE)
def monitor_run(settings: Settings, run_id: str) -> dict | None:
    if not settings.monitoring_enabled:
        return None
    with warehouse_writer(settings):
        return monitor_scoring_run(settings, run_id).to_dict()


@task(cache_policy=NO_CACHE)  # notify() retries on its own and never raises
def send_notification(settings: Settings, subject: str, body: str, status: str) -> bool:
    return notify(settings, subject, body, status)


def summary_markdown(report: dict) -> str:
    """Render the run summary for the notification and the flow artifact."""
    guardrails = ", ".join(f"{k} {v:,}" for k, v in sorted(report["guardrails"].items()))
    return (
        f"Scoring run `{report['run_id']}` ({report['mode']} mode): "
        f"**{report['rows']:,}** flight-cabins priced with model `{report['model_version']}` "
        f"in {report['duration_seconds']:.1f} s, data as of {report['as_of']}.\n\n"
        f"Guardrails: {guardrails or 'none'}."
    )


def summary_table(report: dict) -> list[dict]:
    """The run's figures as one row per measure, for the flow's table artifact."""
    rows = [{"measure": k, "value": str(report[k])}
            for k in ("run_id", "mode", "model_version", "as_of", "rows", "duration_seconds")
            if k in report]  # fmt: skip
    rows += [{"measure": f"guardrail {k}", "value": str(v)}
             for k, v in sorted(report["guardrails"].items())]  # fmt: skip
    return rows


# FLIGHTPRICE_ENGINE=dask: the tasks run on a Dask cluster (prefect-dask), chosen when each
# run starts (engine_flow); scoring then prices on that cluster too (score/_dask.py).
@engine_flow(name="batch-scoring", log_prints=True, flow_run_name=run_name("scoring"),
             on_failure=[notify_flow_state], on_crashed=[notify_flow_state])  # fmt: skip
def batch_scoring(
    mode: str | None = None, run_id: str | None = None, as_of: str | None = None,
    refresh_features: bool = True,
) -> dict:  # fmt: skip
    """Price every flight on sale; `as_of` sets the data clock (default: the latest quote)."""
    logger = get_run_logger()
    settings = get_settings()
    mode = mode or settings.scoring_mode
    run_id = run_id or new_run_id("scoring")
    if mode == "api":
        health = check_api_health(settings)
        logger.info("API serving model %s", health["model_version"])
    if refresh_features:
        refresh_ml_features(settings, as_of)
    # Submitted, not called: under the Dask task runner it runs on the cluster (and prices
    # there through its own client); under the default runner, in a thread of this process.
    report = score_flights.submit(settings, mode, run_id).result()
    report["monitoring"] = monitor_run(settings, run_id)  # drift, accuracy; alerts on a breach
    summary = summary_markdown(report)
    create_markdown_artifact(key="batch-scoring-summary", markdown=summary,
                             description=f"Batch scoring {run_id}")  # fmt: skip
    create_table_artifact(key="batch-scoring-figures", table=summary_table(report),
                          description=f"Batch scoring {run_id}")  # fmt: skip
    send_notification(settings, f"batch scoring {run_id} succeeded", summary, "success")
    return report


if __name__ == "__main__":
    batch_scoring()
