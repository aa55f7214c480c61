"""Model report: predicted vs actual, error by horizon, feature importance and fare curves.

One self-contained `report.html` (figures embedded as base64 PNGs, inline CSS, nothing
fetched) plus the PNG files, for `flightprice report` and the training flow's artifact. Every
model in the report is scored here, on the same holdout rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flightprice._json import finite
from flightprice.features import TARGET_COLUMN, TIME_COLUMN
from flightprice.train._evaluation import (
    DTD_BUCKET_LABELS,
    SHAP_SEED,
    Predictor,
    dtd_bucket,
    score,
    shap_importance,
    shap_label,
)
from flightprice.train._report_html import METRIC_COLUMNS, format_metric, render_html

__all__ = [
    "FIGURES",
    "ReportFiles",
    "build_report",
    "curve_routes",
    "fare_curve",
    "feature_importance",
    "format_metric",
    "mape_by_dtd_bucket",
    "model_version",
    "report_markdown",
]

REPORT_FILE = "report.html"
# Figure key -> (PNG file name, one-line caption), in report order.
FIGURES: dict[str, tuple[str, str]] = {
    "predicted_vs_actual": (
        "predicted_vs_actual.png",
        "Predicted against actual price on log-log axes; points on the diagonal are exact.",
    ),
    "error_by_dtd": (
        "error_by_dtd.png",
        "Mean absolute percentage error by days to departure (n = holdout rows per bucket).",
    ),
    "feature_importance": (
        "feature_importance.png",
        "Mean |SHAP value| per feature on holdout rows: how far it moves a prediction on average.",
    ),
    "fare_curves": (
        "fare_curves.png",
        "Mean actual and mean predicted price by days before departure, busiest routes.",
    ),
}
CURVE_ROUTES = 4
CURVE_CABIN = "economy"
SAMPLE_SEED = 0
# Fare-curve bins widen until the average bin holds this many quotes (a sparse route would
# otherwise plot single quotes as its "mean").
CURVE_ROWS_PER_BIN = 10
_CURVE_BIN_WIDTHS = (1, 2, 3, 7, 14, 30)
_REQUIRED = (TARGET_COLUMN, TIME_COLUMN, "days_to_departure", "route", "cabin")


@dataclass(frozen=True)
class ReportFiles:
    """Where a report was written, and the metrics table it shows."""

    html: Path
    pngs: dict[str, Path]
    version: str
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form (paths as strings, non-finite metrics as null)."""
        return {
            "html": str(self.html),
            "pngs": {key: str(path) for key, path in self.pngs.items()},
            "version": self.version,
            "metrics": finite(self.metrics),
        }


