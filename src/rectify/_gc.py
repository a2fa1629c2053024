"""Pausing the cyclic garbage collector around bulk work, restoring it after.

Building hundreds of thousands of small objects next to a large live heap
makes CPython run full collections over that heap again and again; none of
the objects built here form cycles, so pausing the collector is safe and
typically 2-3x faster.  The previous state is always restored.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block if it was enabled."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
