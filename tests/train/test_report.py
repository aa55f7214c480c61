"""The model report: four real PNGs, a self-contained HTML page, and the numbers behind them."""

from __future__ import annotations

import base64
import json
import re
import struct

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from test_model import FAST_PARAMS, make_training_frame

from flightprice.features import to_matrix
from flightprice.store import LocalStore
from flightprice.train._evaluation import DTD_BUCKET_LABELS, evaluate, fit_baselines
from flightprice.train.model import LoadedModel, TrainedModel, load_model, save_model, split_by_time
from flightprice.train.model import train_model as train
from flightprice.train.report import (
    FIGURES,
    ReportFiles,
    build_report,
    curve_routes,
    fare_curve,
    feature_importance,
    format_metric,
    mape_by_dtd_bucket,
    model_version,
    report_markdown,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
VERSION = "v20261126T070102Z-abc123"
SCATTER_POINTS = 300
# One thread: on a busy CI box a thread pool costs more than these tiny models take to fit.
MODEL_PARAMS = {**FAST_PARAMS, "num_boost_round": 40, "nthread": 1}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_training_frame(n=3000, seed=3)


@pytest.fixture(scope="module")
def holdout(frame: pd.DataFrame) -> pd.DataFrame:
    return split_by_time(frame, holdout_days=7).holdout


@pytest.fixture(scope="module")
def model(frame: pd.DataFrame) -> TrainedModel:
    return train(frame, MODEL_PARAMS, holdout_days=7)


@pytest.fixture(scope="module")
def champion(frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    """A weaker model, saved and loaded as the registry's champion would be."""
    store = LocalStore(tmp_path_factory.mktemp("lake"))
    weak = train(frame, {"num_boost_round": 5, "nthread": 1}, holdout_days=7)
    save_model(weak, store, "v-champion")
    return load_model(store, "v-champion")


@pytest.fixture(scope="module")
def report(model, holdout, champion, frame, tmp_path_factory) -> ReportFiles:
    train_rows = split_by_time(frame, holdout_days=7).train
    baselines = {
        **model.baselines,  # metrics already computed on the holdout
        "refit_route_cabin_median": fit_baselines(train_rows)["route_cabin_median"],  # predictor
    }
    return build_report(
        model,
        holdout,
        tmp_path_factory.mktemp("report"),
        champion=champion,
        baselines=baselines,
        max_points=SCATTER_POINTS,
        version=VERSION,
    )


@pytest.fixture(scope="module")
def html(report: ReportFiles) -> str:
    return report.html.read_text(encoding="utf-8")


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_writes_the_four_figures_as_real_pngs(report: ReportFiles) -> None:
    assert list(report.pngs) == list(FIGURES)
    for key, path in report.pngs.items():
        data = path.read_bytes()
        width, height = _png_size(data)
        assert width >= 400 and height >= 300, key
        assert len(data) > 10_000, key  # a blank canvas of that size compresses to ~3 KB
        assert path.parent == report.html.parent


def test_html_is_self_contained_and_embeds_exactly_the_pngs(report: ReportFiles, html: str) -> None:
    assert html.count("data:image/png;base64,") == 4
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html
    embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert [base64.b64decode(e) for e in embedded] == [p.read_bytes() for p in report.pngs.values()]


def test_metrics_are_scored_on_the_holdout_for_every_model(
    report: ReportFiles, model: TrainedModel, champion: LoadedModel, holdout: pd.DataFrame
) -> None:
    metrics = report.metrics
    assert list(metrics) == [
        "model",
        "champion",
        "route_cabin_median",
        "route_cabin_dtd_median",
        "refit_route_cabin_median",
    ]
    assert metrics["model"] == pytest.approx(model.metrics)  # train_model scored the same rows
    assert metrics["champion"] == pytest.approx(evaluate(champion, holdout))
    assert metrics["route_cabin_median"] == model.baselines["route_cabin_median"]
    # The refit predictor was scored here, on the same rows the stored metrics came from.
    assert metrics["refit_route_cabin_median"] == pytest.approx(
        model.baselines["route_cabin_median"]
    )
    assert metrics["champion"]["mape"] > metrics["model"]["mape"]


def test_html_shows_title_versions_and_every_metric(report: ReportFiles, html: str) -> None:
    assert f"<title>Fare model report: {VERSION}</title>" in html
    assert "v-champion" in html
    for name, values in report.metrics.items():
        row = re.search(rf"<tr><td>{name}</td>(.*?)</tr>", html)
        assert row, name
        for key in ("mae", "rmse", "mape", "r2", "mape_dtd_lt_7"):
            assert f"<td>{format_metric(key, values[key])}</td>" in row.group(1), (name, key)


def test_html_bucket_table_matches_the_bucket_errors(
    model: TrainedModel, champion: LoadedModel, holdout: pd.DataFrame, html: str
) -> None:
    ours = mape_by_dtd_bucket(holdout, model.predict(holdout))
    theirs = mape_by_dtd_bucket(holdout, champion.predict(holdout))
    for label in DTD_BUCKET_LABELS:
        cells = (
            f"<tr><td>{label}</td><td>{format_metric('rows', ours.at[label, 'rows'])}</td>"
            f"<td>{format_metric('mape', ours.at[label, 'mape'])}</td>"
            f"<td>{format_metric('mape', theirs.at[label, 'mape'])}</td></tr>"
        )
        assert cells in html, label


def test_scatter_sample_is_deterministic_and_capped(
    report: ReportFiles, model, holdout, html: str, tmp_path
) -> None:
    assert f"{SCATTER_POINTS:,} of {len(holdout):,} rows" in html
    again = build_report(model, holdout, tmp_path, max_points=SCATTER_POINTS, version=VERSION)
    key = "predicted_vs_actual"
    assert again.pngs[key].read_bytes() == report.pngs[key].read_bytes()
    assert list(again.metrics) == ["model"]
    assert again.html.read_text(encoding="utf-8").count("data:image/png;base64,") == 4


def test_no_pyplot_figures_are_left_open(report: ReportFiles) -> None:
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []


def test_mape_by_dtd_bucket_on_a_hand_made_frame() -> None:
    frame = pd.DataFrame(
        {
            "days_to_departure": [0.5, 3.99, 4.0, 7.9, 90.5, 95.0, 200.0],
            "price_usd": [100.0, 100.0, 100.0, 200.0, 100.0, 50.0, 50.0],
        }
    )
    predicted = np.array([110.0, 90.0, 100.0, 100.0, 130.0, 60.0, 50.0])

    table = mape_by_dtd_bucket(frame, predicted)

    assert table.index.tolist() == list(DTD_BUCKET_LABELS)
    assert table["rows"].tolist() == [2, 2, 0, 0, 0, 0, 0, 1, 2]
    expected = {"0-3": 0.10, "4-7": 0.25, "61-90": 0.30, "90+": 0.10}
    assert table["mape"].dropna().to_dict() == pytest.approx(expected)
    assert table["mape"].isna().sum() == 5


def test_fare_curve_means_per_day_bin() -> None:
    frame = pd.DataFrame(
        {"days_to_departure": [0.2, 0.9, 1.5, 10.1], "price_usd": [100.0, 200.0, 150.0, 80.0]}
    )
    predicted = np.array([110.0, 190.0, 140.0, 90.0])

    daily = fare_curve(frame, predicted)
    weekly = fare_curve(frame, predicted, bin_days=7)

    assert daily["days_from"].tolist() == [0, 1, 10]
    assert daily["rows"].tolist() == [2, 1, 1]
    assert daily["actual_mean_usd"].tolist() == [150.0, 150.0, 80.0]
    assert daily["predicted_mean_usd"].tolist() == [150.0, 140.0, 90.0]
    assert weekly["days_from"].tolist() == [0, 7]
    assert weekly["actual_mean_usd"].tolist() == pytest.approx([150.0, 80.0])


def test_curve_routes_takes_the_busiest_routes_in_economy_when_present() -> None:
    routes = ["A-B"] * 5 + ["B-A"] * 4 + ["C-D"] * 3 + ["D-C"] * 2 + ["E-F"]
    cabins = ["business"] * 3 + ["economy"] * 2 + ["business", "first", "first", "first"]
    cabins += ["economy"] * 3 + ["premium_economy"] * 2 + ["economy"]
    frame = pd.DataFrame({"route": routes, "cabin": cabins})

    assert curve_routes(frame) == [
        ("A-B", "economy"),
        ("B-A", "first"),
        ("C-D", "economy"),
        ("D-C", "premium_economy"),
    ]
    assert curve_routes(frame, n=1) == [("A-B", "economy")]


def test_feature_importance_is_mean_abs_shap_of_every_model_input(
    model: TrainedModel, champion: LoadedModel, holdout: pd.DataFrame
) -> None:
    for predictor in (model, champion):  # fresh and loaded from its UBJ artifact
        importance = feature_importance(predictor, holdout)
        matrix = xgb.DMatrix(
            to_matrix(holdout, predictor.spec), feature_names=list(predictor.spec.columns),
            feature_types=predictor.spec.feature_types, enable_categorical=True,
        )
        shap = np.abs(predictor.booster.predict(matrix, pred_contribs=True)[:, :-1]).mean(axis=0)

        assert sorted(importance.index) == sorted(predictor.spec.columns)
        assert importance.is_monotonic_decreasing
        for j, name in enumerate(predictor.spec.columns):
            assert importance[name] == pytest.approx(shap[j], rel=1e-5), name
        assert importance.iloc[0] > 0


def test_html_labels_the_importance_as_shap_and_lists_every_feature(
    model: TrainedModel, holdout: pd.DataFrame, html: str
) -> None:
    label = "mean |SHAP value| (log-price contribution)"
    assert f"<th>{label}</th>" in html and "gain of the splits" not in html.lower()
    for name, value in feature_importance(model, holdout).items():
        assert f"<tr><td>{name}</td><td>{value:.4f}</td></tr>" in html, name


def test_markdown_has_the_metrics_table_and_file_paths(report: ReportFiles) -> None:
    text = report_markdown(report)

    assert text.startswith(f"### Model report: {VERSION}\n")
    for name, values in report.metrics.items():
        assert f"| {name} | {format_metric('mae', values['mae'])} |" in text
        assert format_metric("mape", values["mape"]) in text
    assert f"`{report.html}`" in text
    for path in report.pngs.values():
        assert f"`{path}`" in text
    only_model = report_markdown(report, {"model": report.metrics["model"]})
    assert "| champion |" not in only_model


def test_to_dict_is_json_ready(report: ReportFiles) -> None:
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))

    assert data["html"] == str(report.html)
    assert data["pngs"] == {k: str(p) for k, p in report.pngs.items()}
    assert data["version"] == VERSION
    assert data["metrics"]["model"]["mape"] == pytest.approx(report.metrics["model"]["mape"])


