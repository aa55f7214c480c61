"""The report's four figures, drawn off-screen and written as PNG files.

Figures are built with `matplotlib.figure.Figure` on an Agg canvas, never through pyplot:
nothing opens a window, no global backend is switched for the host process (a notebook, the
API), and a figure is freed as soon as it goes out of scope. matplotlib is imported inside
the functions because importing it builds a font cache on first use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 110
MODEL_COLOR = "#1f77b4"
CHAMPION_COLOR = "#ff7f0e"
ACTUAL_COLOR = "#333333"
CABIN_COLORS = {
    "economy": "#1f77b4",
    "premium_economy": "#2ca02c",
    "business": "#ff7f0e",
    "first": "#d62728",
}


def plot_predicted_vs_actual(
    actual: np.ndarray, predicted: np.ndarray, cabin: np.ndarray, path: Path
) -> None:
    """Scatter predicted against actual price on log-log axes, one colour per cabin."""
    fig = _figure(6.4, 6.0)
    ax = fig.add_subplot()
    for name in _ordered(pd.unique(cabin), CABIN_COLORS):
        rows = cabin == name
        ax.scatter(
            actual[rows],
            predicted[rows],
            s=4,
            alpha=0.35,
            linewidths=0,
            color=CABIN_COLORS.get(name),
            label=str(name),
            rasterized=True,
        )
    low = float(min(actual.min(), predicted.min())) * 0.9
    high = float(max(actual.max(), predicted.max())) * 1.1
    ax.plot([low, high], [low, high], color=ACTUAL_COLOR, linewidth=1, label="predicted = actual")
    ax.set(xscale="log", yscale="log", xlim=(low, high), ylim=(low, high), aspect="equal")
    ax.set(xlabel="actual price (USD)", ylabel="predicted price (USD)")
    ax.set_title("Predicted vs actual price")
    ax.legend(loc="upper left", markerscale=3, fontsize="small")
    ax.grid(True, which="major", alpha=0.3)
    _save(fig, path)


def plot_error_by_dtd(buckets: Mapping[str, pd.DataFrame], path: Path) -> None:
    """Bar chart of MAPE per days-to-departure bucket, one bar group per model."""
    fig = _figure(8.0, 4.5)
    ax = fig.add_subplot()
    labels = next(iter(buckets.values())).index.tolist()
    x = np.arange(len(labels))
    width = 0.8 / len(buckets)
    colors = [MODEL_COLOR, CHAMPION_COLOR, "#7f7f7f", "#bcbd22"]
    for i, (name, table) in enumerate(buckets.items()):
        offset = (i - (len(buckets) - 1) / 2) * width
        values = table["mape"].to_numpy(dtype="float64") * 100
        ax.bar(x + offset, np.nan_to_num(values), width, label=name, color=colors[i % 4])
    rows = next(iter(buckets.values()))["rows"].to_numpy()
    ax.set_xticks(x, [f"{label}\n(n={n:,})" for label, n in zip(labels, rows, strict=True)])
    ax.tick_params(axis="x", labelsize="small")
    ax.set(xlabel="days to departure", ylabel="MAPE (%)")
    ax.set_title("Error by days to departure")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize="small")
    _save(fig, path)


def plot_feature_importance(importance: pd.Series, label: str, path: Path) -> None:
    """Horizontal bars of importance per feature (measured as `label` says), largest on top."""
    fig = _figure(7.0, 0.9 + 0.32 * len(importance))
    ax = fig.add_subplot()
    ordered = importance.sort_values()
    ax.barh(ordered.index.tolist(), ordered.to_numpy(), color=MODEL_COLOR)
    ax.set(xlabel=label)
    ax.set_title("Feature importance")
    ax.grid(True, axis="x", alpha=0.3)
    _save(fig, path)


def plot_fare_curves(curves: Sequence[tuple[str, pd.DataFrame]], path: Path) -> None:
    """One panel per route: mean actual and mean predicted price by days before departure."""
    cols = 2 if len(curves) > 1 else 1
    rows = max(1, -(-len(curves) // cols))
    fig = _figure(5.2 * cols, 3.6 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, (name, curve) in zip(axes, curves, strict=False):
        days = curve["days_to_departure"].to_numpy()
        ax.plot(days, curve["actual_mean_usd"], "o", ms=3, color=ACTUAL_COLOR, label="actual")
        ax.plot(days, curve["predicted_mean_usd"], "-", color=MODEL_COLOR, label="predicted")
        ax.invert_xaxis()  # time runs left to right, towards departure
        ax.set_title(name, fontsize="medium")
        ax.set(xlabel="days before departure", ylabel="mean price (USD)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    for ax in axes[len(curves) :]:
        ax.set_visible(False)
    if not curves:
        axes[0].set_visible(True)
        axes[0].text(0.5, 0.5, "no routes in the holdout", ha="center", va="center")
        axes[0].set_axis_off()
    fig.suptitle("Fare curve by days before departure")
    _save(fig, path)


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> None:
    fig.savefig(path, format="png", dpi=DPI)
    fig.clear()


def _ordered(values: Sequence[object], preferred: Mapping[str, str]) -> list[str]:
    present = [str(v) for v in values]
    return [c for c in preferred if c in present] + sorted(set(present) - set(preferred))
