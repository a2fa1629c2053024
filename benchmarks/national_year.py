"""Benchmark: a whole national year, end to end, on a durable ledger.

At a chosen scale of the national population (``--scale 0.01``, ``0.1`` or
``1``; 5.25 million organizations at 1), one process runs the year the way a
national deployment would, phase by phase:

1. **identify**: annual identification from columns (`AssessmentColumns`,
   totals as a NumPy array), with the listed decisions and their reasons;
2. **open**: `Campaign.open_cases` for every listed organization, on a
   `SQLiteStore` in a temporary directory (``--store memory``: a `MemoryStore`,
   to measure the commands without a database);
3. **plan**, **support**, **reports**, **verification**, **delisting**: every
   case's path (as in ``benchmarks/bench_lifecycle.py``: a plan, one support
   assignment per level its kind requires, a progress report, a verification
   request and result, a fifth failing once and going round again, then
   delisting) sent through `rectify.bulk.run_bulk`, one batch per step, actor
   and date;
4. **chain verify**: `rectify.stores.chain.verify` over the whole ledger;
5. **bulletin**: the annual bulletin's rows (`rectify.reporting.bulletin`).

Each phase is timed with the resident high-water mark reset before it
(``VmHWM`` through ``/proc/self/clear_refs``; elsewhere the lifetime peak of
``getrusage`` is shown and flagged), and the one-minute load average is taken
after it.  Generating the population is setup, reported but not part of the
year.  Results are printed as a table and, with ``--out``, written as JSON.

Usage::

    .venv/bin/python benchmarks/national_year.py [--scale 0.01] [--seed S] [--store sqlite|memory]
        [--out FILE]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import measure
from bench_lifecycle import DAYS, FAIL_SHARE, FAIL_VOTES, PASS_VOTES, PLAN, YEAR, Actors, _actors
from national import NATIONAL_SIZE, national
from rectify import Campaign, MemoryStore, Policy, SQLiteStore, load_policy
from rectify.bulk import BulkCommand, run_bulk
from rectify.identify import AssessmentColumns, identify
from rectify.reporting.bulletin import bulletin
from rectify.stores.chain import verify

TARGET_SECONDS = 60.0
TARGET_BYTES = 4 * 1024**3

#: The phase each command belongs to.
PHASE_OF = {
    "file_plan": "plan",
    "assign_support": "support",
    "record_report": "reports",
    "request_verification": "verification",
    "record_verification": "verification",
    "delist": "delisting",
}

Step = tuple[str, Any, date, dict[str, Any]]  # command, actor, date, arguments


def command_at(k: int, index: int, case: str, levels: tuple[str, ...], fails: bool,  # noqa: PLR0911
               actors: Actors) -> Step | None:
    """The ``k``-th command of one case's path, or ``None`` once the path is done."""
    dept = actors.dept
    if k == 0:
        return "file_plan", dept, DAYS[0], {"plan": PLAN}
    if k <= len(levels):
        level = levels[k - 1]
        # each supporter takes as many cases as the policy's caps allow
        return "assign_support", dept, DAYS[1], {
            "level": level, "person": actors.supporter(level, index)}
    rounds = 2 if fails else 1
    r, m = divmod(k - len(levels) - 1, 3)
    if r == rounds and m == 0:
        return "delist", dept, DAYS[10], {}
    if r >= rounds:
        return None
    if m == 0:
        return "record_report", dept, DAYS[2 + 3 * r], {
            "kind": "progress", "month": f"{YEAR}-0{5 + r}",
            "resolved": ("team_incomplete", "rules_not_kept")}
    if m == 1:
        return "request_verification", dept, DAYS[3 + 3 * r], {}
    last = r == rounds - 1
    return "record_verification", actors.verifier, DAYS[4 + 3 * r], {
        "score": 85.0 if last else 55.0, "votes": PASS_VOTES if last else FAIL_VOTES,
        "team": actors.team}


