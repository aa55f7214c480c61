"""The quote batcher: batches form under load, keep order and models apart, isolate failures."""

from __future__ import annotations

import asyncio
import threading

import pytest
from api.batching import QuoteBatcher


def run(coro):
    return asyncio.run(coro)


class Recorder:
    """A price function that records each call's (model, requests) and can be told to fail."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list]] = []
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, model: str, requests: list) -> list:
        self.gate.wait(5)
        self.calls.append((model, list(requests)))
        if "bad" in requests:
            raise ValueError("bad request")
        return [f"{model}:{r}" for r in requests]


def test_waiting_requests_are_priced_together_in_order():
    price = Recorder()

    async def scenario():
        batcher = QuoteBatcher(price, inline=False)  # a worker thread, so the gate can hold it
        await batcher.start()
        price.gate.clear()  # hold the first call so that the others queue up behind it
        first = asyncio.create_task(batcher.submit("m1", 0))
        await asyncio.sleep(0.05)
        rest = [asyncio.create_task(batcher.submit("m1", i)) for i in range(1, 9)]
        await asyncio.sleep(0.05)
        price.gate.set()
        results = await asyncio.gather(first, *rest)
        await batcher.stop()
        return results

    assert run(scenario()) == [f"m1:{i}" for i in range(9)]
    assert [len(requests) for _, requests in price.calls] == [1, 8]


def test_a_batch_never_mixes_models():
    price = Recorder()

    async def scenario():
        batcher = QuoteBatcher(price, inline=False)  # a worker thread, so the gate can hold it
        await batcher.start()
        price.gate.clear()
        blocker = asyncio.create_task(batcher.submit("old", "x"))
        await asyncio.sleep(0.05)
        tasks = [
            asyncio.create_task(batcher.submit(m, i))
            for i, m in enumerate(["old", "new", "old", "new"])
        ]
        await asyncio.sleep(0.05)
        price.gate.set()
        results = await asyncio.gather(blocker, *tasks)
        await batcher.stop()
        return results

    assert run(scenario()) == ["old:x", "old:0", "new:1", "old:2", "new:3"]
    assert price.calls[1:] == [("old", [0, 2]), ("new", [1, 3])]


def test_one_failing_request_does_not_fail_its_batch():
    price = Recorder()

    async def scenario():
        batcher = QuoteBatcher(price, inline=False)  # a worker thread, so the gate can hold it
        await batcher.start()
        price.gate.clear()
        blocker = asyncio.create_task(batcher.submit("m", "first"))
        await asyncio.sleep(0.05)
        tasks = [asyncio.create_task(batcher.submit("m", r)) for r in ("a", "bad", "b")]
        await asyncio.sleep(0.05)
        price.gate.set()
        results = await asyncio.gather(blocker, *tasks, return_exceptions=True)
        await batcher.stop()
        return results

    first, a, bad, b = run(scenario())
    assert (first, a, b) == ("m:first", "m:a", "m:b")
    assert isinstance(bad, ValueError)


def test_submit_before_start_is_an_error():
    with pytest.raises(RuntimeError, match="start"):
        run(QuoteBatcher(Recorder()).submit("m", 1))


def test_a_miscounted_result_fails_those_requests_and_the_batcher_keeps_serving():
    calls = []

    def price(model, requests):
        calls.append(list(requests))
        if len(calls) == 1:
            return []  # a defect: no result for the request
        return [f"{model}:{r}" for r in requests]

    async def scenario():
        batcher = QuoteBatcher(price)
        await batcher.start()
        try:
            with pytest.raises(RuntimeError, match="1 requests priced into 0 results"):
                await asyncio.wait_for(batcher.submit("m1", "a"), 5)
            return await asyncio.wait_for(batcher.submit("m1", "b"), 5)
        finally:
            await batcher.stop()

    assert run(scenario()) == "m1:b"
