"""Pausing Python's cyclic garbage collector around bulk work.

Evaluating a nation, planning its shortfall, writing its findings or comparing
its years makes millions of small objects without reference cycles (arrays,
tuples, result records) while hundreds of thousands of School objects stay
alive; every few thousand allocations the collector would walk all of them and
free nothing.  Reference counting frees these objects anyway, so the heavy
entry points pause the collector while they run and restore it after.

The pause is process-wide (the collector has no per-thread switch): it is
restored only if it was enabled when the outermost pause began, so nested
pauses, pauses in several threads, and a program that keeps the collector off
on purpose all end as they started.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["paused"]

_lock = threading.Lock()
_depth = 0
_restore = False


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cyclic garbage collector off; restore it after."""
    global _depth, _restore
    with _lock:
        if _depth == 0:
            _restore = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restore:
                gc.enable()
