"""Hand back to the system the memory a scoring run's finished chunks freed.

Freed pandas and Arrow buffers stay in their allocators' free lists (glibc's per-thread arenas,
Arrow's mimalloc pool), so the process keeps their size as resident memory. DuckDB's MERGE
then takes up to its own memory_limit on top: at 10M rows the peak was that sum. Releasing
before the publish (and after each history append) lets the engine reuse those pages.

The embedded DuckDB engine runs in this process too, so its memory_limit bounds it as the
chunks bound pandas: a lower one while the chunks stream (what grows there is its cache of the
feature blocks it has scanned, ~400 MiB at 10M rows), the configured one back for the MERGE,
whose hash table (~310 MiB per 1M matched rows) spills to disk under the lower one (+4 CPU-s
per 1M rows at 384MB, benchmarks/README.md, session 6).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from flightprice.settings import Settings
    from flightprice.warehouse import Warehouse


def release_freed_memory() -> None:
    """Return freed Python, Arrow and C-heap memory to the system; live objects stay."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@contextlib.contextmanager
def heap_frozen() -> Iterator[None]:
    """Leave the objects that exist now out of the collections of `release_freed_memory`.

    A full collection walks every tracked object: ~90 ms over the ~150k that imports, the
    model and the warehouse leave, ~0.45 CPU-s per 1M rows at one collection per history
    append (benchmarks/README.md, session 9 scoring); frozen, it walks the run's own. The
    objects are unfrozen afterwards, so their cycles are collected as before. A process that
    froze its heap itself (the API, after start-up) is left as it is.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def bound_duckdb_memory(warehouse: Warehouse, settings: Settings) -> Callable[[], None] | None:
    """Set the embedded engine's streaming memory limit; return what restores the publish one."""
    if warehouse.dialect != "duckdb":
        return None
    publish = settings.scoring_duckdb_memory_limit
    stream = settings.scoring_duckdb_stream_memory_limit or publish
    if stream:
        warehouse.execute(f"SET memory_limit = '{stream}'")
    if stream == publish:
        return None
    # None: DuckDB's own default (80% of RAM) for the publish.
    restore = f"SET memory_limit = '{publish}'" if publish else "RESET memory_limit"
    return lambda: warehouse.execute(restore)


@cache
def _malloc_trim():
    # glibc only (Linux); macOS and musl have no malloc_trim and keep their pages.
    library = ctypes.util.find_library("c")
    if library is None:
        return None
    return getattr(ctypes.CDLL(library), "malloc_trim", None)