def batches(k: int, cases: list[tuple[str, tuple[str, ...], bool]], actors: Actors
            ) -> Iterator[tuple[str, Any, date, list[BulkCommand]]]:
    """Step ``k`` of every case, as batches of one command name, actor and date."""
    groups: dict[tuple[str, str, date], tuple[Any, list[BulkCommand]]] = {}
    for index, (case, levels, fails) in enumerate(cases):
        step = command_at(k, index, case, levels, fails, actors)
        if step is None:
            continue
        command, actor, on, args = step
        key = (command, actor.id, on)
        if key not in groups:
            groups[key] = (actor, [])
        groups[key][1].append(BulkCommand(command, case, f"y{k}:{case}", args))
    for (command, _, on), (actor, cmds) in groups.items():
        yield command, actor, on, cmds


def _gb(n: int) -> str:
    return f"{n / 1024**3:.2f}"


def run(scale: float, seed: int, workdir: str, *, backend: str = "sqlite"  # noqa: PLR0915
        ) -> dict[str, Any]:
    """The whole year at ``scale``; the phases' measurements and the run's facts."""
    size = max(1_000, round(NATIONAL_SIZE * scale))
    policy: Policy = load_policy("northern-county")
    policy.fingerprint()
    start = time.perf_counter()
    nat = national(size, seed=seed, year=YEAR)
    records = AssessmentColumns.of(nat.population, nat.assessments, YEAR)
    columns = AssessmentColumns(YEAR, np.asarray(records.totals, dtype=np.float64))
    del records
    setup = time.perf_counter() - start
    del nat.assessments[:]  # the year reads the columns; the records only cost memory
    actors = _actors(policy)
    phases: list[dict[str, Any]] = []

    def timed(name: str, step: Callable[[], Any], commands: int = 0) -> Any:
        m = measure(step)
        phases.append({"phase": name, "seconds": m.seconds, "cpu_seconds": m.cpu,
                       "commands": commands,
                       "peak_rss": m.peak, "above_before": m.above, "exact_peak": m.exact,
                       "load_1min": os.getloadavg()[0]})
        return m.result

    def identified() -> Any:
        result = identify(nat.population, columns, policy, YEAR)
        listed = result.listed()
        assert sum(len(r.render()) for d in listed for r in d.reasons)
        return result, listed

    identification, listed = timed("identify", identified)
    store = (SQLiteStore(Path(workdir) / "ledger.db") if backend == "sqlite"
             else MemoryStore())
    campaign = Campaign(policy, store, population=nat.population,
                        people=actors.people(len(listed)))

    def opened() -> Any:
        return campaign.open_cases(identification, actor=actors.dept, on=date(YEAR, 2, 1))

    timed("open", opened, len(listed))
    rng = random.Random(seed)
    required = policy.support.required
    cases = [(f"{YEAR}-{d.org}", tuple(required[d.kind]), rng.random() < FAIL_SHARE)
             for d in listed]
    del listed
    # Every step of every path, one batch per command name, actor and date, in step order;
    # each batch's time goes to its command's phase.
    refused = 0
    k = 0
    while True:
        work = list(batches(k, cases, actors))
        if not work:
            break
        for command, actor, on, cmds in work:
            out = timed(PHASE_OF[command],
                        functools.partial(run_bulk, campaign, cmds, actor=actor, on=on),
                        len(cmds))
            refused += len(out.refused)
            assert not out.refused, next(iter(out.refused.values()))
        k += 1
    del cases
    report = timed("chain verify", lambda: verify(store))
    assert report.ok, report
    events = len(store)
    annual = timed("bulletin", lambda: bulletin(campaign, period="annual",
                                                on=date(YEAR, 12, 31)))
    rows = sum(len(t.rows) for t in annual.tables)

    # Merge the batches of a phase: seconds and commands add up, peaks take the maximum.
    merged: dict[str, dict[str, Any]] = {}
    for p in phases:
        into = merged.setdefault(p["phase"], {**p, "seconds": 0.0, "cpu_seconds": 0.0,
                                              "commands": 0, "batches": 0})
        into["seconds"] += p["seconds"]
        into["cpu_seconds"] += p["cpu_seconds"]
        into["commands"] += p["commands"]
        into["batches"] += 1
        into["peak_rss"] = max(into["peak_rss"], p["peak_rss"])
        into["above_before"] = max(into["above_before"], p["above_before"])
        into["load_1min"] = max(into["load_1min"], p["load_1min"])
    ledger_bytes = sum(f.stat().st_size for f in Path(workdir).iterdir())
    return {
        "scale": scale, "organizations": size, "seed": seed, "store": backend,
        "listed": next(p for p in phases if p["phase"] == "open")["commands"],
        "commands": sum(p["commands"] for p in phases if p["phase"] in PHASE_OF.values()),
        "events": events, "bulletin_rows": rows, "ledger_bytes": ledger_bytes,
        "setup_seconds": setup, "refused": refused,
        "total_seconds": sum(p["seconds"] for p in phases),
        "total_cpu_seconds": sum(p["cpu_seconds"] for p in phases),
        "peak_rss": max(p["peak_rss"] for p in phases),
        "phases": list(merged.values()),
        "python": platform.python_version(), "machine": platform.machine(),
        "cores": os.cpu_count(), "date": date.today().isoformat(),
        "load_average_end": list(os.getloadavg()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.01,
                        help="share of the national population (0.01, 0.1 or 1)")
    parser.add_argument("--seed", type=int, default=2024, help="generator seed")
    parser.add_argument("--store", choices=("sqlite", "memory"), default="sqlite",
                        help="the ledger: a SQLite file (the default) or the memory store")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="rectify-year-") as workdir:
        out = run(args.scale, args.seed, workdir, backend=args.store)
    print(f"python {out['python']}, {out['cores']} cores; {out['organizations']:,} "
          f"organizations (generated in {out['setup_seconds']:.1f} s, not counted), "
          f"{out['listed']:,} listed, {out['commands']:,} commands, {out['events']:,} events, "
          f"ledger {out['ledger_bytes'] / 1e6:.0f} MB, {out['bulletin_rows']:,} bulletin rows")
    print(f"{'phase':14} {'seconds':>8} {'cpu s':>7} {'commands':>10} {'per second':>11} "
          f"{'cpu us/cmd':>10} {'batches':>8} {'peak GB':>8} {'above GB':>9} {'load':>5}")
    for p in out["phases"]:
        rate = f"{p['commands'] / p['seconds']:,.0f}" if p["commands"] else ""
        per = f"{1e6 * p['cpu_seconds'] / p['commands']:.1f}" if p["commands"] else ""
        print(f"{p['phase']:14} {p['seconds']:8.2f} {p['cpu_seconds']:7.2f} {p['commands']:10,} "
              f"{rate:>11} {per:>10} "
              f"{p['batches']:8} {_gb(p['peak_rss']):>8} {_gb(p['above_before']):>9} "
              f"{p['load_1min']:5.2f}{'' if p['exact_peak'] else ' (lifetime peak)'}")
    scale_up = 1 / args.scale
    print(f"total {out['total_seconds']:.1f} s ({out['total_cpu_seconds']:.1f} s of CPU), "
          f"peak {_gb(out['peak_rss'])} GB; "
          f"target <= {TARGET_SECONDS:.0f} s and <= 4 GB at full scale "
          + ("(time scaled linearly: " f"{out['total_seconds'] * scale_up:.0f} s)"
             if args.scale != 1 else
             f"-> time {'met' if out['total_seconds'] <= TARGET_SECONDS else 'MISSED'}, "
             f"memory {'met' if out['peak_rss'] <= TARGET_BYTES else 'MISSED'}"))
    if args.out:
        args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
