"""Daily data pipeline: new files? -> RAW -> dbt seeds and models -> dbt tests -> quality."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flightprice.clock import new_run_id
from flightprice.ingest.load import IngestPolicy, discover_new_files, load_raw_files
from flightprice.orchestrate.hooks import notify_flow_state, run_name
from flightprice.orchestrate.retries import task_retries
from flightprice.orchestrate.writer_slot import warehouse_writer
from flightprice.settings import Settings, get_settings
from flightprice.store import open_store
from flightprice.transform.dbt import DBT_STEPS, with_full_refresh
from flightprice.transform.quality import run_quality_checks, transform
from flightprice.warehouse import open_warehouse

# The store, dbt or the warehouse may be briefly unavailable; back off and try again.
# Every task that opens the DuckDB file holds the one writer slot (see writer_slot).
RETRY = task_retries(retries=2, backoff_factor=5)


@task(**RETRY)
def check_new_files(settings: Settings, as_of: date | None) -> list[str]:
    with warehouse_writer(settings), open_warehouse(settings) as warehouse:
        return [f.key for f in discover_new_files(open_store(settings), warehouse, as_of)]


@task(**RETRY)
def load_raw(settings: Settings, run_id: str, as_of: date | None) -> dict:
    with warehouse_writer(settings), open_warehouse(settings) as warehouse:
        return load_raw_files(
            open_store(settings), warehouse, run_id=run_id,
            policy=IngestPolicy.from_settings(settings), as_of=as_of,
        ).to_dict()  # fmt: skip


@task(**RETRY, task_run_name="dbt-{step}")
def dbt_step(settings: Settings, step: str, run_id: str, full_refresh: bool = False) -> dict:
    args = with_full_refresh(DBT_STEPS[step]) if full_refresh else DBT_STEPS[step]
    with warehouse_writer(settings):
        run = transform(settings, run_id=run_id, args=args, runner="prefect")
    if not run.success and step != "tests":
        raise RuntimeError(f"dbt {step} failed: {[n.name for n in run.failed]}")
    return run.to_dict()


@task(**RETRY)
def quality_metrics(settings: Settings, run_id: str) -> list[dict]:
    with warehouse_writer(settings):
        _, rows = run_quality_checks(settings, run_id=run_id, run_tests=False)
    return rows


def summary_markdown(run_id: str, new_files: list[str], ingest: dict | None,
                     steps: dict[str, dict], checks: list[dict]) -> str:
    """Render the run summary that the flow attaches as an artifact."""
    lines = [f"# Daily data pipeline `{run_id}`", "", f"New files: **{len(new_files)}**", ""]
    if ingest:
        lines += [
            (f"Loaded **{len(ingest['loaded'])}** files, "
             f"quarantined **{len(ingest['quarantined'])}**, failed **{len(ingest['failed'])}**."),
            "",
        ]
        lines += [f"- quarantined `{q['key']}`: {q['reason']}" for q in ingest["quarantined"]]
    if steps:
        lines += ["", "| dbt step | success | nodes | failed |", "|---|---|---|---|"]
        for step, run in steps.items():
            failed = [n for n in run["nodes"] if n["status"] not in ("pass", "success", "skipped")]
            lines.append(f"| {step} | {run['success']} | {len(run['nodes'])} | {len(failed)} |")
    if checks:
        bad = [c for c in checks if c["status"] in ("fail", "error")]
        lines += ["", f"Quality metrics: {len(checks) - len(bad)} of {len(checks)} passed."]
        lines += [f"- **{c['status']}** {c['check_name']}: {c['details']}" for c in bad]
    return "\n".join(lines)


def ingest_table(ingest: dict) -> list[dict]:
    """One row per file the run loaded, quarantined or could not read."""
    rows = [{"file": f["key"], "outcome": "loaded", "rows": f.get("rows"), "reason": ""}
            for f in ingest["loaded"]]  # fmt: skip
    rows += [{"file": q["key"], "outcome": "quarantined", "rows": None, "reason": q["reason"]}
             for q in ingest["quarantined"]]  # fmt: skip
    rows += [{"file": f["key"], "outcome": "failed", "rows": None, "reason": f["error"]}
             for f in ingest["failed"]]  # fmt: skip
    return rows


@flow(name="daily-data-pipeline", log_prints=True, flow_run_name=run_name("daily"),
      on_failure=[notify_flow_state], on_crashed=[notify_flow_state])  # fmt: skip
def daily_pipeline(
    force: bool = False, full_refresh: bool = False, as_of: date | None = None
) -> dict:
    """Load the day's raw files, update the warehouse models, run the tests and quality log.

    The incremental models process only the rows loaded since the last run; `full_refresh`
    rebuilds them from all history. `as_of` (a backfill) loads only the files delivered by
    that day.
    """
    logger = get_run_logger()
    settings = get_settings()
    run_id = new_run_id("daily")
    new_files = check_new_files(settings, as_of)
    ingest, steps, checks = None, {}, []
    if new_files or force:
        ingest = load_raw(settings, run_id, as_of)
        for step in DBT_STEPS:  # models, then tests
            steps[step] = dbt_step(settings, step, run_id, full_refresh)
        checks = quality_metrics(settings, run_id)
    else:
        logger.info("no new raw files: nothing to transform (use force=True to rebuild)")
    if ingest:
        create_table_artifact(key="daily-ingest", table=ingest_table(ingest),
                              description=f"Raw files of {run_id}")  # fmt: skip
    if checks:
        create_table_artifact(key="daily-quality", description=f"Quality metrics of {run_id}",
                              table=[{k: c.get(k) for k in ("check_name", "status", "details")}
                                     for c in checks])  # fmt: skip
    create_markdown_artifact(
        key="daily-pipeline-summary",
        markdown=summary_markdown(run_id, new_files, ingest, steps, checks),
        description=f"Daily data pipeline {run_id}",
    )
    failed_tests = sum(1 for n in steps.get("tests", {}).get("nodes", []) if n["status"] == "fail")
    return {"run_id": run_id, "new_files": len(new_files), "ingest": ingest,
            "dbt_failed_tests": failed_tests, "quality_failed": sum(
                1 for c in checks if c["status"] in ("fail", "error"))}


if __name__ == "__main__":
    daily_pipeline()
