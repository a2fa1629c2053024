"""Timing and peak-memory measurement shared by the benchmarks (Linux /proc, else rusage)."""

from __future__ import annotations

import gc
import resource
import time
from collections.abc import Callable
from typing import Generic, TypeVar

import attrs

T = TypeVar("T")


def status(field: str) -> int:
    """A ``kB`` field of ``/proc/self/status`` in bytes (0 if unavailable)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark for this process; ``False`` if not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        return False
    return True


@attrs.frozen
class Measurement(Generic[T]):
    """A step's result, its seconds, resident bytes before it, its peak, whether exact,
    and the CPU seconds this process spent (user and system; on a busy machine the wall
    seconds include waiting for a core, the CPU seconds do not)."""

    result: T
    seconds: float
    before: int
    peak: int
    exact: bool
    cpu: float = 0.0

    @property
    def above(self) -> int:
        """Peak bytes above the resident size before the step."""
        return max(0, self.peak - self.before)


def measure(step: Callable[[], T]) -> Measurement[T]:
    """Run ``step`` after a collection, with the peak-RSS mark reset just before it."""
    gc.collect()
    exact = reset_peak()
    before = status("VmRSS")
    start, cpu = time.perf_counter(), time.process_time()
    result = step()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = (status("VmHWM") if exact
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return Measurement(result, seconds, before, peak, exact, cpu)