def build_report(
    model: Any,
    holdout: pd.DataFrame,
    out_dir: Path,
    *,
    title: str | None = None,
    champion: Any = None,
    baselines: Mapping[str, Any] | None = None,
    max_points: int = 20000,
    version: str | None = None,
) -> ReportFiles:
    """Score `model` (and `champion`) on `holdout`, draw the four figures, write the HTML.

    `holdout` holds rows of ANALYTICS.ML_TRAINING_FEATURES. `baselines` maps a name to a
    fitted predictor (scored here) or to metrics already computed on the same rows. `version`
    overrides the model's own (a TrainedModel has none until it is saved). The scatter shows
    at most `max_points` rows, sampled with a fixed seed.
    """
    from flightprice.train import _report_figures as figures  # deferred: matplotlib

    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")
    _check_holdout(holdout)
    version = version or model_version(model)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pngs = {key: out_dir / name for key, (name, _) in FIGURES.items()}

    predicted = model.predict(holdout)
    metrics = {"model": score(predicted, holdout)}
    buckets = {f"model {version}": mape_by_dtd_bucket(holdout, predicted)}
    champion_version = None
    if champion is not None:
        champion_version = model_version(champion)
        champion_predicted = champion.predict(holdout)
        metrics["champion"] = score(champion_predicted, holdout)
        buckets[f"champion {champion_version}"] = mape_by_dtd_bucket(holdout, champion_predicted)
    for name, baseline in (baselines or {}).items():
        metrics[name] = _baseline_metrics(baseline, holdout)

    actual = holdout[TARGET_COLUMN].to_numpy(dtype="float64")
    rows = _sample(len(holdout), max_points)
    shown = rows[(actual[rows] > 0) & (predicted[rows] > 0)]  # log axes
    cabin = holdout["cabin"].astype("string").to_numpy(dtype=object, na_value="unknown")
    figures.plot_predicted_vs_actual(
        actual[shown], predicted[shown], cabin[shown], pngs["predicted_vs_actual"]
    )
    figures.plot_error_by_dtd(buckets, pngs["error_by_dtd"])
    importance = feature_importance(model, holdout)
    figures.plot_feature_importance(importance, shap_label(model), pngs["feature_importance"])
    figures.plot_fare_curves(_curves(holdout, predicted), pngs["fare_curves"])

    html_path = out_dir / REPORT_FILE
    facts = {
        "model version": version,
        "champion version": champion_version,
        "holdout": _holdout_window(holdout),
        "training window": _training_window(model),
        "scatter": f"{len(shown):,} of {len(holdout):,} rows (random sample, seed {SAMPLE_SEED})",
        "feature importance": f"{shap_label(model)} on {importance.attrs['rows']:,} of "
        f"{len(holdout):,} holdout rows (random sample, seed {SHAP_SEED})",
    }
    html_path.write_text(
        render_html(
            title=title or f"Fare model report: {version}",
            facts={k: v for k, v in facts.items() if v},
            metrics=metrics,
            buckets=buckets,
            importance=(importance, shap_label(model)),
            figures=[(pngs[key].read_bytes(), caption) for key, (_, caption) in FIGURES.items()],
        ),
        encoding="utf-8",
    )
    return ReportFiles(html=html_path, pngs=pngs, version=version, metrics=metrics)


