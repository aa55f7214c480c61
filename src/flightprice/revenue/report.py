"""What a simulation found: a JSON-ready result, an HTML report with figures, a markdown table."""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from flightprice.clock import utc_now
from flightprice.revenue.simulator import PRICE_PATHS, Simulation, compare

__all__ = ["result_dict", "summary_markdown", "write_report"]

_CSS = (
    "body{font:15px/1.45 system-ui,sans-serif;color:#222;max-width:980px;margin:2rem auto;"
    "padding:0 1rem}table{border-collapse:collapse}th,td{padding:.3rem .8rem;"
    "border-bottom:1px solid #e5e5e5;text-align:right}th:first-child,td:first-child"
    "{text-align:left}img{max-width:100%}figcaption{color:#555;font-size:.9rem}"
)


def result_dict(sim: Simulation, policy: str, baseline: str) -> dict[str, Any]:
    """Return the per-policy totals, the comparison and the demand fit, JSON-ready."""
    fit: dict[str, Any] = {}
    if sim.fits:
        d2 = np.concatenate([f["d2_holdout"].to_numpy() for f in sim.fits])
        fit = {"groups": len(sim.fits[0]), "d2_holdout_median": float(np.nanmedian(d2))}
        for column in ("competitor_drop_7d", "competitor_drop_56d"):
            if column in sim.fits[0]:  # fitted with the competitor's fare
                values = np.concatenate([f[column].to_numpy() for f in sim.fits])
                fit[f"{column}_median"] = float(np.nanmedian(values))
    return {
        "flights": sim.flights, "seeds": len(sim.seeds), "policies": sim.summary(),
        "comparison": compare(sim, policy, baseline), "demand_fit": fit,
    }  # fmt: skip


def summary_markdown(result: dict[str, Any]) -> str:
    """Return the per-policy table and the comparison as markdown (the Prefect artifact)."""
    lines = [
        "| policy | revenue per flight | load factor | average fare | spill |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, t in result["policies"].items():
        lines.append(
            f"| {name} | {t['revenue_per_flight']:,.0f} | {t['load_factor']:.3f} "
            f"| {t['average_fare']:,.2f} | {t['spill']:,.0f} |"
        )
    c = result["comparison"]
    low, high = c["ci95"]
    lines.append("")
    lines.append(
        f"**{c['policy']} vs {c['baseline']}**: revenue {c['revenue_uplift']:+.2%} "
        f"(95% CI {low:+.2%} to {high:+.2%}, {c['ci_method']}), "
        f"load factor {c['load_factor_diff']:+.3f}; {result['flights']} flights x "
        f"{result['seeds']} seeds."
    )
    return "\n".join(lines) + "\n"


def _figures(sim: Simulation) -> list[tuple[bytes, str]]:
    import matplotlib  # imported here: only a report draws

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt  # imported here: only a report draws

    runs = sim.runs
    horizon = len(next(iter(runs.values())).revenue_by_day)
    days = np.arange(horizon, 0, -1)
    out = []
    panels = (
        ("revenue_by_day", "revenue per day (USD)", "Revenue by days to departure (first seed)"),
        ("load_by_day", "load factor", "Load curves: seats sold / seats (first seed)"),
    )
    for attribute, label, caption in panels:
        fig, ax = plt.subplots(figsize=(8, 3.6))
        for name, run in runs.items():
            ax.plot(days, getattr(run, attribute), label=name)
        ax.invert_xaxis()
        ax.set(xlabel="days to departure", ylabel=label)
        ax.legend()
        out.append((_png(fig, plt), caption))
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    for unit, ax in zip((0, 1), axes, strict=True):  # flight 0: economy, business
        for name, run in runs.items():
            if unit < PRICE_PATHS:
                ax.plot(days, run.price_paths[unit], label=name)
        ax.invert_xaxis()
        ax.set(xlabel="days to departure", title=("economy", "business")[unit])
    axes[0].set_ylabel("price / base fare")
    axes[0].legend()
    out.append((_png(fig, plt), "Price paths of the first flight's cabins (first seed)"))
    return out


def _png(fig, plt) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


def write_report(sim: Simulation, result: dict[str, Any], out_dir: Path) -> Path:
    """Write `report.html` (self-contained) into `out_dir`; return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{t['revenue_per_flight']:,.0f}</td>"
        f"<td>{t['load_factor']:.3f}</td><td>{t['average_fare']:,.2f}</td>"
        f"<td>{t['spill']:,.0f}</td></tr>"
        for name, t in result["policies"].items()
    )
    c = result["comparison"]
    figures = "".join(
        f'<figure><img src="data:image/png;base64,{base64.b64encode(png).decode()}" '
        f'alt="{escape(caption)}"><figcaption>{escape(caption)}</figcaption></figure>'
        for png, caption in _figures(sim)
    )
    html = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Revenue '
        f"simulation</title><style>{_CSS}</style></head><body><h1>Revenue simulation</h1>"
        f"<p>{result['flights']} flights x {result['seeds']} seeds, the same customers for "
        f"every policy.</p><table><thead><tr><th>policy</th><th>revenue per flight</th>"
        f"<th>load factor</th><th>average fare</th><th>spill</th></tr></thead><tbody>{rows}"
        f"</tbody></table><p><b>{escape(c['policy'])} vs {escape(c['baseline'])}</b>: "
        f"{c['revenue_uplift']:+.2%} revenue, 95% CI [{c['ci95'][0]:+.2%}, "
        f"{c['ci95'][1]:+.2%}] ({escape(c['ci_method'])}); load factor "
        f"{c['load_factor_diff']:+.3f}.</p>{figures}<footer>Generated "
        f"{utc_now():%Y-%m-%d %H:%M UTC} by flightprice.</footer></body></html>\n"
    )
    path = out_dir / "report.html"
    path.write_text(html, encoding="utf-8")
    return path