def test_version_falls_back_to_the_stored_one_or_unsaved(model, champion) -> None:
    assert model_version(champion) == "v-champion"
    assert model_version(model) == "unsaved"


def test_rejects_a_holdout_it_cannot_report_on(model, holdout, tmp_path) -> None:
    with pytest.raises(ValueError, match="no rows"):
        build_report(model, holdout.iloc[:0], tmp_path)
    with pytest.raises(ValueError, match="price_usd"):
        build_report(model, holdout.drop(columns="price_usd"), tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_report_on_the_synthetic_market_shows_days_to_departure_matters(
    champion_template, make_settings, tmp_path
) -> None:
    """Mean gain per split ranked days to departure near zero; SHAP must not."""
    from flightprice.store import open_store
    from flightprice.train.run import build_model_report
    from flightprice.warehouse import open_warehouse

    settings = make_settings(champion_template)
    with open_warehouse(settings, read_only=True) as wh:
        files = build_model_report(settings, wh, open_store(settings), out_dir=tmp_path)
    html = files.html.read_text(encoding="utf-8")
    shown = dict(re.findall(r"<tr><td>([a-z_]+)</td><td>(\d+\.\d{4})</td></tr>", html))

    assert "<th>mean |SHAP value| (log-price contribution)</th>" in html
    assert float(shown["days_to_departure"]) > 0
    assert {"route_cabin_median", "route_cabin_dtd_median"} <= set(files.metrics)
    for name, metrics in files.metrics.items():
        assert all(metrics[key] is not None for key in ("r2", "mae", "rmse", "mape")), name
