"""Benchmark: the case lifecycle (workflow transitions, facade commands, memory per case).

Measures, in one run, best of ``--repeat``:

1. Transitions per second of the workflow engine, four ways:

   a. a plain dict ``{(state, trigger): dest}`` written by hand (the floor);
   b. the table compiled from the ``transitions`` machine
      (``compile_table(build_machine())``), driven the way a bulk path
      would: a list of case states advanced one trigger column at a time
      (identified → planned → supported → verifying → accepted → delisted,
      a fifth of the cases failing verification once and looping back);
   c. ``transitions`` itself: one reusable machine, a small holder re-pointed
      at each case, ``machine.events[trigger].trigger(holder)``;
   d. ``Campaign.fire(state, trigger)`` with ``engine="table"`` and
      ``engine="transitions"``.

   (a) and (b) drive ``--bulk-cases`` cases; (c) and (d) drive ``--cases``
   cases (they are 100 times slower).  Ratios are against (a) and (c).

2. One command at a time through the facade (``Campaign``, in-memory store):
   ``open_cases`` on a real identification of a generated population
   (``benchmarks/national.py``), then for every case ``file_plan``,
   ``assign_support`` for each level its kind requires (the last one moves the
   case to supported), ``record_report`` resolving every problem,
   ``request_verification``, ``record_verification`` (a fifth fail once and go
   round again), ``delist``.  Commands and transitions per second; the same
   commands through :func:`rectify.bulk.run_bulk` (one batch per phase); with
   ``--profile``, the top functions of a cProfile run of the facade path.

3. Memory per open case: ``--open-cases`` cases opened with ``open_cases``
   (every organization of a generated population listed by a synthetic
   identification that gives ``open_cases`` just the year and the listed
   decisions).  Live bytes are counted with ``tracemalloc`` (the process's
   resident growth of (i) is shown beside it): (i) the whole ``open_cases``, that
   is the in-memory store's events and indexes plus the campaign projection;
   (ii) the projection alone, a new ``Campaign`` replaying that store; the
   store is (i) - (ii).  The projection shares the case id, org and kind
   strings with the events.  Also the projection per case mid-life (every
   ``--cases`` case supported, plan filed, problems reported resolved).

Usage::

    .venv/bin/python benchmarks/bench_lifecycle.py [--cases N] [--bulk-cases N]
        [--open-cases N] [--repeat R] [--profile] [--skip-memory]
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import io
import platform
import pstats
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national import national
from rectify import Campaign, Person, Policy, load_policy
from rectify.bulk import BulkCommand, run_bulk
from rectify.events import CaseOpened
from rectify.identify import identify
from rectify.lifecycle.case import Plan
from rectify.lifecycle.guards import Votes
from rectify.lifecycle.workflow import build_machine, compile_table

#: The clock of every measurement (wall time; experiments may swap in process time).
CLOCK: Callable[[], float] = time.perf_counter
TARGET_BULK = 1_000_000
TARGET_FACADE = 100_000
TARGET_BYTES_PER_CASE = 1024
FAIL_SHARE = 0.2
YEAR = 2025

#: The hand-written table of (a): the workflow's edges, typed in.
HAND_TABLE: dict[tuple[str, str], str] = {
    ("identified", "file_plan"): "planned",
    ("planned", "return_plan"): "identified",
    ("planned", "begin_support"): "supported",
    ("supported", "request_verification"): "verifying",
    ("verifying", "pass_verification"): "accepted",
    ("verifying", "fail_verification"): "supported",
    ("accepted", "delist"): "delisted",
    ("delisted", "reopen"): "supported",
    ("identified", "carry_over"): "carried_over",
    ("planned", "carry_over"): "carried_over",
    ("supported", "carry_over"): "carried_over",
    ("verifying", "carry_over"): "carried_over",
    ("accepted", "carry_over"): "carried_over",
}

PASS_PATH = ("file_plan", "begin_support", "request_verification", "pass_verification",
             "delist")
FAIL_PATH = ("file_plan", "begin_support", "request_verification", "fail_verification",
             "request_verification", "pass_verification", "delist")


# -- helpers ---------------------------------------------------------------------------


def _rss() -> int:
    """Resident bytes (``VmRSS``), 0 where ``/proc`` is unavailable."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _best(repeat: int, step: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs of ``step`` (after a collection), and its last result."""
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        gc.collect()
        start = CLOCK()
        result = step()
        best = min(best, CLOCK() - start)
    return best, result


