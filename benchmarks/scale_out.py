"""Benchmark: the national year on one PostgreSQL ledger, scaled out by province.

The year of ``benchmarks/national_year.py`` (the same population generator,
policy, case paths and command ids), run on ONE `rectify.PostgresStore`
ledger by 1, 2 and 4 worker processes (``--workers 1,2,4``), each worker
count on a fresh schema of its own in the same run:

* the organizations get a province (the generator's counties are dealt
  round-robin over up to 31 provinces, so a tree and a county stay in one
  province); the identification is done once, nationally, and each
  province's listed decisions form a province-scoped identification;
* the provinces are partitioned among the workers (largest first, to the
  least loaded worker); each worker, a forked process, opens its own store
  and `Campaign` and runs its provinces' cases: `Campaign.open_cases` with
  the province's identification and an organization-department cadre scoped
  to the province, then every step of every case's path through
  `rectify.bulk.run_bulk`, one batch per province, command, actor and date;
* the steps are stages run by all workers between barriers (open; plan;
  support level 1, 2, ...; report, verification request and result of round
  1 and 2; delisting), so each stage has a wall time (first start to last
  end) and each phase's wall time is the sum of its stages';
* the store's `transaction()` is timed in every worker: the wait for the
  ledger head's row lock (with the connection's borrowing and ``BEGIN``) and
  the time it is held (the batch's reads, guards, append and commit);
* afterwards, in the parent: `rectify.stores.chain.verify`,
  `verify_read_models`, the events and cases (every case delisted, the same
  counts and the same digest of the cases read model for every worker
  count), `scope_breaches` over the events, and one deliberate cross-province
  command that must be refused with `PermissionDenied`.

The speed-up is the first run's total (one worker) over each run's,
measured in the same invocation; list one worker again at the end
(``--workers 1,2,4,1``) to see the load's drift and the first run's slower
start.  The one-minute load average is taken after every stage.  Schemas
are named ``<prefix>_<pid>_<run>_<workers>w`` (prefix ``scaleout`` or the
DSN's ``?schema=``) and dropped at the end unless ``--keep``.

Usage::

    .venv/bin/python benchmarks/scale_out.py [--scale 0.01] [--workers 1,2,4]
        [--dsn postgresql://postgres@127.0.0.1:5432/test] [--keep] [--out FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import multiprocessing as mp
import os
import platform
import random
import re
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lifecycle import FAIL_SHARE, YEAR, Actors, _actors
from national import national
from national_year import command_at
from rectify import Campaign, Person, Population, load_policy
from rectify.bulk import BulkCommand, run_bulk
from rectify.errors import PermissionDenied
from rectify.identify import AssessmentColumns, Decision, identify
from rectify.lifecycle.case import CaseRecord
from rectify.stores import Append, PostgresStore
from rectify.stores.chain import verify
from rectify.stores.readmodel import verify_read_models
from rectify.testing.ledger_rules import scope_breaches

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
NATIONAL = 5_250_000
OPENED_ON = date(YEAR, 2, 1)
BARRIER_SECONDS = 1_800.0
PROVINCES = ("北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省",
             "黑龙江省", "上海市", "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省",
             "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区", "海南省", "重庆市",
             "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
             "宁夏回族自治区", "新疆维吾尔自治区")
_SCHEMA = re.compile(r"([?&])schema=([^&]*)&?")

Case = tuple[str, tuple[str, ...], bool]  # case id, support levels, fails once
Stage = tuple[str, Callable[[Case], int | None]]  # phase, the case's step k in it


class TimedStore(PostgresStore):
    """A `PostgresStore` that times its outermost transactions (lock wait, lock held) and
    its appends, and counts the statements made outside the appends (the reads: the SQL
    stores' ``_select`` and ``_execute_many``) with their time."""

    def __init__(self, dsn: str, *, schema: str) -> None:
        super().__init__(dsn, schema=schema)
        self.waited = 0.0
        self.held = 0.0
        self.transactions = 0
        self.statements = 0
        self.statement_seconds = 0.0
        self.append_seconds = 0.0
        self._nesting = 0
        self._appending = False

    def append(self, batch: Sequence[Append], *,
               projected: Sequence[CaseRecord | None] | None = None) -> list[bool]:
        """The store's append, timed (with the read-model writes it makes)."""
        start = time.perf_counter()
        self._appending = True
        try:
            return super().append(batch, projected=projected)
        finally:
            self._appending = False
            self.append_seconds += time.perf_counter() - start

    def _select(self, query: str, params: Sequence[Any] = ()) -> list[Any]:
        if self._appending:
            return super()._select(query, params)
        start = time.perf_counter()
        try:
            return super()._select(query, params)
        finally:
            self.statements += 1
            self.statement_seconds += time.perf_counter() - start

    def _execute_many(self, query: str, rows: Sequence[Sequence[Any]]) -> int:
        if self._appending:
            return super()._execute_many(query, rows)
        start = time.perf_counter()
        try:
            return super()._execute_many(query, rows)
        finally:
            self.statements += 1
            self.statement_seconds += time.perf_counter() - start

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """The store's transaction; the outermost one adds to `waited` and `held`."""
        if self._nesting:
            with super().transaction():
                yield
            return
        self._nesting = 1
        asked = time.perf_counter()
        locked = asked
        try:
            with super().transaction():
                locked = time.perf_counter()
                yield
        finally:
            done = time.perf_counter()
            self._nesting = 0
            self.waited += locked - asked
            self.held += done - locked
            self.transactions += 1


class Scoped:
    """The decisions of one province, out of the national identification.

    Offers what `Campaign.open_cases` reads of an `Identification`: ``year``,
    ``listed()`` and ``listed_codes``.
    """

    def __init__(self, year: int, listed: list[Decision]) -> None:
        self.year = year
        self._listed = listed

    def listed(self) -> list[Decision]:
        """The province's listed decisions, in code order."""
        return self._listed

    @property
    def listed_codes(self) -> list[str]:
        """Their organizations' codes."""
        return [d.org for d in self._listed]


@attrs.frozen
class Province:
    """One province's share of the year: its cadres, identification and cases."""

    name: str
    actors: Actors
    identification: Scoped
    cases: list[Case]


def split_dsn(dsn: str) -> tuple[str, str | None]:
    """``dsn`` without its ``schema=NAME`` parameter, and that name (``None`` if absent)."""
    found = _SCHEMA.search(dsn)
    if found is None:
        return dsn, None
    rest = dsn[:found.start()] + (found.group(1) if found.end() < len(dsn) else "") \
        + dsn[found.end():]
    return rest.rstrip("?&"), found.group(2)


def with_provinces(population: Population, count: int) -> Population:
    """``population`` with each county's organizations in one of ``count`` provinces."""
    counties = sorted({o.county for o in population})
    province_of = {c: PROVINCES[i % count] for i, c in enumerate(counties)}
    with attrs.validators.disabled():
        return Population([attrs.evolve(o, province=province_of[o.county]) for o in population])


def province_actors(base: Actors, n: int, name: str) -> Actors:
    """The cadres of province ``n``: its department and verifiers scoped to it, its supporters."""
    tag = f"P{n:02d}"
    return attrs.evolve(
        base,
        dept=Person(f"OD-{tag}", f"{name}组织部干部", roles={"org_department"}, scope=name),
        verifier=Person(f"VER-{tag}", f"{name}验收组长", roles={"verifier"}, scope=name),
        team=(f"VER-{tag}", f"VER-{tag}-2", f"VER-{tag}-3"),
        supporters={level: f"SUP-{level}-{tag}" for level in base.supporters})


def _support_step(i: int, c: Case) -> int | None:
    """The step of a case's ``i``-th supporter (``None``: it has fewer levels)."""
    return i if len(c[1]) >= i else None


def _round_step(r: int, m: int, c: Case) -> int | None:
    """The step of report (``m`` 0) or verification (1, 2) in round ``r`` (``None``: the
    case passes in its first round and has no second)."""
    return len(c[1]) + 1 + 3 * r + m if r < (2 if c[2] else 1) else None


def stages(cases: list[Case]) -> list[Stage]:
    """Every step of the year after opening, as stages of one phase each, in path order."""
    levels = max((len(lv) for _, lv, _ in cases), default=0)
    out: list[Stage] = [("plan", lambda c: 0)]
    out += [("support", functools.partial(_support_step, i)) for i in range(1, levels + 1)]
    for r in range(2):
        for m in range(3):
            out.append(("reports" if m == 0 else "verification",
                        functools.partial(_round_step, r, m)))
    out.append(("delisting", lambda c: len(c[1]) + 1 + 3 * (2 if c[2] else 1)))
    return out


def stage_batches(province: Province, step_of: Callable[[Case], int | None]
                  ) -> list[tuple[Any, date, list[BulkCommand]]]:
    """One province's commands of a stage, as batches of one command name, actor and date."""
    groups: dict[tuple[str, str, date], tuple[Any, list[BulkCommand]]] = {}
    for index, case in enumerate(province.cases):
        k = step_of(case)
        if k is None:
            continue
        step = command_at(k, index, case[0], case[1], case[2], province.actors)
        if step is None:
            continue
        command, actor, on, args = step
        groups.setdefault((command, actor.id, on), (actor, []))[1].append(
            BulkCommand(command, case[0], f"y{k}:{case[0]}", args))
    return [(actor, on, cmds) for (_, _, on), (actor, cmds) in groups.items()]


# Set by the parent before forking; the workers read it (copy-on-write).
_SHARED: dict[str, Any] = {}


def worker(number: int, names: list[str], dsn: str, schema: str, barrier: Any,
           results: Any) -> None:
    """Run the year's stages for the provinces ``names`` on a store of this process's own."""
    try:
        records = _work(number, names, dsn, schema, barrier)
        results.put((number, records, None))
    except BaseException:  # report the failure, release the others from the barrier
        barrier.abort()
        results.put((number, None, traceback.format_exc()))


def _work(number: int, names: list[str], dsn: str, schema: str, barrier: Any
          ) -> dict[str, Any]:
    provinces: dict[str, Province] = _SHARED["provinces"]
    mine = [provinces[n] for n in names]
    start = time.perf_counter()
    store = TimedStore(dsn, schema=schema)
    campaign = Campaign(_SHARED["policy"], store, population=_SHARED["population"],
                        people=_SHARED["people"])
    setup = time.perf_counter() - start
    rows: list[dict[str, Any]] = []

    def stage(name: str, phase: str, run: Callable[[], tuple[int, int, list[str]]]) -> None:
        barrier.wait(BARRIER_SECONDS)
        waited, held, count = store.waited, store.held, store.transactions
        statements, statement_seconds = store.statements, store.statement_seconds
        appending = store.append_seconds
        t0 = time.perf_counter()
        commands, batches, refused = run()
        t1 = time.perf_counter()
        rows.append({"stage": name, "phase": phase, "start": t0, "end": t1,
                     "commands": commands, "batches": batches, "refused": refused,
                     "lock_wait": store.waited - waited, "lock_held": store.held - held,
                     "transactions": store.transactions - count,
                     "statements": store.statements - statements,
                     "statement_seconds": store.statement_seconds - statement_seconds,
                     "append_seconds": store.append_seconds - appending,
                     "load_1min": os.getloadavg()[0]})

    def opened() -> tuple[int, int, list[str]]:
        n = 0
        for p in mine:
            out = campaign.open_cases(p.identification, actor=p.actors.dept, on=OPENED_ON)
            n += len(out.opened) + len(out.existing)
        return n, len(mine), []

    stage("open", "open", opened)
    for i, (phase, step_of) in enumerate(stages(_SHARED["all_cases"])):
        def ran(step_of: Callable[[Case], int | None] = step_of) -> tuple[int, int, list[str]]:
            commands = batches = 0
            refused: list[str] = []
            for p in mine:
                for actor, on, cmds in stage_batches(p, step_of):
                    out = run_bulk(campaign, cmds, actor=actor, on=on,
                                   optimistic=_SHARED["optimistic"])
                    commands += len(cmds)
                    batches += 1
                    refused += [f"{k}: {v}" for k, v in out.refused.items()]
            return commands, batches, refused

        stage(f"{phase} {i + 1}", phase, ran)
    store.close()
    return {"worker": number, "provinces": names, "setup_seconds": setup, "stages": rows}


def prepare(scale: float, seed: int, provinces: int) -> dict[str, Any]:
    """The population with provinces, the national identification and every province's share."""
    size = max(1_000, round(NATIONAL * scale))
    policy = load_policy("northern-county")
    policy.fingerprint()
    start = time.perf_counter()
    nat = national(size, seed=seed, year=YEAR)
    records = AssessmentColumns.of(nat.population, nat.assessments, YEAR)
    columns = AssessmentColumns(YEAR, np.asarray(records.totals, dtype=np.float64))
    del records, nat.assessments[:]
    counties = len({o.county for o in nat.population})
    count = min(provinces, counties)
    population = with_provinces(nat.population, count)
    setup = time.perf_counter() - start
    start = time.perf_counter()
    identification = identify(population, columns, policy, YEAR)
    listed = identification.listed()
    assert sum(len(r.render()) for d in listed for r in d.reasons)
    identify_seconds = time.perf_counter() - start
    province_of = {o.code: o.province for o in population}
    rng = random.Random(seed)
    required = policy.support.required
    base = _actors(policy)
    by_name: dict[str, list[Decision]] = {}
    fails: dict[str, bool] = {}
    for d in listed:  # the failing fifth drawn in national order, as national_year.py does
        fails[d.org] = rng.random() < FAIL_SHARE
        by_name.setdefault(province_of[d.org], []).append(d)
    shares: dict[str, Province] = {}
    people: dict[str, Person] = {}
    for n, name in enumerate(PROVINCES[:count]):
        decisions = by_name.get(name, [])
        actors = province_actors(base, n, name)
        cases = [(f"{YEAR}-{d.org}", tuple(required[d.kind]), fails[d.org]) for d in decisions]
        shares[name] = Province(name, actors, Scoped(YEAR, decisions), cases)
        people.update((p.id, p) for p in actors.people(len(cases)))
    return {"policy": policy, "population": population, "provinces": shares,
            "people": list(people.values()),
            "all_cases": [c for p in shares.values() for c in p.cases],
            "organizations": size, "counties": counties, "setup_seconds": setup,
            "identify_seconds": identify_seconds, "listed": len(listed)}


def partition(provinces: dict[str, Province], workers: int) -> list[list[str]]:
    """The provinces dealt to ``workers`` workers: largest first, each to the least loaded."""
    parts: list[list[str]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for p in sorted(provinces.values(), key=lambda p: (-len(p.cases), p.name)):
        i = loads.index(min(loads))
        parts[i].append(p.name)
        loads[i] += len(p.cases)
    return parts


def check(dsn: str, schema: str) -> dict[str, Any]:
    """The ledger's correctness after a run, and the time each check took."""
    store = PostgresStore(dsn, schema=schema)
    try:
        t = time.perf_counter()
        report = verify(store)
        chain_seconds = time.perf_counter() - t
        t = time.perf_counter()
        differences = verify_read_models(store)
        readmodel_seconds = time.perf_counter() - t
        cases = store.cases()
        digest = hashlib.sha256("\n".join(
            f"{c.id} {c.state} {c.scope} {c.version}" for c in cases).encode()).hexdigest()
        people = {p.id: p for p in _SHARED["people"]}
        breaches = scope_breaches(store.replay(), people)
        refusal = cross_scope_refusal(store)
        return {"chain_ok": report.ok, "chain_seconds": chain_seconds,
                "read_model_differences": differences, "read_model_seconds": readmodel_seconds,
                "events": len(store), "cases": len(cases),
                "states": dict(Counter(c.state for c in cases)), "digest": digest[:16],
                "scope_breaches": breaches[:5], "cross_scope_refusal": refusal}
    finally:
        store.close()


def cross_scope_refusal(store: PostgresStore) -> str:
    """One province's cadre reporting on another province's case: the refusal's type."""
    names = [p for p in _SHARED["provinces"].values() if p.cases]
    if len(names) < 2:
        return "(one province only)"
    ours, theirs = names[0], names[1]
    campaign = Campaign(_SHARED["policy"], store, population=_SHARED["population"],
                        people=_SHARED["people"])
    out = run_bulk(campaign, [BulkCommand("record_report", theirs.cases[0][0], "cross-scope", {
        "kind": "progress", "month": f"{YEAR}-11", "resolved": ()})],
        actor=ours.actors.dept, on=date(YEAR, 11, 1))
    refused = list(out.refused.values())
    assert not out.accepted, "a cadre changed a case outside its province"
    return type(refused[0]).__name__ if refused else "(accepted!)"


def run_workers(dsn: str, schema: str, parts: list[list[str]]) -> list[dict[str, Any]]:
    """Fork one worker per part, wait for all; their records, or the first failure raised."""
    context = mp.get_context("fork")
    barrier = context.Barrier(len(parts))
    results = context.Queue()
    procs = [context.Process(target=worker, args=(i, part, dsn, schema, barrier, results))
             for i, part in enumerate(parts)]
    for p in procs:
        p.start()
    got = [results.get() for _ in procs]
    for p in procs:
        p.join()
    failed = [error for _, _, error in got if error]
    if failed:
        raise RuntimeError("a worker failed:\n" + failed[0])
    return [records for _, records, _ in sorted(got, key=lambda g: g[0])]


def summarize(workers: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-stage wall times merged into phases, with the lock's share of the batches."""
    phases: dict[str, dict[str, Any]] = {}
    for i, first in enumerate(workers[0]["stages"]):
        rows = [w["stages"][i] for w in workers]
        wall = max(r["end"] for r in rows) - min(r["start"] for r in rows)
        into = phases.setdefault(first["phase"], {
            "phase": first["phase"], "wall_seconds": 0.0, "busy_seconds": 0.0, "commands": 0,
            "batches": 0, "lock_wait": 0.0, "lock_held": 0.0, "statements": 0,
            "statement_seconds": 0.0, "append_seconds": 0.0, "load_1min": 0.0,
            "refused": []})
        into["wall_seconds"] += wall
        into["busy_seconds"] += sum(r["end"] - r["start"] for r in rows)
        for key in ("commands", "batches", "lock_wait", "lock_held", "statements",
                    "statement_seconds", "append_seconds", "refused"):
            into[key] += sum((r[key] for r in rows), [] if key == "refused" else 0)
        into["load_1min"] = max(into["load_1min"], *(r["load_1min"] for r in rows))
    return {"phases": list(phases.values()),
            "total_seconds": sum(p["wall_seconds"] for p in phases.values()),
            "commands": sum(p["commands"] for name, p in phases.items() if name != "open"),
            "opened": phases["open"]["commands"],
            "busy_seconds": sum(p["busy_seconds"] for p in phases.values()),
            "lock_wait": sum(p["lock_wait"] for p in phases.values()),
            "lock_held": sum(p["lock_held"] for p in phases.values()),
            "statements": sum(p["statements"] for p in phases.values()),
            "statement_seconds": sum(p["statement_seconds"] for p in phases.values()),
            "append_seconds": sum(p["append_seconds"] for p in phases.values()),
            "refused": [m for p in phases.values() for m in p["refused"]],
            "worker_setup_seconds": max(w["setup_seconds"] for w in workers)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.01,
                        help="share of the national population (0.01, 0.1 or 1)")
    parser.add_argument("--seed", type=int, default=2024, help="generator seed")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, e.g. 1,2,4")
    parser.add_argument("--provinces", type=int, default=len(PROVINCES),
                        help="how many provinces (at most 31, and at most the counties)")
    parser.add_argument("--dsn", default=DEFAULT_DSN,
                        help="PostgreSQL DSN; ?schema=NAME prefixes the per-run schemas")
    parser.add_argument("--keep", action="store_true", help="keep the schemas afterwards")
    parser.add_argument("--locked", action="store_true",
                        help="check every batch under the write lock (optimistic=False) "
                             "instead of the PostgreSQL default (checked in a snapshot, "
                             "re-checked under the lock)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]
    dsn, prefix = split_dsn(args.dsn)
    prefix = prefix or "scaleout"
    load_before = os.getloadavg()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}")
    _SHARED.update(prepare(args.scale, args.seed, min(args.provinces, len(PROVINCES))))
    _SHARED["optimistic"] = not args.locked
    print("batches: " + ("checked under the lock" if args.locked
                         else "checked in a snapshot, re-checked under the lock"))
    provinces: dict[str, Province] = _SHARED["provinces"]
    sizes = sorted(len(p.cases) for p in provinces.values())
    print(f"python {platform.python_version()}, {os.cpu_count()} cores; "
          f"{_SHARED['organizations']:,} organizations in {_SHARED['counties']} counties and "
          f"{len(provinces)} provinces (generated in {_SHARED['setup_seconds']:.1f} s, not "
          f"counted); identify {_SHARED['identify_seconds']:.2f} s once, nationally: "
          f"{_SHARED['listed']:,} listed, {sizes[0]}-{sizes[-1]} per province")
    runs: list[dict[str, Any]] = []
    for index, count in enumerate(counts):
        schema = f"{prefix}_{os.getpid()}_{index}_{count}w"
        PostgresStore(dsn, schema=schema).close()  # the tables, before the workers start
        parts = partition(provinces, count)
        try:
            summary = summarize(run_workers(dsn, schema, parts))
            summary.update(workers=count, schema=schema,
                           cases_per_worker=[sum(len(provinces[n].cases) for n in part)
                                             for part in parts],
                           checks=check(dsn, schema), load_after=list(os.getloadavg()))
        finally:
            if not args.keep:
                store = PostgresStore(dsn, schema=schema)
                store.drop()
                store.close()
        runs.append(summary)
        report(summary, runs[0])
    problems = verdicts(runs)
    out = {"scale": args.scale, "seed": args.seed, "organizations": _SHARED["organizations"],
           "counties": _SHARED["counties"], "provinces": len(provinces),
           "listed": _SHARED["listed"], "setup_seconds": _SHARED["setup_seconds"],
           "identify_seconds": _SHARED["identify_seconds"], "runs": runs,
           "optimistic": _SHARED["optimistic"],
           "problems": problems, "python": platform.python_version(),
           "machine": platform.machine(), "cores": os.cpu_count(),
           "date": date.today().isoformat(), "load_average_before": list(load_before),
           "load_average_end": list(os.getloadavg())}
    print("correctness: " + ("every check passed" if not problems else "; ".join(problems)))
    if args.out:
        args.out.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
        print(f"written to {args.out}")
    return 1 if problems else 0


def report(run: dict[str, Any], anchor: dict[str, Any]) -> None:
    """Print one worker count's phases, totals, lock shares and checks."""
    checks = run["checks"]
    print(f"\n{run['workers']} worker(s), cases per worker {run['cases_per_worker']}, "
          f"worker start-up {run['worker_setup_seconds']:.2f} s (not counted)")
    print(f"{'phase':13} {'wall s':>7} {'commands':>9} {'per s':>7} {'batches':>7} "
          f"{'lock held':>9} {'lock wait':>9} {'reads/cmd':>9} {'load':>5}")
    for p in run["phases"]:
        rate = f"{p['commands'] / p['wall_seconds']:,.0f}" if p["wall_seconds"] else ""
        busy = p["busy_seconds"] or 1.0
        print(f"{p['phase']:13} {p['wall_seconds']:7.2f} {p['commands']:9,} {rate:>7} "
              f"{p['batches']:7,} {p['lock_held'] / busy:9.0%} {p['lock_wait'] / busy:9.0%} "
              f"{p['statements'] / max(p['commands'], 1):9.1f} {p['load_1min']:5.2f}")
    total = run["total_seconds"]
    share = anchor["lock_held"] / anchor["busy_seconds"]
    bound = 1 / (share + (1 - share) / run["workers"])
    print(f"total {total:.2f} s, {(run['commands'] + run['opened']) / total:,.0f} commands/s, "
          f"speed-up {anchor['total_seconds'] / total:.2f}x against 1 worker; lock held "
          f"{run['lock_held']:.2f} s = {run['lock_held'] / total:.0%} of the wall time "
          f"(workers busy {run['busy_seconds']:.2f} s, waiting for the lock "
          f"{run['lock_wait'] / run['busy_seconds']:.0%} of it); reads "
          f"{run['statements']:,} statements, {run['statement_seconds']:.2f} s = "
          f"{run['statement_seconds'] / max(run['lock_held'], 1e-9):.0%} of the lock held; "
          f"appends {run['append_seconds']:.2f} s = "
          f"{run['append_seconds'] / max(run['lock_held'], 1e-9):.0%} of it")
    print(f"checks: chain {'ok' if checks['chain_ok'] else 'BROKEN'} "
          f"({checks['chain_seconds']:.2f} s), read models "
          f"{'agree' if not checks['read_model_differences'] else 'DIFFER'} "
          f"({checks['read_model_seconds']:.2f} s), {checks['events']:,} events, "
          f"{checks['cases']:,} cases {checks['states']}, digest {checks['digest']}, "
          f"scope breaches {len(checks['scope_breaches'])}, cross-province command refused "
          f"with {checks['cross_scope_refusal']}, refusals {len(run['refused'])}")
    print(f"Amdahl: with {share:.1%} of one worker's time under the head lock, "
          f"{run['workers']} workers can be at most {bound:.3f}x faster")


def verdicts(runs: list[dict[str, Any]]) -> list[str]:
    """What went wrong in any run (empty: every check passed, every run alike)."""
    problems: list[str] = []
    first = runs[0]["checks"]
    for run in runs:
        c, w = run["checks"], run["workers"]
        if not c["chain_ok"]:
            problems.append(f"{w} workers: the chain does not verify")
        if c["read_model_differences"]:
            problems.append(f"{w} workers: read models differ: {c['read_model_differences']}")
        if c["scope_breaches"]:
            problems.append(f"{w} workers: scope breaches: {c['scope_breaches']}")
        if c["cross_scope_refusal"] != PermissionDenied.__name__:
            problems.append(f"{w} workers: cross-province command: {c['cross_scope_refusal']}")
        if run["refused"]:
            problems.append(f"{w} workers: {len(run['refused'])} refusals: {run['refused'][:3]}")
        if set(c["states"]) != {"delisted"}:
            problems.append(f"{w} workers: cases not all delisted: {c['states']}")
        for key in ("events", "cases", "digest"):
            if c[key] != first[key]:
                problems.append(f"{w} workers: {key} {c[key]} against {first[key]}")
    return problems


if __name__ == "__main__":
    raise SystemExit(main())
