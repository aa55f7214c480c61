"""Batch scoring: price every flight on sale into FLIGHT_PRICES and PRICE_HISTORY.

Rows of ANALYTICS.ML_SCORING_FEATURES stream out of the warehouse in chunks (memory stays
bounded by the chunk size), each joined to its last published price in FLIGHT_PRICES, the
change limit's reference. A chunk is priced by `serving.quote`, the function the API runs:
in-process with the champion (mode `local`, two chunks at once by default) or by the deployed
API's Arrow batch endpoint, several requests in flight, each retried with back-off (mode
`api`); see `_scorers`. Pricing of the next chunks overlaps the writing of the last.

A run appends its PRICE_HISTORY rows a few chunks at a time (each append committed, so the
engine's memory stays bounded too; appends of whole DuckDB row groups are written
straight to the file, not through its write-ahead log), then publishes them in one
transaction: one MERGE (in DuckDB an UPDATE, then an insert of new flights, `_publish`) into
FLIGHT_PRICES (one row per flight and cabin) and its SCORING_LOG row. Current prices change
all at once or not at all. A failed run deletes the history it wrote and logs a `failed`
row; a killed run cannot, so each run first deletes history no run published (`_orphans`);
re-running a run id first deletes that run's history, so history never holds a run
twice. When the current price was published by the run being re-run, its
`previous_price_usd` stays the change limit's reference, so a re-run prices as the first
attempt did.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from flightprice._json import dumps
from flightprice.clock import new_run_id, utc_now
from flightprice.registry import NoChampionError
from flightprice.score._history import (
    HISTORY_TABLE,
    HistoryWriter,
    history_rows,
    log_details,
    unseen_counts,
    value_counts,
    versions,
    without_refused,
)
from flightprice.score._memory import bound_duckdb_memory, heap_frozen
from flightprice.score._orphans import delete_unpublished_history
from flightprice.score._publish import publish_prices
from flightprice.score._scorers import Mode, Scorer, open_scorer
from flightprice.serve.client import ApiError
from flightprice.store import open_store
from flightprice.train.model import ArtifactChecksumError
from flightprice.warehouse import open_warehouse

if TYPE_CHECKING:
    from flightprice.settings import Settings
    from flightprice.warehouse import Warehouse

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called after each chunk is written with (rows done, rows to score)."""

FEATURES_TABLE = "ANALYTICS.ML_SCORING_FEATURES"
PRICES_TABLE = "ML_PREDICTIONS.FLIGHT_PRICES"
LOG_TABLE = "ML_PREDICTIONS.SCORING_LOG"
# The request columns a scoring row supplies, plus its key, clock and last published price.
READ_SQL = f"""
select
    features.flight_id, features.carrier, features.flight_number, features.origin,
    features.destination, features.cabin, features.stops, features.duration_minutes,
    features.departure_at, features.observed_at, features.capacity, features.seats_remaining,
    features.as_of,
    case when prices.run_id = ? then prices.previous_price_usd else prices.price_usd end
        as last_price
from {FEATURES_TABLE} as features
left join {PRICES_TABLE} as prices
    on prices.flight_id = features.flight_id and prices.cabin = features.cabin
"""


class ScoringError(RuntimeError):
    """A scoring run failed; its SCORING_LOG row says why.

    `retryable` is False when running again cannot help (no champion, a corrupt artifact,
    rows the API refuses), so a flow does not retry those.
    """

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, ApiError):
        return exc.retryable
    return not isinstance(exc, NoChampionError | ArtifactChecksumError | ValueError)