def _paths(n: int, seed: int) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    return [FAIL_PATH if rng.random() < FAIL_SHARE else PASS_PATH for _ in range(n)]


def _columns(paths: list[tuple[str, ...]]) -> list[list[str | None]]:
    """Trigger columns: column k holds each case's k-th trigger (``None`` once it is done)."""
    width = max(len(p) for p in paths)
    return [[p[k] if k < len(p) else None for p in paths] for k in range(width)]


# -- 1. engines ------------------------------------------------------------------------


def drive_columns(table: dict[tuple[str, str], str], columns: list[list[str | None]],
                  n: int) -> tuple[list[str], int]:
    """Advance ``n`` cases one trigger column at a time by table lookups (the bulk shape)."""
    states = ["identified"] * n
    moves = 0
    get = table.get
    for column in columns:
        states = [s if t is None else get((s, t), s) for s, t in zip(states, column, strict=True)]
        moves += n - column.count(None)
    return states, moves


def drive_transitions(machine: Any, paths: list[tuple[str, ...]]) -> tuple[list[str], int]:
    """Every case through ``transitions``: one machine, one holder re-pointed at each case."""

    class Holder:
        __slots__ = ("state",)
        state: str

    holder = Holder()
    events = machine.events
    out: list[str] = []
    moves = 0
    for path in paths:
        holder.state = "identified"
        for trigger in path:
            events[trigger].trigger(holder)
        moves += len(path)
        out.append(holder.state)
    return out, moves


def drive_fire(fire: Callable[[str, str], str | None],
               paths: list[tuple[str, ...]]) -> tuple[list[str], int]:
    """Every case through ``Campaign.fire``, one call per transition."""
    out: list[str] = []
    moves = 0
    for path in paths:
        state: str | None = "identified"
        for trigger in path:
            state = fire(state, trigger)  # type: ignore[arg-type]
        moves += len(path)
        out.append(state)  # type: ignore[arg-type]
    return out, moves


def bench_engines(cases: int, bulk_cases: int, repeat: int, policy: Policy,
                  population: Any) -> list[tuple[str, int, float]]:
    """``(label, transitions, seconds)`` for each engine."""
    machine = build_machine()
    compiled = compile_table(machine)
    assert compiled == HAND_TABLE, "the workflow changed"
    bulk_paths = _paths(bulk_cases, 1)
    columns = _columns(bulk_paths)
    paths = bulk_paths[:cases]
    rows: list[tuple[str, int, float]] = []

    secs, (states, moves) = _best(repeat, lambda: drive_columns(HAND_TABLE, columns, bulk_cases))
    assert set(states) == {"delisted"}
    rows.append(("(a) hand-written dict table, columns", moves, secs))
    secs, (states, moves) = _best(repeat, lambda: drive_columns(compiled, columns, bulk_cases))
    assert set(states) == {"delisted"}
    rows.append(("(b) compiled table, columns (bulk path)", moves, secs))
    secs, (states, moves) = _best(repeat, lambda: drive_transitions(machine, paths))
    assert set(states) == {"delisted"}
    rows.append(("(c) transitions, one machine + holder", moves, secs))
    for engine in ("table", "transitions"):
        campaign = Campaign(policy, population=population, engine=engine)
        secs, (states, moves) = _best(repeat, functools.partial(drive_fire, campaign.fire, paths))
        assert set(states) == {"delisted"}
        rows.append((f"(d) Campaign.fire, engine={engine}", moves, secs))
    return rows


