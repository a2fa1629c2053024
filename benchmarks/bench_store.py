"""Store benchmark: worker start-up, case reads, durable commands, rebuild, verify.

On SQLite ledgers of the given sizes (whole cases cloned from one case driven
to delisting, nine events each, as ``bench_ledger.py`` makes them) it times,
in the same run and against anchors measured beside them:

- **start-up**: open the store, build a `rectify.Campaign` on it and read one
  case (median of repeated runs in this process: the OS cache is warm);
- **read one case**: ``store.case(id)`` for random ids (median);
- **one durable command**: ``store.append`` of one event on a new stream,
  ``synchronous=FULL`` and ``NORMAL`` (median and p99);
- **rebuild**: ``rebuild_read_models()`` against a raw ``SELECT`` of the same
  rows (position and payload, fetched, not decoded);
- **verify**: `rectify.stores.chain.verify` against a raw ``SELECT`` of the
  bytes it hashes;
- **per-aggregate reads**: ``store.read(stream)`` (decoded events) against
  the ``eventsourcing`` library's ``select_events`` of the same stream in its
  SQLite recorder (stored bytes, not decoded), when it is installed;

and, with ``--dsn`` (or ``RECTIFY_TEST_POSTGRES_DSN``), the p50/p99 latency of
one append on PostgreSQL with 1, 4 and 8 worker processes appending at once.

    .venv/bin/python benchmarks/bench_store.py --sizes 1000,100000 [--dsn URL]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench_ledger import appends, events
from rectify import Campaign, Population, load_policy
from rectify.events import PlanReturned
from rectify.stores import Append, SQLiteStore
from rectify.stores.chain import verify

RESULTS: list[tuple[str, str, str]] = []


def note(label: str, value: str, target: str = "") -> None:
    RESULTS.append((label, value, target))
    print(f"  {label:<58} {value:>22}  {target}", flush=True)


def median_ms(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median and p99 of ``runs`` calls, in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def build(path: Path, count: int) -> list[str]:
    """A SQLite ledger of ``count`` events; the case ids."""
    evs = events(count)
    store = SQLiteStore(path, synchronous="OFF")
    start = time.perf_counter()
    items = appends(evs)
    for s in range(0, len(items), 20000):
        store.append(items[s:s + 20000])
    store.close()
    print(f"built {count:,} events in {time.perf_counter() - start:.1f} s", flush=True)
    return sorted({e.stream for e in evs})


def bench_size(directory: Path, count: int, policy: Any, es_max: int) -> None:
    path = directory / f"ledger-{count}.db"
    cases = build(path, count)
    rng = random.Random(1)
    print(f"SQLite ledger of {count:,} events ({len(cases):,} cases)")

    def startup() -> None:
        store = SQLiteStore(path)
        campaign = Campaign(policy, store, population=Population([]))
        campaign.case(cases[rng.randrange(len(cases))])
        store.close()

    startup()
    p50, _ = median_ms(startup, 15)
    note(f"{count:,} events: start-up (open + Campaign + one case)", f"{p50:.1f} ms",
         "target ≤ 50 ms")
    store = SQLiteStore(path)
    p50, p99 = median_ms(lambda: store.case(cases[rng.randrange(len(cases))]), 2000)
    note(f"{count:,} events: read one case", f"{p50 * 1000:.0f} µs (p99 {p99 * 1000:.0f})",
         "target ≤ 200 µs")

    # rebuild against a raw SELECT of the same rows
    start = time.perf_counter()
    raw = sqlite3.connect(path)
    rows = raw.execute("SELECT position, payload FROM events ORDER BY position").fetchall()
    raw.close()
    anchor = time.perf_counter() - start
    del rows
    start = time.perf_counter()
    store.rebuild_read_models()
    seconds = time.perf_counter() - start
    note(f"{count:,} events: rebuild read models",
         f"{count / seconds:,.0f} ev/s ({seconds / anchor:.1f}× raw)",
         f"target ≥ 500,000 ev/s; raw SELECT {count / anchor:,.0f} ev/s")

    # verify against a raw SELECT of the bytes it hashes
    start = time.perf_counter()
    raw = sqlite3.connect(path)
    rows = raw.execute(f"SELECT {SQLiteStore._TAIL}, hash FROM events").fetchall()
    raw.close()
    anchor = time.perf_counter() - start
    del rows
    reader = SQLiteStore(path, readonly=True)
    start = time.perf_counter()
    report = verify(reader)
    seconds = time.perf_counter() - start
    reader.close()
    assert report.ok, str(report)
    note(f"{count:,} events: verify", f"{count / seconds:,.0f} /s ({seconds / anchor:.1f}× raw)",
         f"target ≥ 400,000 /s; raw SELECT {count / anchor:,.0f} /s")

    # per-aggregate reads against the eventsourcing library
    sample = [cases[rng.randrange(len(cases))] for _ in range(500)]
    p50, _ = median_ms(lambda: list(store.read(sample[rng.randrange(500)])), 500)
    note(f"{count:,} events: store.read(one case's 9 events)", f"{p50 * 1000:.0f} µs")
    store.close()
    if count > es_max:
        return
    try:
        es = eventsourcing_reads(directory, count, sample, rng)
    except ImportError:
        note("eventsourcing", "not installed (pip install 'rectify[bench]')")
    else:
        note(f"{count:,} events: eventsourcing select_events(one aggregate)",
             f"{es * 1000:.0f} µs ({p50 / es:.1f}× rectify/eventsourcing)")


def eventsourcing_reads(directory: Path, count: int, sample: list[str],
                        rng: random.Random) -> float:
    """Median ms of the ``eventsourcing`` SQLite recorder reading one aggregate's events."""
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

    from rectify.stores.codec import encode

    datastore = SQLiteDatastore(str(directory / f"es-{count}.db"), originator_id_type="text")
    recorder = SQLiteApplicationRecorder(datastore)
    recorder.create_table()
    stored = [StoredEvent(e.stream, e.version, type(e).__name__, encode(e))
              for e in events(count)]
    for s in range(0, len(stored), 20000):
        recorder.insert_events(stored[s:s + 20000])
    p50, _ = median_ms(lambda: recorder.select_events(sample[rng.randrange(len(sample))]),
                       500)
    return p50


