"""The training table: every metric per column, and why a metric is missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rich.console import Console

from flightprice.cli.train import metrics_table
from flightprice.train._evaluation import score


def _render(table) -> str:
    console = Console(width=160, record=True)
    console.print(table)
    return console.export_text()


def test_a_missing_metric_shows_a_dash_and_its_reason() -> None:
    frame = pd.DataFrame({"price_usd": [100.0, 200.0], "days_to_departure": [10.0, 20.0]})
    metrics = score(np.array([110.0, 190.0]), frame)
    text = _render(metrics_table({"challenger": metrics, "baseline": metrics}, "holdout"))

    rows = {line.strip("│ ").split("│")[0].strip(): line.split() for line in text.splitlines()}
    assert rows["MAPE < 7 days"][-4:] == ["–", "│", "–", "│"]
    words = " ".join(text.split())  # the caption wraps to the table's width
    assert "challenger, mape_dtd_lt_7: no rows with days_to_departure < 7" in words
    assert rows["R²"][-4:] == ["0.9600", "│", "0.9600", "│"]  # 1 - (10² + 10²) / (2 * 50²)
