"""Ledger benchmark: append with the hash chain and replay into Campaign projections.

For SQLite (and PostgreSQL when ``--dsn`` or ``RECTIFY_TEST_POSTGRES_DSN`` is
given) it times, on the same events in the same run:

- **append**: ``store.append`` in batches (one event per command, as the bulk
  commands write them): canonical JSON, SHA-256 chain, version and command
  checks, one transaction per batch;
- **raw insert**: the same rows, already encoded and hashed, with plain
  ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) into an identical table:
  the floor any store pays;
- **replay**: ``store.replay()`` decoding every event; **replay → campaign**:
  building a :class:`~rectify.Campaign` from the store (every case projected);
- **raw select**: reading the same rows back with one plain query;
- **verify**: :func:`rectify.stores.chain.verify` over the whole ledger.

``--eventsourcing`` also times the ``eventsourcing`` library's SQLite
application recorder on the same number of events (its ``StoredEvent`` with
the same JSON bytes), for the decision recorded in ``docs/storage.md``.

    .venv/bin/python benchmarks/bench_ledger.py --events 1000000
    .venv/bin/python benchmarks/bench_ledger.py --events 100000 --eventsourcing
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import platform
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import attrs
import orjson

from rectify import (
    Campaign,
    Organization,
    OrgForm,
    Person,
    Plan,
    Population,
    Tier,
    Votes,
    load_policy,
)
from rectify.events import Event
from rectify.identify import identify
from rectify.model import Assessment
from rectify.stores import Append, MemoryStore, SQLiteStore
from rectify.stores.base import entry_hash
from rectify.stores.chain import verify
from rectify.stores.codec import encode

DAY = date(2017, 3, 1)


def template() -> list[Event]:
    """The events of one case driven to delisting (eight events after opening)."""
    dept = Person("D1", "组织部干部", roles={"org_department"})
    people = [dept, Person("F1", "第一书记", roles={"first_secretary"}),
              Person("S1", "督办", roles={"committee_supervisor"}),
              Person("R1", "验收员", roles={"verifier"}),
              Person("L1", "联系领导", roles={"county_leader"}),
              Person("U1", "结对单位", roles={"paired_unit"},
                     unit="县农业农村局")]
    orgs = [Organization("V0", "村党委", "village", Tier.DIRECT, OrgForm.COMMITTEE,
                         secretary="P-V0"),
            Organization("V1", "一组党支部", "village", Tier.SECOND_TIER, parent="V0",
                         secretary="P-V1")]
    c = Campaign(load_policy(), MemoryStore(), population=Population(orgs), people=people)
    rows = [Assessment("V0", 2017, 95.0), Assessment("V1", 2017, 40.0)]
    c.open_cases(identify(c.population, rows, c.policy, 2017), actor=dept, on=DAY)
    case = "2017-V1"
    c.file_plan(case, Plan(problems=[("venue_nonstandard", "场所")], measures=["修缮"],
                           responsible=["P-V1"], deadline=date(2017, 6, 30)),
                actor=dept, on=DAY)
    for level, person in [("leader_contact", "L1"), ("org_guidance", "D1"),
                          ("paired_unit", "U1"), ("committee_supervisor", "S1"),
                          ("first_secretary", "F1")]:
        c.assign_support(case, level, person, actor=dept, on=DAY)
    c.record_report(case, "progress", "2017-04", actor="F1", on=DAY,
                    resolved=["venue_nonstandard"])
    c.request_verification(case, actor="S1", on=DAY)
    c.record_verification(case, 85, Votes(10, 4, 1), ["R1"], actor="R1", on=DAY)
    c.delist(case, actor=dept, on=DAY)
    return [e for e in c.store.replay() if e.stream == case]


def events(count: int) -> list[Event]:
    """``count`` events: whole cases (cloned from the template), in case order."""
    base = template()
    out: list[Event] = []
    n = 0
    while len(out) < count:
        stream = f"2017-N{n:07d}"
        for e in base:
            out.append(attrs.evolve(e, stream=stream, command=f"{stream}:{e.version}"))
        n += 1
    return out[:count]


def timed(label: str, count: int, fn: Callable[[], Any], table: list[tuple[str, float, int]]
          ) -> float:
    """Run ``fn`` once; print and record its wall time.  The CPU time of this process is
    printed beside it: on a shared machine it varies less than the wall time."""
    gc.collect()
    gc.disable()
    start, cpu = time.perf_counter(), time.process_time()
    try:
        fn()
    finally:
        gc.enable()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    table.append((label, seconds, count))
    print(f"  {label:<34} {seconds:8.2f} s  {count / seconds:>12,.0f} events/s"
          f"  (CPU {cpu:6.2f} s, {count / max(cpu, 1e-9):>10,.0f}/s)", flush=True)
    return seconds


def appends(evs: list[Event]) -> list[Append]:
    return [Append(e.stream, e.version - 1, (e,), e.command) for e in evs]


def raw_rows(evs: list[Event]) -> list[tuple[int, str, int, str, bytes, bytes, bytes]]:
    previous = bytes(32)
    rows = []
    for i, e in enumerate(evs, start=1):
        payload = encode(e)
        digest = entry_hash(previous, payload, e.stream, e.version, e.command)
        rows.append((i, e.stream, e.version, e.command, payload, previous, digest))
        previous = digest
    return rows


def bench_sqlite(evs: list[Event], batch: int, directory: Path, synchronous: str,
                 table: list[tuple[str, float, int]]) -> None:
    n = len(evs)
    items = appends(evs)
    print(f"SQLite ({synchronous}), {n:,} events, batches of {batch:,}")
    store = SQLiteStore(directory / "ledger.db", synchronous=synchronous)

    def append() -> None:
        for s in range(0, n, batch):
            store.append(items[s:s + batch])

    a = timed("append (chain, checks)", n, append, table)
    encoded = [[encode(e) for e in item.events] for item in items]
    again = SQLiteStore(directory / "ledger-payloads.db", synchronous=synchronous)

    def append_payloads() -> None:
        for s in range(0, n, batch):
            again.append_payloads(items[s:s + batch], encoded[s:s + batch])

    timed("append_payloads (JSON given)", n, append_payloads, table)
    again.close()
    rows = raw_rows(evs)
    conn = sqlite3.connect(directory / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL,"
                 " version INTEGER NOT NULL, command TEXT NOT NULL, payload BLOB NOT NULL,"
                 " previous BLOB NOT NULL, hash BLOB NOT NULL, UNIQUE (stream, version))")
    conn.execute("CREATE TABLE commands (command TEXT PRIMARY KEY) WITHOUT ROWID")

    def raw_insert() -> None:
        for s in range(0, n, batch):
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
                             rows[s:s + batch])
            conn.executemany("INSERT INTO commands VALUES (?)",
                             [(r[3],) for r in rows[s:s + batch]])
            conn.execute("COMMIT")

    ra = timed("raw executemany insert (baseline)", n, raw_insert, table)
    r = timed("replay (decode events)", n, lambda: sum(1 for _ in store.replay()), table)
    cr = timed("rebuild_read_models()", n, store.rebuild_read_models, table)

    def reopen() -> None:
        again = SQLiteStore(directory / "ledger.db", synchronous=synchronous)
        sum(1 for _ in again.replay())
        again.close()

    timed("reopen + replay", n, reopen, table)
    rs = timed("raw select (baseline)", n,
               lambda: conn.execute("SELECT position, payload FROM events ORDER BY position"
                                    ).fetchall(), table)
    payloads = [row[4] for row in rows]
    timed("orjson.loads of every payload", n, lambda: [orjson.loads(p) for p in payloads],
          table)
    v = timed("verify chain", n, lambda: verify(store), table)
    messages = [row[5] + row[4] + b"\x00%b\x00%d\x00%b" % (row[1].encode(), row[2],
                                                           row[3].encode()) for row in rows]
    vs = timed("sha256 of every entry (floor)", n,
               lambda: [hashlib.sha256(m).digest() for m in messages], table)
    size = sum(p.stat().st_size for p in directory.glob("ledger.db*"))
    print(f"  ledger size {size / n:,.0f} bytes/event; append/raw {a / ra:.1f}x, "
          f"replay/raw {r / rs:.1f}x, rebuild/raw {cr / rs:.1f}x, verify/sha256 {v / vs:.1f}x")
    store.close()
    conn.close()


def bench_postgres(evs: list[Event], batch: int, dsn: str,
                   table: list[tuple[str, float, int]]) -> None:
    import psycopg

    from rectify.stores.postgres import PostgresStore

    n = len(evs)
    items = appends(evs)
    schema = f"ledger_bench_{uuid.uuid4().hex[:8]}"
    print(f"PostgreSQL, {n:,} events, batches of {batch:,} (schema {schema})")
    store = PostgresStore(dsn, schema=schema)
    conn = psycopg.connect(dsn, autocommit=True)
    raw = f"{schema}_raw"
    try:
        def append() -> None:
            for s in range(0, n, batch):
                store.append(items[s:s + batch])

        a = timed("append (chain, checks, COPY)", n, append, table)
        rows = raw_rows(evs)
        conn.execute(f"CREATE SCHEMA {raw}")
        conn.execute(f"CREATE TABLE {raw}.events (position bigint PRIMARY KEY, stream text"
                     " NOT NULL, version integer NOT NULL, command text NOT NULL,"
                     " payload text NOT NULL, previous bytea NOT NULL, hash bytea NOT NULL,"
                     " UNIQUE (stream, version))")
        conn.execute(f"CREATE TABLE {raw}.commands (command text PRIMARY KEY)")

        def raw_insert() -> None:
            for s in range(0, n, batch):
                with conn.transaction(), conn.cursor() as cur:
                    with cur.copy(f"COPY {raw}.events FROM STDIN") as copy:
                        for p, st, v, c, payload, prev, h in rows[s:s + batch]:
                            copy.write_row((p, st, v, c, payload.decode(), prev, h))
                    with cur.copy(f"COPY {raw}.commands FROM STDIN") as copy:
                        for r in rows[s:s + batch]:
                            copy.write_row((r[3],))

        ra = timed("raw COPY insert (baseline)", n, raw_insert, table)
        r = timed("replay (decode events)", n, lambda: sum(1 for _ in store.replay()), table)
        cr = timed("rebuild_read_models()", n, store.rebuild_read_models, table)
        rs = timed("raw select (baseline)", n, lambda: conn.execute(
            f"SELECT position, payload FROM {raw}.events ORDER BY position").fetchall(),
            table)
        timed("verify chain", n, lambda: verify(store), table)
        print(f"  append/raw {a / ra:.1f}x, replay/raw {r / rs:.1f}x, "
              f"rebuild/raw {cr / rs:.1f}x; append {n / a:,.0f} events/s (target ≥ 100,000)")
    finally:
        store.drop()
        store.close()
        conn.execute(f"DROP SCHEMA IF EXISTS {raw} CASCADE")
        conn.close()


def bench_eventsourcing(evs: list[Event], batch: int, directory: Path,
                        table: list[tuple[str, float, int]]) -> None:
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

    n = len(evs)
    print(f"eventsourcing SQLiteApplicationRecorder, {n:,} events, batches of {batch:,}")
    datastore = SQLiteDatastore(str(directory / "es.db"), originator_id_type="text")
    recorder = SQLiteApplicationRecorder(datastore)
    recorder.create_table()
    stored = [StoredEvent(e.stream, e.version, type(e).__name__, encode(e)) for e in evs]

    def insert() -> None:
        for s in range(0, n, batch):
            recorder.insert_events(stored[s:s + batch])

    es = timed("eventsourcing insert_events", n, insert, table)
    ours = {label: seconds for label, seconds, _ in table}
    print(f"  rate of rectify append / eventsourcing insert_events: "
          f"{es / ours['append (chain, checks)']:.2f}x (target ≥ 1.2x); with the JSON given "
          f"as eventsourcing is: {es / ours['append_payloads (JSON given)']:.2f}x")

    def select() -> None:
        start = 1
        while True:
            page = recorder.select_notifications(start, 10000)
            if not page:
                return
            start = page[-1].id + 1

    timed("eventsourcing select_notifications", n, select, table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--synchronous", default="NORMAL", choices=["NORMAL", "FULL"])
    parser.add_argument("--dsn", default=os.environ.get("RECTIFY_TEST_POSTGRES_DSN"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--eventsourcing", action="store_true")
    parser.add_argument("--order", choices=["case", "phase"], default="case",
                        help="case: each case's events together; phase: every case's first "
                             "event, then every second one... (as a national year writes "
                             "them: each batch touches a thousand cases)")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()} "
          f"{platform.processor() or platform.system()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load {_load()}")
    start = time.perf_counter()
    evs = events(args.events)
    if args.order == "phase":
        evs.sort(key=lambda e: e.version)  # stable: the cases stay in order within a phase
    print(f"generated {len(evs):,} events ({args.order} order) in "
          f"{time.perf_counter() - start:.1f} s")
    table: list[tuple[str, float, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        bench_sqlite(evs, args.batch, Path(tmp), args.synchronous, table)
        if args.eventsourcing:
            bench_eventsourcing(evs, args.batch, Path(tmp), table)
    if args.dsn and not args.no_postgres:
        bench_postgres(evs, args.batch, args.dsn, table)
    print(f"load at the end {_load()}")


def _load() -> str:
    """The 1-, 5- and 15-minute load averages."""
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