# -- 2. the facade ---------------------------------------------------------------------


@attrs.frozen
class Actors:
    """The people issuing the commands."""

    dept: Person
    verifier: Person
    team: tuple[str, ...]
    supporters: dict[str, str]
    #: How many cases one supporter of a level takes (the policy's caps).
    shares: dict[str, int]
    #: The role each level asks of its supporters (the policy's ``level_roles``).
    roles: dict[str, str]

    def supporter(self, level: str, index: int) -> str:
        """The supporter of ``level`` for the ``index``-th case: each takes a full share."""
        return f"{self.supporters[level]}-{index // self.shares[level]}"

    def people(self, cases: int) -> list[Person]:
        """Everyone the commands name for ``cases`` cases, for the campaign's register."""
        found = [self.dept, self.verifier,
                 *(Person(p, "验收组成员", roles={"verifier"}) for p in self.team[1:])]
        for level, share in self.shares.items():
            roles = {self.roles[level]} if level in self.roles else set()
            found += [Person(f"{self.supporters[level]}-{i}", "包扶干部", roles=roles,
                             unit="县直机关") for i in range(-(-cases // share))]
        return found


def _actors(policy: Policy) -> Actors:
    dept = Person("OD-1", "组织部干部", roles={"org_department"})
    verifier = Person("VER-1", "验收组长", roles={"verifier"})
    supporters = {level: f"SUP-{level}" for level in policy.support.levels}
    cap = policy.coverage.max_cases_per_person
    shares = {level: policy.coverage.max_stations_per_first_secretary
              if level == "first_secretary" else cap for level in policy.support.levels}
    return Actors(dept, verifier, ("VER-1", "VER-2", "VER-3"), supporters, shares,
                  dict(policy.coverage.level_roles))


PLAN = Plan(problems=(("team_incomplete", "班子配备不齐"), ("rules_not_kept", "三会一课不经常")),
            measures=("配齐班子", "建立制度台账"), responsible=("乡镇党委书记",),
            deadline=date(YEAR, 8, 1))
PASS_VOTES, FAIL_VOTES = Votes(12, 2, 1), Votes(4, 2, 9)
DAYS = [date(YEAR, 3, 1) + timedelta(days=d) for d in range(0, 140, 10)]


def _script(policy: Policy, actors: Actors, case: str, kind: str,
            fails: bool, index: int) -> Iterator[tuple[str, Person, date, dict[str, Any]]]:
    """The commands of one case's full path: (command, actor, date, arguments)."""
    dept, ver = actors.dept, actors.verifier
    yield "file_plan", dept, DAYS[0], {"plan": PLAN}
    for level in policy.support.required[kind]:
        # each supporter takes as many cases as the policy's cap allows
        yield "assign_support", dept, DAYS[1], {"level": level,
                                                  "person": actors.supporter(level, index)}
    rounds = 2 if fails else 1
    for r in range(rounds):
        yield "record_report", dept, DAYS[2 + 3 * r], {
            "kind": "progress", "month": f"{YEAR}-0{5 + r}",
            "resolved": ("team_incomplete", "rules_not_kept")}
        yield "request_verification", dept, DAYS[3 + 3 * r], {}
        last = r == rounds - 1
        yield "record_verification", ver, DAYS[4 + 3 * r], {
            "score": 85.0 if last else 55.0, "votes": PASS_VOTES if last else FAIL_VOTES,
            "team": actors.team}
    yield "delist", dept, DAYS[10], {}


def _phased(policy: Policy, actors: Actors, cases: list[tuple[str, str, bool]]
            ) -> list[list[tuple[str, str, Person, date, dict[str, Any]]]]:
    """Every case's script, grouped by step number (a phase of the campaign)."""
    phases: list[list[tuple[str, str, Person, date, dict[str, Any]]]] = []
    for index, (cid, kind, fails) in enumerate(cases):
        for k, (command, actor, on, args) in enumerate(_script(policy, actors, cid, kind,
                                                                  fails, index)):
            if k == len(phases):
                phases.append([])
            phases[k].append((command, cid, actor, on, args))
    return phases


def _setup_facade(policy: Policy, cases_wanted: int, seed: int
                  ) -> tuple[Any, Any, list[tuple[str, str, bool]]]:
    size = max(200, round(cases_wanted / 0.0647))
    nat = national(size, seed=seed, year=YEAR)
    result = identify(nat.population, nat.assessments, policy, YEAR)
    rng = random.Random(seed)
    cases = [(f"{YEAR}-{d.org}", d.kind, rng.random() < FAIL_SHARE) for d in result.listed()]
    return nat, result, cases


def run_facade(policy: Policy, nat: Any, result: Any, cases: list[tuple[str, str, bool]],
               actors: Actors) -> tuple[Campaign, int, int, float]:
    """Open every case, then drive each through its path one command at a time.

    Returns the campaign, commands, transitions and the seconds of the commands
    after ``open_cases`` (whose time is reported apart).
    """
    campaign = Campaign(policy, population=nat.population, people=actors.people(len(cases)))
    start = CLOCK()
    campaign.open_cases(result, actor=actors.dept, on=date(YEAR, 2, 1))
    run_facade.open_seconds = CLOCK() - start  # type: ignore[attr-defined]
    commands = 0
    calls: dict[str, Callable[..., Any]] = {
        "file_plan": campaign.file_plan,
        "assign_support": campaign.assign_support,
        "record_report": campaign.record_report,
        "request_verification": campaign.request_verification,
        "record_verification": campaign.record_verification,
        "delist": campaign.delist,
    }
    start = CLOCK()
    for index, (cid, kind, fails) in enumerate(cases):
        for command, actor, on, args in _script(policy, actors, cid, kind, fails, index):
            calls[command](cid, actor=actor, on=on, **args)
            commands += 1
    seconds = CLOCK() - start
    return campaign, commands, _transitions(campaign), seconds


def run_bulk_path(policy: Policy, nat: Any, result: Any, cases: list[tuple[str, str, bool]],
                  actors: Actors) -> tuple[Campaign, int, int, float]:
    """The same commands through ``run_bulk``, one batch per phase (command ids prebuilt)."""
    campaign = Campaign(policy, population=nat.population, people=actors.people(len(cases)))
    campaign.open_cases(result, actor=actors.dept, on=date(YEAR, 2, 1))
    batches: list[tuple[Person, date, list[BulkCommand]]] = []
    for k, phase in enumerate(_phased(policy, actors, cases)):
        # a phase mixes actors and dates only across kinds of command; split on them
        groups: dict[tuple[str, date], list[BulkCommand]] = {}
        people: dict[str, Person] = {}
        for command, cid, actor, on, args in phase:
            people[actor.id] = actor
            groups.setdefault((actor.id, on), []).append(
                BulkCommand(command, cid, f"b{k}:{cid}", args))
        for (actor_id, on), cmds in groups.items():
            batches.append((people[actor_id], on, cmds))
    commands = sum(len(b[2]) for b in batches)
    start = CLOCK()
    for actor, on, cmds in batches:
        out = run_bulk(campaign, cmds, actor=actor, on=on)
        assert not out.refused, next(iter(out.refused.values()))
    seconds = CLOCK() - start
    return campaign, commands, _transitions(campaign), seconds


def _transitions(campaign: Campaign) -> int:
    events = campaign.store.replay()
    moves = sum(len(e.transitions) for e in events)
    delisted = sum(1 for c in campaign.cases() if c.state == "delisted")
    assert delisted == len(campaign.cases()), f"{delisted} of {len(campaign.cases())} delisted"
    return moves


def profile_facade(policy: Policy, nat: Any, result: Any, cases: list[tuple[str, str, bool]],
                   actors: Actors, top: int = 25) -> str:
    """cProfile of the one-at-a-time commands (open_cases excluded), sorted by own time."""
    campaign = Campaign(policy, population=nat.population, people=actors.people(len(cases)))
    campaign.open_cases(result, actor=actors.dept, on=date(YEAR, 2, 1))
    calls = {name: getattr(campaign, name) for name in (
        "file_plan", "assign_support", "record_report", "request_verification",
        "record_verification", "delist")}
    profiler = cProfile.Profile()
    profiler.enable()
    for index, (cid, kind, fails) in enumerate(cases):
        for command, actor, on, args in _script(policy, actors, cid, kind, fails, index):
            calls[command](cid, actor=actor, on=on, **args)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    out.write("\n")
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# -- 3. memory per open case -----------------------------------------------------------


@attrs.frozen
class _Listed:
    org: str
    kind: str
    rules: tuple[str, ...]
    score: float


class SyntheticIdentification:
    """Just what ``open_cases`` reads: the year and the listed decisions."""

    def __init__(self, year: int, listed: list[_Listed]) -> None:
        self.year = year
        self._listed = listed

    def listed(self) -> list[_Listed]:
        """The listed decisions."""
        return self._listed


def _traced(step: Callable[[], Any]) -> tuple[Any, int]:
    """Run ``step`` under ``tracemalloc``: its result and the bytes it left allocated."""
    gc.collect()
    tracemalloc.start()
    try:
        result = step()
        gc.collect()
        current, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, current


def bench_memory(policy: Policy, open_cases: int, seed: int) -> dict[str, Any]:
    """Bytes per open case: open_cases overall, the projection alone, the store by difference."""
    nat = national(open_cases, seed=seed, year=YEAR)
    scores = {a.org: a.total for a in nat.assessments}
    rules = ("grade_d",)
    listing = SyntheticIdentification(
        YEAR, [_Listed(o.code, o.kind, rules, scores[o.code]) for o in nat.population])
    del scores
    dept = Person("OD-1", "组织部干部", roles={"org_department"})
    out: dict[str, Any] = {"cases": open_cases}

    def opened() -> Campaign:
        campaign = Campaign(policy, population=nat.population, people=[dept])
        # A stand-in of bare decisions: no Decision objects, so not a Listing to mypy.
        campaign.open_cases(listing, actor=dept, on=date(YEAR, 2, 1))  # type: ignore[arg-type]
        return campaign

    # (i) open_cases: the store's events and the projection together (timed and RSS,
    # then again under tracemalloc for exact live bytes).
    gc.collect()
    before = _rss()
    start = CLOCK()
    campaign = opened()
    out["open_seconds"] = CLOCK() - start
    gc.collect()
    out["open_rss"] = _rss() - before
    store = campaign.store
    del campaign
    _, out["open_total"] = _traced(opened)

    # (ii) the projection alone: a campaign replaying the store of (i).  It shares
    # the case id, org and kind strings with the store's events.
    gc.collect()
    start = CLOCK()
    campaign = Campaign(policy, store, population=nat.population, people=[dept])
    out["replay_seconds"] = CLOCK() - start
    gc.collect()
    assert len(campaign.cases(open_only=True)) == open_cases
    del campaign
    _, out["projection"] = _traced(
        lambda: Campaign(policy, store, population=nat.population, people=[dept]))
    out["store"] = out["open_total"] - out["projection"]
    sample = [e for _, e in zip(range(10_000), store.replay(), strict=False)]
    out["id_strings"] = sum(sys.getsizeof(e.stream) for e in sample) / len(sample)
    openings = [e for e in sample if isinstance(e, CaseOpened)]
    out["org_strings"] = sum(sys.getsizeof(e.org) for e in openings) / max(len(openings), 1)
    return out


def bench_midlife(policy: Policy, nat: Any, result: Any, cases: list[tuple[str, str, bool]],
                  actors: Actors) -> tuple[int, int, int]:
    """Projection bytes per case once every case is supported with a plan and a report.

    Returns (cases, projection bytes, store events).
    """
    campaign = Campaign(policy, population=nat.population, people=actors.people(len(cases)))
    campaign.open_cases(result, actor=actors.dept, on=date(YEAR, 2, 1))
    for k, phase in enumerate(_phased(policy, actors, cases)):
        cmds = [BulkCommand(c, cid, f"m{k}:{cid}", args) for c, cid, _, _, args in phase
                if c in ("file_plan", "assign_support", "record_report")]
        if not cmds:
            break
        out = run_bulk(campaign, cmds, actor=actors.dept, on=phase[0][3])
        assert not out.refused, next(iter(out.refused.values()))
    assert all(c.state == "supported" and c.resolved for c in campaign.cases())
    store = campaign.store
    _, projection = _traced(
        lambda: Campaign(policy, store, population=nat.population,
                         people=actors.people(len(cases))))
    return len(campaign.cases()), projection, len(store)


def _sizeof_open_case(policy: Policy) -> int:
    """Shallow bytes of one freshly opened ``CaseRecord`` (for the method note)."""
    event = CaseOpened(stream=f"{YEAR}-0000001", version=1, actor="OD-1", on=date(YEAR, 2, 1),
                       policy=policy.fingerprint(), command="c", org="0000001", year=YEAR,
                       kind="village", rules=("grade_d",), score=55.0)
    from rectify.lifecycle.projection import apply_event

    record = apply_event(None, event, {})
    return sys.getsizeof(record)


# -- main ------------------------------------------------------------------------------


def _rate(n: int, secs: float) -> str:
    return f"{n / secs:,.0f}" if secs > 0 else "-"


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - a script's straight line
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20_000,
                        help="cases driven through the facade, transitions and fire")
    parser.add_argument("--bulk-cases", type=int, default=500_000,
                        help="cases driven through the tables (a) and (b)")
    parser.add_argument("--open-cases", type=int, default=525_000,
                        help="cases opened for the memory measurement")
    parser.add_argument("--repeat", type=int, default=3, help="keep the best of R runs")
    parser.add_argument("--seed", type=int, default=2024, help="generator seed")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of the facade path")
    parser.add_argument("--skip-memory", action="store_true", help="skip part 3")
    args = parser.parse_args(argv)

    policy = load_policy("northern-county")
    policy.fingerprint()
    print(f"python {platform.python_version()}, {platform.machine()}, "
          f"repeat {args.repeat} (best kept)")

    t = CLOCK()
    nat, result, cases = _setup_facade(policy, args.cases, args.seed)
    print(f"setup: {len(nat.population):,} organizations, {len(cases):,} listed cases "
          f"({sum(f for _, _, f in cases):,} fail verification once), "
          f"{CLOCK() - t:.1f} s")

    # 1. engines
    rows = bench_engines(len(cases), args.bulk_cases, args.repeat, policy, nat.population)
    base_a = rows[0][1] / rows[0][2]
    base_c = rows[2][1] / rows[2][2]
    print(f"\n1. workflow engine ({args.bulk_cases:,} cases for (a)/(b), "
          f"{len(cases):,} for (c)/(d))")
    print(f"{'engine':44} {'transitions':>12} {'seconds':>8} {'per second':>13} "
          f"{'us each':>8} {'vs (a)':>7} {'vs (c)':>7}")
    for label, moves, secs in rows:
        rate = moves / secs
        print(f"{label:44} {moves:12,} {secs:8.3f} {rate:13,.0f} {secs / moves * 1e6:8.3f} "
              f"{rate / base_a:7.3f} {rate / base_c:7.1f}")
    bulk_rate = rows[1][1] / rows[1][2]

    # 2. the facade
    actors = _actors(policy)
    best_secs = float("inf")
    open_secs = float("inf")
    commands = moves = 0
    for _ in range(args.repeat):
        gc.collect()
        _, commands, moves, secs = run_facade(policy, nat, result, cases, actors)
        best_secs = min(best_secs, secs)
        open_secs = min(open_secs, run_facade.open_seconds)  # type: ignore[attr-defined]
    bulk_best = float("inf")
    bulk_commands = bulk_moves = 0
    for _ in range(args.repeat):
        gc.collect()
        _, bulk_commands, bulk_moves, secs = run_bulk_path(policy, nat, result, cases, actors)
        bulk_best = min(bulk_best, secs)
    print(f"\n2. commands on {len(cases):,} cases, in-memory store "
          f"(open_cases: {open_secs:.2f} s, {_rate(len(cases), open_secs)} cases/s)")
    print(f"{'path':44} {'commands':>9} {'trans.':>8} {'seconds':>8} {'commands/s':>11} "
          f"{'trans./s':>9} {'us/cmd':>7}")
    for label, n, m, secs in (("one at a time through Campaign", commands, moves, best_secs),
                              ("run_bulk, one batch per phase", bulk_commands, bulk_moves,
                               bulk_best)):
        print(f"{label:44} {n:9,} {m:8,} {secs:8.2f} {_rate(n, secs):>11} "
              f"{_rate(m, secs):>9} {secs / n * 1e6:7.1f}")
    facade_rate = moves / best_secs
    if args.profile:
        print("\ncProfile of the one-at-a-time commands (own time, then cumulative):")
        print(profile_facade(policy, nat, result, cases, actors))

    # 3. memory
    gc.collect()
    mid_cases, mid_bytes, mid_events = bench_midlife(policy, nat, result, cases, actors)
    del nat, result
    mem: dict[str, Any] | None = None
    if not args.skip_memory:
        gc.collect()
        mem = bench_memory(policy, args.open_cases, args.seed)
        n = mem["cases"]
        print(f"\n3. memory per open case ({n:,} cases opened; open_cases "
              f"{mem['open_seconds']:.1f} s, {_rate(n, mem['open_seconds'])} cases/s; "
              f"replay {mem['replay_seconds']:.1f} s)")
        print(f"{'what':58} {'MB':>8} {'bytes/case':>11}")
        for label, key in (
                ("(i) open_cases: store + projection (tracemalloc)", "open_total"),
                ("(i) open_cases: store + projection (RSS growth)", "open_rss"),
                ("(ii) the campaign projection alone (tracemalloc)", "projection"),
                ("(i) - (ii): the MemoryStore (events, indexes, ids)", "store")):
            print(f"{label:58} {mem[key] / 1e6:8.1f} {mem[key] / n:11.0f}")
        print(f"  a fresh CaseRecord: {_sizeof_open_case(policy)} bytes shallow; the case id "
              f"string {mem['id_strings']:.0f} and org string {mem['org_strings']:.0f} bytes "
              "are shared with the store's events here")
    print(f"  mid-life ({mid_cases:,} cases supported, plan filed, problems resolved; "
          f"{mid_events:,} events): projection {mid_bytes / mid_cases:.0f} bytes/case "
          "(tracemalloc)")

    print("\ntargets:")
    print(f"  bulk path >= {TARGET_BULK:,} transitions/s: {bulk_rate:,.0f} -> "
          f"{'met' if bulk_rate >= TARGET_BULK else 'MISSED'}")
    print(f"  facade >= {TARGET_FACADE:,} transitions/s: {facade_rate:,.0f} -> "
          f"{'met' if facade_rate >= TARGET_FACADE else 'MISSED'}")
    if mem is not None:
        per = mem["projection"] / mem["cases"]
        print(f"  projection <= {TARGET_BYTES_PER_CASE} bytes per open case: {per:.0f} -> "
              f"{'met' if per <= TARGET_BYTES_PER_CASE else 'MISSED'}"
              f" (with the store: {mem['open_total'] / mem['cases']:.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
