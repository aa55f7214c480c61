"""The report as one HTML file: inline CSS, figures as data URIs, no external resources."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import pandas as pd

from flightprice.clock import utc_now

# Metric key -> column heading, in table order.
METRIC_COLUMNS: tuple[tuple[str, str], ...] = (
    ("mae", "MAE (USD)"),
    ("rmse", "RMSE (USD)"),
    ("mape", "MAPE"),
    ("r2", "R²"),
    ("mape_dtd_lt_7", "MAPE < 7 days"),
    ("rows", "rows"),
)
MISSING = "–"

_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 980px; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; color: #555; }
dt { font-weight: 600; }
dd { margin: 0; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { padding: .3rem .8rem; border-bottom: 1px solid #e5e5e5; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #999; }
figure { margin: 1.5rem 0; }
img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: .9rem; }
footer { margin-top: 2rem; color: #888; font-size: .8rem; }
"""


def format_metric(key: str, value: Any) -> str:
    """Return `value` as shown in tables: percentages for MAPE, dollars for MAE and RMSE."""
    if value is None or pd.isna(value):
        return MISSING
    if key.startswith("mape"):
        return f"{value:.2%}"
    if key == "r2":
        return f"{value:.3f}"
    if key.startswith("rows"):
        return f"{int(value):,}"
    return f"{value:,.2f}"


def render_html(
    *,
    title: str,
    facts: Mapping[str, str],
    metrics: Mapping[str, Mapping[str, Any]],
    buckets: Mapping[str, pd.DataFrame],
    figures: Sequence[tuple[bytes, str]],
    importance: tuple[pd.Series, str] | None = None,
) -> str:
    """Return the report page; `figures` are (PNG bytes, caption) in display order.

    `importance` is the value per feature and what it measures (the column heading).
    """
    generated = utc_now().strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _facts(facts),
        "<h2>Holdout metrics</h2>",
        _metrics_table(metrics),
        _null_notes(metrics),
        "<h2>Figures</h2>",
        *(_figure(png, caption) for png, caption in figures),
        "<h2>Error by days to departure</h2>",
        _bucket_table(buckets),
        *(_importance_table(*importance) if importance is not None else ()),
        f"<footer>Generated {generated} by flightprice.</footer>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _facts(facts: Mapping[str, str]) -> str:
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts.items())
    return f"<dl>{items}</dl>"


def _metrics_table(metrics: Mapping[str, Mapping[str, Any]]) -> str:
    head = "".join(f"<th>{escape(label)}</th>" for _, label in METRIC_COLUMNS)
    body = "".join(
        f"<tr><td>{escape(name)}</td>"
        + "".join(f"<td>{format_metric(k, values.get(k))}</td>" for k, _ in METRIC_COLUMNS)
        + "</tr>"
        for name, values in metrics.items()
    )
    return f"<table><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>"


def _null_notes(metrics: Mapping[str, Mapping[str, Any]]) -> str:
    notes = [
        f"<li>{escape(name)}, {escape(key)}: {escape(str(why))}</li>"
        for name, values in metrics.items()
        for key, why in (values.get("null_reasons") or {}).items()
    ]
    return f"<ul>{''.join(notes)}</ul>" if notes else ""


def _importance_table(importance: pd.Series, label: str) -> tuple[str, str]:
    rows = "".join(
        f"<tr><td>{escape(str(name))}</td><td>{value:.4f}</td></tr>"
        for name, value in importance.items()
    )
    head = f"<thead><tr><th>feature</th><th>{escape(label)}</th></tr></thead>"
    return "<h2>Feature importance</h2>", f"<table>{head}<tbody>{rows}</tbody></table>"


def _bucket_table(buckets: Mapping[str, pd.DataFrame]) -> str:
    first = next(iter(buckets.values()))
    head = "".join(f"<th>MAPE {escape(name)}</th>" for name in buckets)
    rows = []
    for label in first.index:
        cells = "".join(
            f"<td>{format_metric('mape', table.at[label, 'mape'])}</td>"
            for table in buckets.values()
        )
        count = format_metric("rows", first.at[label, "rows"])
        rows.append(f"<tr><td>{escape(str(label))}</td><td>{count}</td>{cells}</tr>")
    return (
        f"<table><thead><tr><th>days to departure</th><th>rows</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _figure(png: bytes, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(caption)}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )
