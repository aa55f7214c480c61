"""What a killed scoring run leaves in PRICE_HISTORY is gone after the next run."""

from __future__ import annotations

from datetime import timedelta

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


def plant_unpublished(settings, run_id: str, scored_at: str, rows: int = 300) -> None:
    """Rows of a run that never published, scored at `scored_at` (what a kill leaves)."""
    with open_warehouse(settings) as wh:
        wh.execute(
            f"INSERT INTO {HISTORY} SELECT * REPLACE (? AS run_id, CAST(? AS TIMESTAMP) AS "
            f"scored_at) FROM {HISTORY} LIMIT {rows}",
            [run_id, scored_at],
        )


def last_success_start(settings):
    with open_warehouse(settings, read_only=True) as wh:
        return (
            wh.query_arrow(
                "SELECT max(started_at) FROM ML_PREDICTIONS.SCORING_LOG WHERE status = 'success'"
            )
            .column(0)[0]
            .as_py()
        )


def test_a_killed_run_is_cleaned_after_a_run_that_failed_before_cleaning(
    champion_home, make_settings
):
    settings = make_settings(champion_home, scoring_chunk_rows=500)
    first = run_scoring(settings, mode="local", run_id="published-1")
    plant_unpublished(settings, "killed-1", str(last_success_start(settings)))
    # A later run that failed before it cleaned (no champion, a bad artifact) logs `failed`:
    # the clean-up still looks back to the last successful run, not to that one.
    with open_warehouse(settings) as wh:
        wh.execute(
            "INSERT INTO ML_PREDICTIONS.SCORING_LOG (run_id, mode, rows_scored, "
            "duration_seconds, status, started_at) VALUES ('failed-1', 'local', 0, 0, 'failed', "
            "CAST(? AS TIMESTAMP) + INTERVAL 2 DAY)",  # later than the slack reaches back
            [str(last_success_start(settings))],
        )

    second = run_scoring(settings, mode="local", run_id="published-2")

    assert runs_in_history(settings) == {"published-1": first.rows, "published-2": second.rows}


def test_the_clean_up_reads_history_back_to_a_day_before_the_last_successful_run(
    champion_home, make_settings
):
    settings = make_settings(champion_home, scoring_chunk_rows=500)
    first = run_scoring(settings, mode="local", run_id="published-1")
    started = last_success_start(settings)
    # Unpublished rows from before that run cannot exist (it deleted them when it started);
    # planted, they show how far back the next run reads: 23 hours yes, 25 hours no.
    plant_unpublished(settings, "killed-within-a-day", str(started - timedelta(hours=23)))
    plant_unpublished(settings, "killed-before-a-day", str(started - timedelta(hours=25)))

    second = run_scoring(settings, mode="local", run_id="published-2")

    assert runs_in_history(settings) == {
        "published-1": first.rows, "published-2": second.rows, "killed-before-a-day": 300,
    }  # fmt: skip
