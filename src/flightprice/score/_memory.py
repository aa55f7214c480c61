"""Hand back to the system the memory a scoring run's finished chunks freed.

Freed pandas and Arrow buffers stay in their allocators' free lists (glibc's per-thread arenas,
Arrow's mimalloc pool), so the process keeps their size as resident memory. DuckDB's MERGE
then takes up to its own memory_limit on top: at 10M rows the peak was that sum. Releasing
before the publish (and after each history append) lets the engine reuse those pages.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache

import pyarrow as pa


def release_freed_memory() -> None:
    """Return freed Python, Arrow and C-heap memory to the system; live objects stay."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim():
    # glibc only (Linux); macOS and musl have no malloc_trim and keep their pages.
    library = ctypes.util.find_library("c")
    if library is None:
        return None
    return getattr(ctypes.CDLL(library), "malloc_trim", None)
