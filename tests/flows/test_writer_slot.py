"""Writers of the DuckDB file are serialised across flow runs by a strict global limit."""

from __future__ import annotations

import ast
import contextlib
import threading
import time

import pytest
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client

from flightprice.orchestrate.writer_slot import WRITER_LIMIT, warehouse_writer
from flightprice.settings import REPO_ROOT, Settings
from flightprice.warehouse import open_warehouse

HOLD_SECONDS = 0.8
# Both runs ask for the slot at the same moment, whatever their start-up times were.
START = {"barrier": threading.Barrier(2)}


@task(cache_policy=NO_CACHE)
def write_row(settings: Settings, name: str, take_slot: bool) -> tuple[float, float]:
    START["barrier"].wait(timeout=60)
    with warehouse_writer(settings) if take_slot else contextlib.nullcontext():
        started = time.monotonic()
        time.sleep(HOLD_SECONDS)  # outside the file lock: only the slot keeps others out here
        with open_warehouse(settings) as wh:
            wh.execute("CREATE TABLE IF NOT EXISTS slot_log (name VARCHAR, written_at TIMESTAMP)")
            wh.execute("INSERT INTO slot_log VALUES (?, now())", [name])
        return started, time.monotonic()


@flow
def writer_flow(settings: Settings, name: str, take_slot: bool = True) -> tuple[float, float]:
    return write_row(settings, name, take_slot)


def _two_at_once(settings: Settings, take_slot: bool) -> list[tuple[float, float]]:
    START["barrier"] = threading.Barrier(2)
    spans: dict[str, tuple[float, float]] = {}
    threads = [threading.Thread(target=lambda n=n: spans.__setitem__(
        n, writer_flow(settings, n, take_slot))) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert set(spans) == {"a", "b"}, "a flow run did not finish"
    return sorted(spans.values())


def test_two_flow_runs_write_one_after_the_other(settings):
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(WRITER_LIMIT, 3)  # a misconfiguration
    first, second = _two_at_once(settings, take_slot=True)
    assert first[1] <= second[0], f"writers overlapped: {first} and {second}"
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(WRITER_LIMIT)
    assert limit.limit == 1 and limit.active_slots == 0  # set back to one slot; released
    with open_warehouse(settings, read_only=True) as wh:
        assert sorted(wh.query_df("SELECT name FROM slot_log")["name"]) == ["a", "b"]


def test_without_the_slot_the_same_two_runs_overlap(settings):
    # The control: the check above can fail, it is the slot that keeps the runs apart.
    first, second = _two_at_once(settings, take_slot=False)
    assert first[1] > second[0]


def test_snowflake_writers_do_not_queue(settings):
    with warehouse_writer(settings.model_copy(update={"warehouse": "snowflake"})):
        pass  # no limit is taken (or needed) for a warehouse that takes concurrent writers


WRITERS = ("open_warehouse", "transform", "run_dbt", "run_quality_checks", "run_scoring",
           "load_raw_files")


@pytest.mark.parametrize("name", ["daily_pipeline.py", "training_pipeline.py", "batch_scoring.py"])
def test_every_warehouse_task_of_the_flows_takes_the_slot(name):
    tree = ast.parse((REPO_ROOT / "flows" / name).read_text())
    unguarded = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not any(
            "task" in ast.unparse(d) for d in node.decorator_list
        ):
            continue
        called = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call)
                  and isinstance(n.func, ast.Name)}
        if called & set(WRITERS) and "warehouse_writer" not in called:
            unguarded.append(node.name)
    assert unguarded == []
