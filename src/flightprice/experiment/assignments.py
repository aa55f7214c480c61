"""The assignment log: one JSON line per quote an experiment priced (which arm, which flight).

The API must not write to the warehouse (it would hold the embedded DuckDB file that admits
one writer), so assignments go to a JSON Lines file: each priced batch is one `write` on a
descriptor opened with O_APPEND, which keeps lines whole when several uvicorn workers append
to the same file. `flightprice experiment report` reads it back and credits each flight's
bookings to the arm that priced it.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from flightprice.clock import naive_utc, utc_now

COLUMNS = ("logged_at", "experiment", "flight_id", "cabin", "arm", "challenger", "model_version",
           "price")  # fmt: skip


class AssignmentLog:
    """Append assignment rows to a JSON Lines file, creating its folder on first write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None

    def append(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Write `rows` (COLUMNS; `logged_at` is filled in) as one append."""
        now = naive_utc(utc_now()).isoformat()
        text = "".join(json.dumps({"logged_at": now, **row}) + "\n" for row in rows)
        if not text:
            return
        with self._lock:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.write(self._fd, text.encode())

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def read_assignments(path: Path, experiment: str | None = None) -> pd.DataFrame:
    """Return the logged assignments (COLUMNS), of one experiment when it is named."""
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in COLUMNS})
    frame = pd.read_json(path, lines=True, dtype={"flight_id": str, "model_version": str})
    if experiment is not None:
        frame = frame[frame["experiment"] == experiment]
    return frame.reset_index(drop=True)