@dataclass
class ScoringReport:
    """The outcome of one scoring run, as its SCORING_LOG row and a little more."""

    run_id: str
    mode: str
    status: str = "running"
    model_version: str | None = None
    rows: int = 0
    duration_seconds: float = 0.0
    started_at: datetime = field(default_factory=utc_now)
    finished_at: datetime | None = None
    error: str | None = None
    as_of: datetime | None = None
    guardrails: dict[str, int] = field(default_factory=dict)
    # Rows with inputs the model never saw (serve/unseen.py): how many, which inputs, how
    # many priced from the baseline, how many refused (skipped); SCORING_LOG.details.
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def score_flights(
    warehouse: Warehouse,
    scorer: Scorer,
    run_id: str,
    chunk_rows: int = 100_000,
    progress: Progress | None = None,
    before_publish: Callable[[], None] | None = None,
) -> ScoringReport:
    """Price every row of ML_SCORING_FEATURES and publish the prices; log the run.

    Raise ScoringError (after logging a `failed` row) when anything goes wrong; nothing of
    the failed run is kept in FLIGHT_PRICES, and its PRICE_HISTORY rows are deleted.
    `before_publish` runs once the history is written, before the publishing transaction.
    """
    report = ScoringReport(run_id=run_id, mode=scorer.mode)
    start = time.perf_counter()
    run_versions: set[str] = set()
    guardrails: Counter[str] = Counter()
    unseen: Counter[str] = Counter()
    history = HistoryWriter(warehouse)
    try:
        total = _count(warehouse, FEATURES_TABLE)
        delete_unpublished_history(warehouse)  # rows of killed runs (see _orphans)
        warehouse.execute(f"delete from {HISTORY_TABLE} where run_id = ?", [run_id])
        chunks = warehouse.query_batches(READ_SQL, [run_id], batch_rows=chunk_rows)
        with contextlib.closing(_priced(chunks, scorer)) as priced_chunks:
            for all_rows, all_priced in priced_chunks:
                unseen.update(unseen_counts(all_priced))
                rows, priced = without_refused(all_rows, all_priced)
                history.append(history_rows(rows, priced, run_id, report.started_at))
                run_versions.update(versions(priced))
                guardrails.update(value_counts(priced.column("guardrail")))
                report.rows += rows.num_rows
                if report.as_of is None:
                    report.as_of = rows.column("as_of")[0].as_py()
                if progress is not None:
                    progress(report.rows + unseen["refused_rows"], total)
        history.flush()
        if before_publish is not None:
            before_publish()
        with warehouse.transaction():
            publish_prices(warehouse, run_id, report.rows)
            report.model_version = ",".join(sorted(run_versions)) or None
            report.guardrails = dict(guardrails)
            report.details = log_details(unseen)
            _finish(report, "success", start)
            _log(warehouse, report)
    except Exception as exc:
        report.model_version = ",".join(sorted(run_versions)) or None
        report.rows = 0  # nothing of a failed run is kept
        report.error = f"{type(exc).__name__}: {exc}"
        _finish(report, "failed", start)
        try:
            warehouse.execute(f"delete from {HISTORY_TABLE} where run_id = ?", [run_id])
            _log(warehouse, report)
        except Exception:  # the warehouse itself may be what failed
            log.exception("could not clean up or log the failed scoring run %s", run_id)
        raise ScoringError(f"scoring run {run_id} failed: {report.error}", _retryable(exc)) from exc
    log.info("scoring run %s: %d rows priced with %s", run_id, report.rows, report.model_version)
    return report


def run_scoring(
    settings: Settings,
    *,
    mode: Mode | None = None,
    run_id: str | None = None,
    progress: Progress | None = None,
) -> ScoringReport:
    """Score with the configured warehouse and, in local mode, the registry's champion."""
    mode = mode or settings.scoring_mode
    run_id = run_id or new_run_id("scoring")
    with open_warehouse(settings) as warehouse:
        before_publish = bound_duckdb_memory(warehouse, settings)
        try:
            scorer = open_scorer(settings, mode, warehouse, open_store(settings))
        except Exception as exc:
            report = ScoringReport(run_id=run_id, mode=mode, error=f"{type(exc).__name__}: {exc}")
            _finish(report, "failed", time.perf_counter())
            _log(warehouse, report)
            raise ScoringError(
                f"scoring run {run_id} failed: {report.error}", _retryable(exc)
            ) from exc
        try:
            with heap_frozen():  # cheap collections after each history append (see _memory)
                return score_flights(
                    warehouse, scorer, run_id, chunk_rows=settings.scoring_chunk_rows,
                    progress=progress, before_publish=before_publish,
                )  # fmt: skip
        finally:
            scorer.close()


def _priced(
    chunks: Iterator[pa.RecordBatch], scorer: Scorer
) -> Iterator[tuple[pa.Table, pa.Table]]:
    """Yield (rows, priced) per chunk in order, pricing the next `scorer.concurrency` chunks
    while the caller writes this one."""
    with ThreadPoolExecutor(scorer.concurrency, thread_name_prefix="score") as pool:
        pending: collections.deque[tuple[pa.Table, Future[pa.Table]]] = collections.deque()
        try:
            for batch in chunks:
                rows = pa.Table.from_batches([batch])
                pending.append((rows, pool.submit(scorer.price, rows)))
                if len(pending) > scorer.concurrency:
                    rows, priced = pending.popleft()
                    yield rows, priced.result()
            while pending:
                rows, priced = pending.popleft()
                yield rows, priced.result()
        finally:
            for _, priced in pending:
                priced.cancel()
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # release the reading cursor before the transaction ends


def _count(warehouse: Warehouse, table: str) -> int:
    return int(warehouse.query_arrow(f"select count(*) as n from {table}").column(0)[0].as_py())


def _finish(report: ScoringReport, status: str, start: float) -> None:
    report.status = status
    report.finished_at = utc_now()
    report.duration_seconds = round(time.perf_counter() - start, 3)


def _log(warehouse: Warehouse, report: ScoringReport) -> None:
    warehouse.execute(
        f"insert into {LOG_TABLE} (run_id, mode, model_version, rows_scored, duration_seconds, "
        "status, error, started_at, finished_at, details) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            report.run_id, report.mode, report.model_version, report.rows,
            report.duration_seconds, report.status, report.error, report.started_at,
            report.finished_at, dumps(report.details) if report.details else None,
        ],
    )  # fmt: skip
