"""Local scoring prices several chunks at once (`scoring_pricing_workers`), in order, each on a
share of the cores, with the prices of one chunk at a time."""

from __future__ import annotations

import os
import threading
import time

import pyarrow as pa

from flightprice import registry
from flightprice.score._scorers import LocalScorer, open_scorer
from flightprice.score.batch import READ_SQL, _priced
from flightprice.store import open_store
from flightprice.warehouse import open_warehouse


class SlowFirstScorer:
    """A test double for the pipeline alone (no model): records how many chunks are priced at
    once; the first chunk takes longest, so an out-of-order yield would show."""

    mode = "local"

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self.running = self.most = 0
        self.lock = threading.Lock()

    def price(self, rows: pa.Table) -> pa.Table:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.2 if rows["n"][0].as_py() == 0 else 0.05)
        with self.lock:
            self.running -= 1
        return rows


def batches(count: int):
    for n in range(count):
        yield pa.record_batch({"n": [n] * 3})


def test_chunks_are_priced_two_at_once_and_yielded_in_order():
    scorer = SlowFirstScorer(concurrency=2)

    order = [rows["n"][0].as_py() for rows, _ in _priced(batches(6), scorer)]

    assert order == list(range(6))
    assert scorer.most == 2


def test_one_worker_prices_one_chunk_at_a_time():
    scorer = SlowFirstScorer(concurrency=1)

    order = [rows["n"][0].as_py() for rows, _ in _priced(batches(4), scorer)]

    assert order == list(range(4))
    assert scorer.most == 1


def test_workers_share_the_cores_on_a_copy_of_the_model_and_price_alike(
    champion_home, make_settings
):
    settings = make_settings(champion_home)
    with open_warehouse(settings, read_only=True) as wh:
        model = registry.load_champion(wh, open_store(settings))
        rows = wh.query_arrow(READ_SQL, ["run"]).slice(0, 2000)
    threads_before = model.booster.save_config()

    one = LocalScorer(model, settings.pricing, workers=1)
    two = LocalScorer(model, settings.pricing, workers=2)

    assert (one.concurrency, two.concurrency) == (1, 2)
    assert one.model is model
    assert two.model is not model and two.model.booster is not model.booster
    assert model.booster.save_config() == threads_before  # the shared model is left as it was
    assert two.price(rows).equals(one.price(rows))


def test_local_mode_prices_with_the_configured_workers_one_core_each_at_most(
    champion_home, make_settings
):
    cores = os.cpu_count() or 1
    for workers, expected in ((1, 1), (2, min(2, cores)), (cores + 1, cores)):
        settings = make_settings(champion_home, scoring_pricing_workers=workers)
        with open_warehouse(settings) as wh:
            scorer = open_scorer(settings, "local", wh, open_store(settings))

        assert scorer.concurrency == expected
