"""A scoring run's collections walk the run's own objects: the heap before it is frozen."""

from __future__ import annotations

import gc
import weakref

import pytest

from flightprice.score._memory import heap_frozen
from flightprice.score.batch import run_scoring


@pytest.fixture
def unfrozen():
    """Start with nothing frozen (the API's start-up freezes its heap if it ran in this process)."""
    frozen = gc.get_freeze_count()
    gc.unfreeze()
    yield
    if frozen:
        gc.freeze()


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_objects_from_before_stay_out_of_collections_until_the_block_ends(unfrozen) -> None:
    before = Node()
    alive = weakref.ref(before)
    with heap_frozen():
        assert gc.get_freeze_count() > 0
        during = weakref.ref(Node())
        del before
        gc.collect()
        assert alive() is not None  # frozen: not walked, so not freed
        assert during() is None  # the block's own cycles are collected
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert alive() is None  # unfrozen: collected as before


def test_a_heap_frozen_by_the_process_is_left_as_it_is(unfrozen) -> None:
    gc.freeze()
    young = Node()  # created after the process froze its heap: not frozen
    alive = weakref.ref(young)
    with heap_frozen():
        del young
        gc.collect()
        assert alive() is None  # not frozen by the block: collected
    assert gc.get_freeze_count() > 0  # not unfrozen by the block
    gc.unfreeze()


@pytest.mark.slow
def test_a_scoring_run_freezes_the_heap_while_its_chunks_stream(
    champion_home, make_settings, unfrozen
) -> None:
    settings = make_settings(champion_home, scoring_chunk_rows=500)
    seen: list[int] = []
    report = run_scoring(
        settings,
        mode="local",
        run_id="run-1",
        progress=lambda *_: seen.append(gc.get_freeze_count()),
    )
    assert report.status == "success"
    assert len(seen) > 2 and min(seen) > 0
    assert gc.get_freeze_count() == 0