def bench_commands(directory: Path) -> None:
    print("one durable command on SQLite (store.append of one event, new stream)")
    for sync in ("FULL", "NORMAL"):
        store = SQLiteStore(directory / f"commands-{sync}.db", synchronous=sync)
        counter = iter(range(10**9))

        def command(store: SQLiteStore = store, counter: Any = counter) -> None:
            n = next(counter)
            stream = f"2017-C{n}"
            store.append([Append(stream, 0, (PlanReturned(
                stream=stream, version=1, actor="D1", on=date(2017, 3, 1), policy="p",
                command=f"c{n}", reason="措施不具体"),), f"c{n}")])

        for _ in range(50):
            command()
        p50, p99 = median_ms(command, 500)
        note(f"SQLite synchronous={sync}: one command", f"{p50:.2f} ms (p99 {p99:.2f})",
             "target ≤ 0.3 ms median")
        store.close()


def _pg_worker(dsn: str, schema: str, worker: int, commands: int, start_at: float,
               queue: Any) -> None:
    from rectify.stores.postgres import PostgresStore

    store = PostgresStore(dsn, schema=schema)
    times = []
    time.sleep(max(0.0, start_at - time.time()))
    for n in range(commands):
        stream = f"2017-W{worker}-{n}"
        batch = [Append(stream, 0, (PlanReturned(
            stream=stream, version=1, actor="D1", on=date(2017, 3, 1), policy="p",
            command=f"w{worker}-{n}", reason="措施不具体"),), f"w{worker}-{n}")]
        begin = time.perf_counter()
        store.append(batch)
        times.append((time.perf_counter() - begin) * 1000)
    store.close()
    queue.put(times)


def bench_postgres(dsn: str, commands: int) -> None:
    from rectify.stores.postgres import PostgresStore

    print(f"PostgreSQL: one command (append of one event), {commands} per worker")
    context = multiprocessing.get_context("spawn")
    for workers in (1, 4, 8):
        schema = f"rectify_bench_{uuid.uuid4().hex[:10]}"
        PostgresStore(dsn, schema=schema).close()
        queue = context.Queue()
        start_at = time.time() + 2.0
        procs = [context.Process(target=_pg_worker,
                                 args=(dsn, schema, w, commands, start_at, queue))
                 for w in range(workers)]
        for p in procs:
            p.start()
        times = sorted(t for _ in procs for t in queue.get())
        for p in procs:
            p.join()
        store = PostgresStore(dsn, schema=schema)
        store.drop()
        store.close()
        p50 = statistics.median(times)
        p99 = times[int(len(times) * 0.99)]
        note(f"PostgreSQL, {workers} worker process(es): one command",
             f"p50 {p50:.2f} ms, p99 {p99:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--dsn", default=os.environ.get("RECTIFY_TEST_POSTGRES_DSN"))
    parser.add_argument("--pg-commands", type=int, default=300)
    parser.add_argument("--es-max", type=int, default=100000,
                        help="the largest ledger also loaded into eventsourcing")
    args = parser.parse_args()
    print(f"{platform.node()} {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    policy = load_policy()
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            bench_size(Path(tmp), size, policy, args.es_max)
        bench_commands(Path(tmp))
    if args.dsn:
        bench_postgres(args.dsn, args.pg_commands)
    print(f"load after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("\n| measurement | result | target / anchor |\n|---|---|---|")
    for label, value, target in RESULTS:
        print(f"| {label} | {value} | {target} |")


if __name__ == "__main__":
    main()
