"""Backfill: run the daily or the scoring flow as of each date of a range, resumably.

Each completed date is recorded in `<home>/backfill/<flow>.json` as soon as its flow run
completes; a re-run skips recorded dates (unless `force`), so a backfill killed or failed
half-way resumes where it stopped. Every date's run is idempotent on its own: daily runs
with `force` (a date whose files were loaded before a kill still gets its dbt run) and
scoring runs under a fixed run id per date (its price history is replaced, not doubled).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from flightprice.clock import utc_now

if TYPE_CHECKING:
    from flightprice.settings import Settings

BackfillFlow = Literal["daily", "scoring"]
Progress = Callable[[date, str], None]  # (date, "done" | "skipped" | "failed" | "running")

# Scoring as of a date prices what was on sale at the end of that day.
SCORING_CLOCK = "23:59:59"


@dataclass
class BackfillDay:
    day: date
    status: str  # done | skipped | failed
    seconds: float = 0.0
    detail: str = ""


@dataclass
class BackfillReport:
    flow: str
    start: date
    end: date
    state_file: str
    days: list[BackfillDay] = field(default_factory=list)

    @property
    def failed(self) -> list[BackfillDay]:
        return [d for d in self.days if d.status == "failed"]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["counts"] = {s: sum(d.status == s for d in self.days)
                         for s in ("done", "skipped", "failed")}  # fmt: skip
        return json.loads(json.dumps(out, default=str))


def dates(start: date, end: date) -> list[date]:
    """Every date from `start` to `end`, both included."""
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def state_file(settings: Settings, flow: BackfillFlow) -> Path:
    return settings.home / "backfill" / f"{flow}.json"


def completed(settings: Settings, flow: BackfillFlow) -> dict[str, dict]:
    """Return the recorded dates of `flow` (ISO date -> when and which run completed it)."""
    try:
        return json.loads(state_file(settings, flow).read_text())
    except FileNotFoundError:
        return {}


def _record(settings: Settings, flow: BackfillFlow, day: date, run: str) -> None:
    done = completed(settings, flow)
    done[day.isoformat()] = {"completed_at": utc_now().isoformat(), "run": run}
    path = state_file(settings, flow)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(sorted(done.items())), indent=1))
    os.replace(tmp, path)  # atomic: a kill leaves the old record or the new one


def parameters(flow: BackfillFlow, day: date) -> dict[str, Any]:
    """The flow's parameters for one date of a backfill."""
    if flow == "daily":
        return {"as_of": day, "force": True}
    return {"as_of": f"{day} {SCORING_CLOCK}", "run_id": f"scoring-backfill-{day:%Y%m%d}"}


def backfill(
    settings: Settings,
    flow: BackfillFlow,
    start: date,
    end: date,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> BackfillReport:
    """Run `flow` as of each date from `start` to `end`; stop at the first failed date."""
    # Deferred: runs imports Prefect, which `--help` and the state helpers do not need.
    from flightprice.orchestrate.runs import run_flow

    report = BackfillReport(flow, start, end, str(state_file(settings, flow)))
    done = {} if force else completed(settings, flow)
    say = progress or (lambda _day, _status: None)
    for day in dates(start, end):
        if day.isoformat() in done:
            report.days.append(BackfillDay(day, "skipped", detail="done before"))
            say(day, "skipped")
            continue
        say(day, "running")
        started = time.monotonic()
        _, state = run_flow(settings, flow, parameters(flow, day))
        seconds = round(time.monotonic() - started, 1)
        if not state.is_completed():
            detail = f"{state.type.value}: {state.message}"
            report.days.append(BackfillDay(day, "failed", seconds, detail))
            say(day, "failed")
            break
        result = state.result()
        _record(settings, flow, day, str((result or {}).get("run_id", "")))
        report.days.append(BackfillDay(day, "done", seconds))
        say(day, "done")
    return report
