"""Crash safety: a writer killed with SIGKILL at random moments leaves no partial batch."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from ledger_workers import crash_batch, crash_writer

from rectify.stores import SQLiteStore
from rectify.stores.chain import verify

KILLS = 20
ITEMS = 40  # appends per batch (one or two events each)
PER_WRITER = 15  # batches a writer tries before it exits (if not killed first)


def _committed(path: Path) -> Counter[str]:
    store = SQLiteStore(path)
    try:
        report = verify(store)
        assert report.ok, str(report)
        return Counter(e.command for e in store.replay())
    finally:
        store.close()


@pytest.mark.slow
def test_sigkill_mid_batch_leaves_whole_batches_only(tmp_path: Path) -> None:
    """20 kills at random points: the ledger opens, verifies, and holds whole batches once."""
    path = tmp_path / "ledger.db"
    SQLiteStore(path).close()
    rng = random.Random(7)
    start = 0
    unannounced = 0
    context = multiprocessing.get_context("fork")
    for _ in range(KILLS):
        receiver, sender = context.Pipe(duplex=False)
        writer = context.Process(target=crash_writer,
                                 args=(str(path), start, PER_WRITER, ITEMS, sender))
        writer.start()
        assert receiver.recv() == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        assert writer.pid is not None
        os.kill(writer.pid, signal.SIGKILL)
        writer.join()
        announced = []
        while receiver.poll():
            announced.append(receiver.recv())
        receiver.close()
        last = announced[-1] if announced else start - 1
        commands = _committed(path)
        batches = {c.split("-")[0] for c in commands}
        # every batch present is complete, each event once
        for b in batches:
            expected = Counter(e.command for a in crash_batch(int(b[1:]), ITEMS)
                               for e in a.events)
            assert {c: n for c, n in commands.items() if c.split("-")[0] == b} == expected, b
        if f"b{last + 1}" in batches:
            unannounced += 1  # committed, but the writer died before saying so
        # the next writer starts with the last announced batch + 1: a committed but
        # unannounced batch is retried and must not be duplicated
        start = last + 1
    final = _committed(path)
    present = sorted({int(c.split("-")[0][1:]) for c in final})
    assert present == list(range(len(present)))  # no batch lost between restarts
    assert present, "the writer never committed a batch: raise the sleep range"
    print(f"{KILLS} kills, {len(present)} batches, {unannounced} committed but unannounced")
