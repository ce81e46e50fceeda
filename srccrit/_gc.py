"""Building millions of small Python objects (lists, strings) without the cyclic garbage
collector re-scanning them all the while: none of them can form a cycle."""

from __future__ import annotations

import gc
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc():
    """Pause automatic garbage collection inside the block (restored as it was, even on error)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
