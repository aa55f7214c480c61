"""The monitoring report: one self-contained HTML page per scoring run (tables, inline bars)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from flightprice.monitor.run import MonitoringResult

_SECTIONS = (
    ("input_drift", "Input drift: PSI of each feature against the champion's training rows"),
    ("unseen", "Unseen inputs: share of scored rows"),
    ("output_drift", "Output drift: PSI of market fares and prices against the last runs"),
    ("accuracy", "Realised accuracy: MAPE of the market fare against fares observed later"),
)
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;
margin-bottom:1.5em}td,th{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}.breach{color:#b00020;font-weight:bold}
.bar{display:inline-block;height:.7em;background:#4a78c2}.bar.breach{background:#b00020}
"""


def write_report(result: MonitoringResult, earlier: pd.DataFrame, path: Path) -> Path:
    """Write the report of `result` (with earlier runs' breaches) to `path`; return it."""
    parts = [f"<h1>Monitoring of scoring run {_e(result.run_id)}</h1>",
             (f"<p>Model {_e(result.model_version)}: <b>{len(result.breaches)}</b> breach(es) "
             f"of {sum(c.threshold is not None for c in result.checks)} thresholds.</p>")]  # fmt: skip
    for kind, title in _SECTIONS:
        checks = [c for c in result.checks if c.kind == kind]
        parts.append(f"<h2>{_e(title)}</h2>")
        if not checks:
            parts.append("<p>Nothing to compare.</p>")
            continue
        rows = []
        # One scale for values and thresholds: a small value draws a short bar, not a full one.
        top = max((v for c in checks for v in (c.value, c.threshold) if v is not None),
                  default=0.0) or 1.0  # fmt: skip
        for c in checks:
            css = ' class="breach"' if c.breached else ""
            width = 0 if c.value is None else int(200 * c.value / top)
            rows.append(
                f"<tr{css}><td>{_e(c.name)}</td><td>{_num(c.value)}</td>"
                f"<td>{_num(c.threshold)}</td><td>{'' if c.rows is None else f'{c.rows:,}'}</td>"
                f'<td style="text-align:left"><span class="bar{" breach" if c.breached else ""}" '
                f'style="width:{width}px"></span></td></tr>'
            )
        parts.append(f"<table><tr><th>{_e(checks[0].metric)} of</th><th>value</th>"
                     "<th>threshold</th><th>rows</th><th></th></tr>" + "".join(rows) + "</table>")  # fmt: skip
    parts.append("<h2>Breaches of earlier runs</h2>")
    parts.append(earlier.to_html(index=False, border=0) if not earlier.empty else "<p>None.</p>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>Monitoring "
                    f"{_e(result.run_id)}</title><style>{_STYLE}</style></head><body>"
                    + "\n".join(parts) + "</body></html>")  # fmt: skip
    return path


def _e(value: object) -> str:
    return html.escape(str(value))


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"
