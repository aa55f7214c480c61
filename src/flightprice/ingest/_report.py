"""What one ingest run did, file by file: the `ingest --json` document and the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flightprice.exit_codes import ExitCode


@dataclass
class IngestReport:
    """What one ingest run did, file by file."""

    run_id: str
    loaded: list[tuple[str, str, int]] = field(default_factory=list)  # (key, feed, rows)
    # key of a loaded file -> (rows rejected, top reasons), for files with rejected rows
    rejected: dict[str, tuple[int, list[dict[str, Any]]]] = field(default_factory=dict)
    skipped_already_loaded: list[str] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, error)
    duration_seconds: float = 0.0

    @property
    def totals(self) -> dict[str, int]:
        return {
            "files_loaded": len(self.loaded),
            "rows_loaded": sum(rows for *_, rows in self.loaded),
            "rows_rejected": sum(n for n, _ in self.rejected.values()),
            "files_skipped": len(self.skipped_already_loaded),
            "files_quarantined": len(self.quarantined),
            "files_failed": len(self.failed),
        }

    @property
    def exit_code(self) -> ExitCode:
        # A file that could not be loaded or quarantined outranks a quarantine.
        if self.failed:
            return ExitCode.LOAD_FAILED
        return ExitCode.QUARANTINED if self.quarantined else ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "loaded": [self._loaded_dict(*loaded) for loaded in self.loaded],
            "skipped_already_loaded": list(self.skipped_already_loaded),
            "quarantined": [{"key": k, "reason": r} for k, r in self.quarantined],
            "failed": [{"key": k, "error": e} for k, e in self.failed],
            "totals": self.totals,
            "duration_seconds": round(self.duration_seconds, 3),
            "exit_code": int(self.exit_code),
        }

    def _loaded_dict(self, key: str, feed: str, rows: int) -> dict[str, Any]:
        rejected, reasons = self.rejected.get(key, (0, []))
        return {
            "key": key,
            "feed": feed,
            "rows": rows,
            "rows_rejected": rejected,
            "top_reasons": reasons,
        }
