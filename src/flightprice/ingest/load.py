"""Ingest raw files: discover new deliveries, validate them, load them whole or quarantine them.

A delivery is a (store key, content sha256) pair. It is new while that pair is not in
RAW.LOAD_MANIFEST, so re-running adds nothing, a file left in `raw-data/` after loading is
skipped, and the same bytes at another key load again (another key is another delivery).
A key whose content changed is a new delivery too; its old rows stay (they were delivered).

Hashing needs the whole file (on S3, a download), so the manifest also keeps the store's cheap
change marker of each loaded file (size + mtime locally, size + ETag on S3): a key whose
marker still matches its manifest row is skipped without being read again. Any change to the
marker only means the file is hashed again; the (key, hash) pair still decides. A local file
changed in the last two seconds gets no marker (file times tick coarsely), so it is read.

Each valid file loads in one warehouse transaction together with its manifest row and its
rejected rows (RAW.REJECTED_ROWS), so a crash leaves the file either fully loaded and recorded
or not at all, and the next run retries it. Rows failing a row check are rejected one by one
(also listed in `quarantine/<key>.rejects.csv`, with a `warn` DATA_QUALITY_LOG row); a file
that cannot be read, breaks the layout, or has more than `IngestPolicy.max_reject_share` of
its rows rejected moves whole to `quarantine/<key>` next to `<key>.reason.json` and gets a
`fail` DATA_QUALITY_LOG row. A file that was valid but failed to load stays put (retried).

Fares are checked in USD at dated rates: the shipped history overlaid by the rates feed
loaded so far, this run's included (see `_rates`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv

from flightprice.clock import utc_now
from flightprice.ingest import _rates
from flightprice.ingest._checks import FEED_COLUMNS, FEEDS, CheckFailure
from flightprice.ingest._rejects import IngestPolicy, top_reasons
from flightprice.ingest._report import IngestReport
from flightprice.ingest._validate import (
    RawFile,
    Rejection,
    ValidatedFile,
    parse_key,
    validate_file,
)
from flightprice.store import QUARANTINE_PREFIX, RAW_PREFIX, ObjectStore, UnsafeKeyError
from flightprice.transform.quality import quality_row, write_quality_rows
from flightprice.warehouse import Warehouse

__all__ = [
    "FEED_COLUMNS",
    "CheckFailure",
    "IngestPolicy",
    "IngestReport",
    "RawFile",
    "Rejection",
    "ValidatedFile",
    "discover_new_files",
    "load_raw_files",
    "validate_file",
]

RAW_TABLES = {"schedules": "RAW.SCHEDULES", "fares": "RAW.FARES",
              "currency_rates": _rates.RATES_TABLE, "bookings": "RAW.BOOKINGS"}  # fmt: skip
MANIFEST_TABLE = "RAW.LOAD_MANIFEST"
REJECTS_TABLE = "RAW.REJECTED_ROWS"
SUFFIXES = {".csv": "csv", ".parquet": "parquet"}

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


def discover_new_files(
    store: ObjectStore, warehouse: Warehouse, as_of: date | None = None
) -> list[RawFile]:
    """Return the raw files, in key order, whose (key, content hash) is not in the manifest.

    With `as_of`, files delivered after that day are not there yet (a backfill's view).
    """
    return _scan(store, warehouse, as_of).new


def load_raw_files(
    store: ObjectStore,
    warehouse: Warehouse,
    *,
    progress: Progress | None = None,
    run_id: str | None = None,
    rates_seed: Path = _rates.SEED_RATES,
    policy: IngestPolicy | None = None,
    as_of: date | None = None,
) -> IngestReport:
    """Load every new raw file without its rejected rows, or quarantine it whole.

    One bad file never stops the others. `rates_seed` is the shipped rate history
    (`date, currency, rate_to_usd`) fares are converted with, under the rates feed. With
    `as_of`, files delivered after that day wait for a later run.
    """
    started = time.monotonic()
    report = IngestReport(run_id=run_id or f"ingest-{uuid.uuid4().hex[:12]}")
    scan = _scan(store, warehouse, as_of)
    new, report.skipped_already_loaded = scan.new, scan.skipped
    _remember_fingerprints(warehouse, scan.refreshed)
    for key in report.skipped_already_loaded:
        logger.info("skipped %s: already loaded", key)
    rates = _rates.overlay(_rates.shipped_rates(rates_seed), _rates.warehouse_rates(warehouse))
    for done, raw_file in enumerate(new, start=1):
        loaded = _ingest_one(store, warehouse, raw_file, report, rates, policy)
        if loaded is not None and raw_file.feed == "currency_rates":
            rates = _rates.overlay(rates, loaded)  # key order: before the fares of its day
        if progress is not None:
            progress(done, len(new), raw_file.key)
    report.duration_seconds = time.monotonic() - started
    return report


@dataclass
class _Scan:
    new: list[RawFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # keys loaded with this content
    # (key, content hash, fingerprint) of loaded files whose marker changed (or was unknown)
    refreshed: list[tuple[str, str, str]] = field(default_factory=list)


def _scan(store: ObjectStore, warehouse: Warehouse, as_of: date | None = None) -> _Scan:
    """Split the raw files into new ones and keys already loaded with the same content."""
    manifest = warehouse.query_arrow(
        f"SELECT path, content_hash, source_fingerprint FROM {MANIFEST_TABLE}"
    )
    columns = [manifest.column(i).to_pylist() for i in range(3)]
    loaded = set(zip(columns[0], columns[1], strict=True))
    unchanged = {(p, f) for p, f in zip(columns[0], columns[2], strict=True) if f is not None}
    listed: dict[str, str | None] = {}
    for feed in FEEDS:
        listed.update(store.fingerprints(f"{RAW_PREFIX}{feed}/"))
    scan = _Scan()
    # Bookings last: their prices convert at rates this run may load (key order puts
    # raw-data/bookings/ before raw-data/currency_rates/).
    for key, fingerprint in sorted(listed.items(), key=_load_order):
        fmt = SUFFIXES.get(Path(key).suffix.lower())
        if fmt is None or _after(key, as_of):
            continue
        if fingerprint is not None and (key, fingerprint) in unchanged:  # not touched since
            scan.skipped.append(key)
            continue
        feed = key.removeprefix(RAW_PREFIX).split("/", 1)[0]
        try:
            with store.local_copy(key) as path:
                content_hash = _sha256(path)
        except FileNotFoundError:  # moved away since the listing
            continue
        except (UnsafeKeyError, PermissionError, IsADirectoryError) as exc:
            # Never read, so never loaded: quarantined with the reason instead of failing
            # every run (a link out of the lake is not followed).
            why = f"cannot be read: {type(exc).__name__}: {exc}"
            scan.new.append(RawFile(key, feed, fmt, "", None, None, fingerprint, unreadable=why))
            continue
        if (key, content_hash) in loaded:
            scan.skipped.append(key)
            if fingerprint is not None:
                scan.refreshed.append((key, content_hash, fingerprint))
            continue
        delivery_date, layout_error = parse_key(key)
        scan.new.append(
            RawFile(key, feed, fmt, content_hash, delivery_date, layout_error, fingerprint)
        )
    return scan


def _load_order(item: tuple[str, str | None]) -> tuple[bool, str]:
    return item[0].startswith(f"{RAW_PREFIX}bookings/"), item[0]


def _after(key: str, as_of: date | None) -> bool:
    """Whether `key` was delivered after `as_of` (a key without a valid date never is)."""
    delivery_date = parse_key(key)[0] if as_of is not None else None
    return delivery_date is not None and delivery_date > as_of


def _remember_fingerprints(warehouse: Warehouse, refreshed: list[tuple[str, str, str]]) -> None:
    """Record the current marker of loaded files that were read again (touched, or older
    manifest rows without one), so the next run skips them without reading."""
    for key, content_hash, fingerprint in refreshed:
        warehouse.execute(
            f"UPDATE {MANIFEST_TABLE} SET source_fingerprint = ? "
            "WHERE path = ? AND content_hash = ?",
            [fingerprint, key, content_hash],
        )


def _ingest_one(
    store: ObjectStore,
    warehouse: Warehouse,
    raw_file: RawFile,
    report: IngestReport,
    rates: pa.Table | None = None,
    policy: IngestPolicy | None = None,
) -> pa.Table | None:
    """Load or quarantine one file; return the rows it loaded (rates: see validate_file)."""
    key = raw_file.key
    try:
        if raw_file.unreadable:
            failure = CheckFailure("unreadable", raw_file.unreadable)
            _quarantine(store, warehouse, Rejection(raw_file, (failure,)), report)
            return None
        with store.local_copy(key) as path:
            # Hash what is validated: the object may have been replaced since discovery.
            raw_file = replace(raw_file, content_hash=_sha256(path))
            result = _validate(raw_file, path, rates, policy)
        if isinstance(result, Rejection):
            _quarantine(store, warehouse, result, report)
            return None
        rows = _load(warehouse, result, report.run_id)
        if rows is not None and result.rows_rejected:
            _record_rejects(store, warehouse, result, report)
    except Exception as exc:  # one file's failure must not stop the run
        logger.error("failed %s: %s: %s", key, type(exc).__name__, exc)
        logger.debug("traceback of %s", key, exc_info=True)
        report.failed.append((key, f"{type(exc).__name__}: {exc}"))
        return None
    if rows is None:
        logger.info("skipped %s: already loaded (by a concurrent run)", key)
        report.skipped_already_loaded.append(key)
        return None
    ignored = f", ignored columns {list(result.ignored_columns)}" if result.ignored_columns else ""
    rejected = f", rejected {result.rows_rejected} rows" if result.rows_rejected else ""
    logger.info("loaded %s: %d %s rows%s%s", key, rows, raw_file.feed, rejected, ignored)
    report.loaded.append((key, raw_file.feed, rows))
    return result.table


def _validate(
    raw_file: RawFile, path: Path, rates: pa.Table | None, policy: IngestPolicy | None
) -> ValidatedFile | Rejection:
    """Validate the file; a file that breaks the reader itself is rejected, not retried.

    Reading the same bytes fails the same way every run, so retrying would block the feed.
    """
    try:
        return validate_file(raw_file, path, rates, policy)
    except MemoryError:
        raise  # the machine, not the file: retried next run
    except Exception as exc:
        logger.debug("validating %s raised", raw_file.key, exc_info=True)
        detail = f"cannot be read: {type(exc).__name__}: {str(exc)[:500]}"
        return Rejection(raw_file, (CheckFailure("unreadable", detail),))


def _load(warehouse: Warehouse, validated: ValidatedFile, run_id: str) -> int | None:
    """Insert the rows, the rejects and the manifest row in one transaction; None if already
    loaded."""
    raw_file = validated.raw_file
    loaded_at = utc_now()
    rejects = _rejects_rows(validated, run_id, loaded_at)
    n = validated.rows
    rows = validated.table.append_column(
        "_source_file", pa.repeat(pa.scalar(raw_file.key, pa.string()), n)
    ).append_column("_loaded_at", pa.repeat(pa.scalar(loaded_at, pa.timestamp("us")), n))
    manifest_row = pa.table({
        "path": [raw_file.key], "content_hash": [raw_file.content_hash], "feed": [raw_file.feed],
        "rows_loaded": pa.array([n], pa.int64()), "loaded_at": pa.array([loaded_at], pa.timestamp("us")),
        "source_fingerprint": pa.array([raw_file.fingerprint], pa.string()),
    })  # fmt: skip
    with warehouse.transaction():
        already = warehouse.query_arrow(
            f"SELECT count(*) AS n FROM {MANIFEST_TABLE} WHERE path = ? AND content_hash = ?",
            [raw_file.key, raw_file.content_hash],
        )
        if already.column(0)[0].as_py():
            return None
        warehouse.insert_arrow(RAW_TABLES[raw_file.feed], rows)
        if rejects is not None:
            warehouse.insert_arrow(REJECTS_TABLE, rejects)
        warehouse.insert_arrow(MANIFEST_TABLE, manifest_row)
    return n


def _rejects_rows(validated: ValidatedFile, run_id: str, rejected_at: Any) -> pa.Table | None:
    """Return the RAW.REJECTED_ROWS rows of `validated`, or None when it has none."""
    if not validated.rows_rejected:
        return None
    raw_file, rejects = validated.raw_file, validated.rejects
    n = rejects.num_rows

    def constant(value: Any, arrow_type: pa.DataType) -> pa.Array:
        return pa.repeat(pa.scalar(value, arrow_type), n)

    return pa.table({
        "path": constant(raw_file.key, pa.string()),
        "content_hash": constant(raw_file.content_hash, pa.string()),
        **{name: rejects[name] for name in rejects.column_names},
        "run_id": constant(run_id, pa.string()),
        "rejected_at": constant(rejected_at, pa.timestamp("us")),
    })  # fmt: skip


def _record_rejects(
    store: ObjectStore, warehouse: Warehouse, validated: ValidatedFile, report: IngestReport
) -> None:
    """List a loaded file's rejected rows beside the quarantine and log them as a warning."""
    raw_file, rejects, n = validated.raw_file, validated.rejects, validated.rows_rejected
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(rejects, sink)
    store.write_bytes(
        QUARANTINE_PREFIX + raw_file.key + ".rejects.csv", sink.getvalue().to_pybytes()
    )
    report.rejected[raw_file.key] = (n, top_reasons(rejects))
    logger.warning("rejected %d rows of %s: %s", n, raw_file.key, validated.rejects_summary)
    write_quality_rows(warehouse, [quality_row(
        report.run_id, "ingest_rejects", "ingest", raw_file.key, "warn",
        failures=n, rows_checked=validated.rows + n, details=validated.rejects_summary,
    )])  # fmt: skip


def _quarantine(
    store: ObjectStore, warehouse: Warehouse, rejection: Rejection, report: IngestReport
) -> None:
    """Move the file aside with its reason, then log it; the reason is written first."""
    raw_file, now = rejection.raw_file, utc_now()
    target = QUARANTINE_PREFIX + raw_file.key
    reason = {
        "key": raw_file.key,
        "content_hash": raw_file.content_hash,
        "feed": raw_file.feed,
        "reason": rejection.reason,
        "checks": [c.to_dict() for c in rejection.checks],
        "rows_checked": rejection.rows_checked,
        "bad_rows": rejection.bad_rows,
        "max_reject_share": rejection.max_reject_share,
        "row_numbers": "1-based data rows; the CSV header is not counted",
        "quarantined_at": now.isoformat(),
        "run_id": report.run_id,
    }
    store.write_bytes(target + ".reason.json", json.dumps(reason, indent=2).encode())
    store.move(raw_file.key, target)
    share = ""
    if rejection.max_reject_share is not None:
        share = (f" ({rejection.bad_rows} of {rejection.rows_checked} rows rejected, over the"
                 f" {rejection.max_reject_share:.0%} limit)")  # fmt: skip
    logger.warning("quarantined %s%s: %s", raw_file.key, share, rejection.reason)
    report.quarantined.append((raw_file.key, rejection.reason))
    write_quality_rows(warehouse, [quality_row(
        report.run_id, "ingest_contract", "ingest", raw_file.key, "fail", checked_at=now,
        failures=rejection.bad_rows, rows_checked=rejection.rows_checked,
        details=rejection.reason,
    )])  # fmt: skip


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
