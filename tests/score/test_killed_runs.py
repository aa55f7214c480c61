"""What a killed scoring run leaves in PRICE_HISTORY is gone after the next run."""

from __future__ import annotations

import pytest

from flightprice.score.batch import run_scoring
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow

HISTORY = "ML_PREDICTIONS.PRICE_HISTORY"


def runs_in_history(settings) -> dict[str, int]:
    with open_warehouse(settings, read_only=True) as wh:
        frame = wh.query_df(f"SELECT run_id, COUNT(*) AS n FROM {HISTORY} GROUP BY run_id")
    return dict(zip(frame["run_id"], frame["n"], strict=True))


def test_the_next_run_deletes_history_a_killed_run_left_unpublished(champion_home, make_settings):
    settings = make_settings(champion_home, scoring_chunk_rows=500)
    first = run_scoring(settings, mode="local", run_id="published-1")
    # What SIGKILL between two chunk commits leaves: history rows, no SCORING_LOG row.
    with open_warehouse(settings) as wh:
        wh.execute(
            f"INSERT INTO {HISTORY} SELECT * REPLACE ('killed-1' AS run_id) FROM {HISTORY} "
            "WHERE run_id = 'published-1' LIMIT 700"
        )
    assert runs_in_history(settings) == {"published-1": first.rows, "killed-1": 700}

    second = run_scoring(settings, mode="local", run_id="published-2")

    assert runs_in_history(settings) == {"published-1": first.rows, "published-2": second.rows}