def report_markdown(
    files: ReportFiles, metrics: Mapping[str, Mapping[str, Any]] | None = None
) -> str:
    """Return Markdown for a Prefect artifact: the metrics table and where the files are."""
    table = metrics if metrics is not None else files.metrics
    header = ["", *(label for _, label in METRIC_COLUMNS)]
    lines = [
        f"### Model report: {files.version}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" + "---:|" * (len(header) - 1),
    ]
    for name, values in table.items():
        cells = [format_metric(key, values.get(key)) for key, _ in METRIC_COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", f"HTML report: `{files.html}`", ""]
    lines += [f"- {key}: `{path}`" for key, path in files.pngs.items()]
    return "\n".join(lines) + "\n"


def mape_by_dtd_bucket(frame: pd.DataFrame, predicted: np.ndarray) -> pd.DataFrame:
    """Return rows and MAPE per days-to-departure bucket, every bucket in order (empty: NaN)."""
    actual = frame[TARGET_COLUMN].to_numpy(dtype="float64")
    error = np.abs(np.asarray(predicted, dtype="float64") - actual) / np.abs(actual)
    by_bucket = pd.Series(error).groupby(dtd_bucket(frame["days_to_departure"]))
    table = pd.DataFrame({"rows": by_bucket.size(), "mape": by_bucket.mean()})
    table = table.reindex(list(DTD_BUCKET_LABELS))
    table["rows"] = table["rows"].fillna(0).astype("int64")
    table.index.name = "dtd_bucket"
    return table


def feature_importance(model: Any, frame: pd.DataFrame) -> pd.Series:
    """Return the mean |SHAP value| of every model input on (a sample of) `frame`, largest first."""
    return shap_importance(model, frame)


def curve_routes(frame: pd.DataFrame, n: int = CURVE_ROUTES) -> list[tuple[str, str]]:
    """Return (route, cabin) for the `n` routes with most rows; economy when it has rows."""
    routes = frame["route"].astype("string")
    cabins = frame["cabin"].astype("string")
    chosen = []
    for route in routes.value_counts(sort=True).index[:n]:
        on_route = cabins[(routes == route).to_numpy()].dropna()
        if on_route.empty:
            continue
        has_economy = (on_route == CURVE_CABIN).any()
        chosen.append((str(route), CURVE_CABIN if has_economy else str(on_route.mode().iloc[0])))
    return chosen


def fare_curve(frame: pd.DataFrame, predicted: np.ndarray, bin_days: int = 1) -> pd.DataFrame:
    """Return rows, mean actual and mean predicted price per `bin_days`-wide horizon bin.

    `days_from` is the bin's first whole day before departure; bins without rows are absent.
    """
    days = np.floor(frame["days_to_departure"].to_numpy(dtype="float64") / bin_days) * bin_days
    data = pd.DataFrame(
        {
            "days_from": days.astype("int64"),
            "actual": frame[TARGET_COLUMN].to_numpy(dtype="float64"),
            "predicted": np.asarray(predicted, dtype="float64"),
        }
    )
    grouped = data.groupby("days_from", sort=True)
    return pd.DataFrame(
        {
            "rows": grouped.size(),
            "actual_mean_usd": grouped["actual"].mean(),
            "predicted_mean_usd": grouped["predicted"].mean(),
        }
    ).reset_index()


def model_version(model: Any) -> str:
    """Return the stored version of `model`, or "unsaved" for a model not yet saved."""
    return getattr(model, "version", "") or model.metadata.get("version") or "unsaved"


def _curves(holdout: pd.DataFrame, predicted: np.ndarray) -> list[tuple[str, pd.DataFrame]]:
    routes = holdout["route"].astype("string").to_numpy(dtype=object, na_value="")
    cabins = holdout["cabin"].astype("string").to_numpy(dtype=object, na_value="")
    curves = []
    for route, cabin in curve_routes(holdout):
        rows = (routes == route) & (cabins == cabin)
        subset = holdout.loc[rows]
        width = _curve_bin_days(len(subset), subset["days_to_departure"].max())
        curve = fare_curve(subset, predicted[rows], bin_days=width)
        curve["days_to_departure"] = curve["days_from"] + width / 2
        curves.append((f"{route} {cabin} ({rows.sum():,} quotes, {width}-day bins)", curve))
    return curves


def _curve_bin_days(rows: int, span_days: float) -> int:
    wanted = max(span_days, 1.0) * CURVE_ROWS_PER_BIN / max(rows, 1)
    return next((w for w in _CURVE_BIN_WIDTHS if w >= wanted), _CURVE_BIN_WIDTHS[-1])


def _sample(n: int, max_points: int) -> np.ndarray:
    if n <= max_points:
        return np.arange(n)
    return np.sort(np.random.default_rng(SAMPLE_SEED).choice(n, size=max_points, replace=False))


def _baseline_metrics(baseline: Predictor | Mapping[str, Any], holdout: pd.DataFrame) -> dict:
    if hasattr(baseline, "predict"):
        return score(baseline.predict(holdout), holdout)
    return dict(baseline)


def _check_holdout(holdout: pd.DataFrame) -> None:
    missing = [c for c in _REQUIRED if c not in holdout.columns]
    if missing:
        raise ValueError(f"holdout lacks columns: {', '.join(missing)}")
    if holdout.empty:
        raise ValueError("holdout has no rows; nothing to report on")


def _holdout_window(holdout: pd.DataFrame) -> str:
    observed = pd.to_datetime(holdout[TIME_COLUMN])
    return f"{len(holdout):,} quotes observed {observed.min():%Y-%m-%d %H:%M} to " + (
        f"{observed.max():%Y-%m-%d %H:%M}"
    )


def _training_window(model: Any) -> str | None:
    window = getattr(model, "window", None) or model.metadata.get("training_window") or {}
    start, end = window.get("train_start"), window.get("holdout_start")
    if not start or not end:
        return None
    return f"observed {str(start)[:16]} up to {str(end)[:16]}".replace("T", " ")
