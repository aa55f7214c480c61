"""Where a training run's seconds go: wall and CPU seconds per phase, logged and recorded.

`run_training` times each phase it runs in turn (read the frame, early stopping, refit,
holdout scoring, save, register, MLflow); work done on a helper thread while another phase
runs is timed too, marked `overlapped`: its seconds are hidden behind that phase's, so the
phases that are not overlapped add up to the run (`other_s` is what none of them covers).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)


class PhaseTimer:
    """Time named phases of one run; `summary()` is what the run records."""

    def __init__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        self._phases: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()  # phases on a helper thread finish concurrently

    @contextmanager
    def phase(self, name: str, *, overlapped: bool = False) -> Iterator[None]:
        """Time the `with` body as `name` (added up when a phase runs more than once).

        CPU seconds are the process's during the phase (every thread: XGBoost's and a helper
        thread's included), or, for an `overlapped` phase, its own thread's only.
        """
        clock = time.thread_time if overlapped else time.process_time
        wall, cpu = time.perf_counter(), clock()
        try:
            yield
        finally:
            self._add(name, time.perf_counter() - wall, clock() - cpu, overlapped)

    def _add(self, name: str, wall: float, cpu: float, overlapped: bool) -> None:
        with self._lock:
            entry = self._phases.setdefault(name, {"wall_s": 0.0, "cpu_s": 0.0})
            entry["wall_s"] += wall
            entry["cpu_s"] += cpu
            if overlapped:
                entry["overlapped"] = True

    def summary(self) -> dict[str, Any]:
        """Return the phases in the order they ended, the run's totals and the time unaccounted."""
        wall = time.perf_counter() - self._wall
        with self._lock:
            phases = {name: {k: round(v, 3) if isinstance(v, float) else v
                             for k, v in entry.items()}
                      for name, entry in self._phases.items()}  # fmt: skip
            # From the unrounded seconds: rounded ones could leave "-0.001 s" uncovered.
            covered = sum(e["wall_s"] for e in self._phases.values() if not e.get("overlapped"))
        return {
            "wall_s": round(wall, 3),
            "cpu_s": round(time.process_time() - self._cpu, 3),
            "phases": phases,
            "other_s": round(wall - covered, 3),
        }


def describe(summary: dict[str, Any]) -> str:
    """Return one log line: each phase's wall (CPU) seconds, then the totals."""
    parts = [f"{name} {p['wall_s']:.2f} s ({p['cpu_s']:.2f} CPU){' overlapped' if p.get('overlapped') else ''}"
             for name, p in summary["phases"].items()]  # fmt: skip
    return (f"{', '.join(parts)}; total {summary['wall_s']:.2f} s ({summary['cpu_s']:.2f} CPU), "
            f"other {summary['other_s']:.2f} s")  # fmt: skip
