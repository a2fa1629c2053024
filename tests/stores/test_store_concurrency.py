"""Real concurrency: several processes writing overlapping streams of one ledger.

``RECTIFY_SLOW=1`` runs the issue's full size (8 processes × 1,000 commands);
the default (4 × 200) keeps the suite fast.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter

from ledger_workers import concurrent_writer

from conftest import Backend
from rectify.stores.chain import verify

SLOW = os.environ.get("RECTIFY_SLOW") == "1"
PROCESSES, COMMANDS, STREAMS = (8, 1000, 40) if SLOW else (4, 200, 12)


def test_concurrent_processes_lose_and_duplicate_nothing(durable: Backend) -> None:
    """Writers retrying on conflicts: the replay holds exactly the accepted commands."""
    store = durable.new()  # creates the ledger before the workers race for it
    target, options = durable.target()
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        results = pool.starmap(concurrent_writer, [
            (target, options, w, COMMANDS, STREAMS, 1000 + w) for w in range(PROCESSES)])
    accepted = [c for result in results for c in result]
    assert len(accepted) == PROCESSES * COMMANDS == len(set(accepted))
    events = list(store.replay())
    assert Counter(e.command for e in events) == Counter(accepted)
    per_stream: dict[str, list[int]] = {}
    for e in events:
        per_stream.setdefault(e.stream, []).append(e.version)
    assert all(v == list(range(1, len(v) + 1)) for v in per_stream.values())
    assert verify(store).ok
