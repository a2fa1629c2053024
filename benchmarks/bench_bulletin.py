"""Benchmark: the annual bulletin from the read models against the old whole-ledger replay.

Builds one national year at ``--scale`` on a `SQLiteStore` (identification,
openings and every case's path through `rectify.bulk.run_bulk`, as
``benchmarks/national_year.py`` does; setup, not timed), then times in the
same process:

- **read models**: `rectify.reporting.bulletin.bulletin()` (the cases as
  columns of their heads, the overdue trend as a ``GROUP BY`` over the dated
  steps, the failed verifications read by position, case records decoded only
  for the named list);
- **replay** (the anchor): the same bulletin from a replay of the whole ledger
  (``_replay_facts``, the implementation the read models replaced);

for the annual bulletin on the year's last day and, with ``--mid-year``, a
half-year bulletin on 30 June (many cases have later events: their streams are
re-read).  Each pair is checked to give identical tables.  The best of
``--repeat`` runs is kept (wall and CPU seconds, `time.process_time`, each
the best of its own); the one-minute load average is printed with each.

Usage::

    .venv/bin/python benchmarks/bench_bulletin.py [--scale 0.01] [--repeat 3] [--mid-year]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lifecycle import FAIL_SHARE, YEAR, _actors
from national import NATIONAL_SIZE, national
from national_year import batches
from rectify import Campaign, Policy, SQLiteStore, load_policy
from rectify.bulk import run_bulk
from rectify.identify import AssessmentColumns, identify
from rectify.reporting.bulletin import Bulletin, _bulletin, _read_model_facts, _replay_facts

#: Full-scale target for the annual bulletin from the read models (issue 12).
TARGET_SECONDS = 2.0


def build(scale: float, seed: int, workdir: str) -> Campaign:
    """A campaign on SQLite holding one national year at ``scale`` (every case's path)."""
    size = max(1_000, round(NATIONAL_SIZE * scale))
    policy: Policy = load_policy("northern-county")
    nat = national(size, seed=seed, year=YEAR)
    records = AssessmentColumns.of(nat.population, nat.assessments, YEAR)
    columns = AssessmentColumns(YEAR, np.asarray(records.totals, dtype=np.float64))
    del records, nat.assessments[:]
    actors = _actors(policy)
    identification = identify(nat.population, columns, policy, YEAR)
    listed = identification.listed()
    store = SQLiteStore(Path(workdir) / "ledger.db")
    campaign = Campaign(policy, store, population=nat.population,
                        people=actors.people(len(listed)))
    campaign.open_cases(identification, actor=actors.dept, on=date(YEAR, 2, 1))
    rng = random.Random(seed)
    required = policy.support.required
    cases = [(f"{YEAR}-{d.org}", tuple(required[d.kind]), rng.random() < FAIL_SHARE)
             for d in listed]
    k = 0
    while work := list(batches(k, cases, actors)):
        for _, actor, on, cmds in work:
            out = run_bulk(campaign, cmds, actor=actor, on=on)
            assert not out.refused, next(iter(out.refused.values()))
        k += 1
    return campaign


def best(step: Callable[[], Bulletin], repeat: int) -> tuple[float, float, Bulletin]:
    """The fastest of ``repeat`` runs of ``step`` (wall and CPU seconds) and its result."""
    walls: list[float] = []
    cpus: list[float] = []
    result: Bulletin | None = None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = step()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    assert result is not None
    return min(walls), min(cpus), result


def compare(campaign: Campaign, period: str, on: date, repeat: int) -> dict[str, Any]:
    """Time the bulletin from the read models and from the replay; check they agree."""
    options: dict[str, Any] = {"period": period, "on": on, "county": None, "kind": None,
                               "year": None, "issued": None, "audience": "internal",
                               "settings": None}
    fast, fast_cpu, made = best(lambda: _bulletin(campaign, _read_model_facts, **options),
                                repeat)
    load_fast = os.getloadavg()[0]
    slow, slow_cpu, reference = best(lambda: _bulletin(campaign, _replay_facts, **options),
                                     max(1, repeat // 2))
    load_slow = os.getloadavg()[0]
    assert made.to_dict() == reference.to_dict(), "the read models disagree with the replay"
    return {"period": period, "on": on.isoformat(), "read_models": fast,
            "read_models_cpu": fast_cpu, "replay": slow, "replay_cpu": slow_cpu,
            "ratio": slow_cpu / fast_cpu, "rows": sum(len(t.rows) for t in made.tables),
            "load": (load_fast, load_slow)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.01,
                        help="share of the national population (0.01, 0.1 or 1)")
    parser.add_argument("--seed", type=int, default=2024, help="generator seed")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best kept)")
    parser.add_argument("--mid-year", action="store_true",
                        help="also a half-year bulletin on 30 June (cases with later events)")
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"{date.today().isoformat()}")
    with tempfile.TemporaryDirectory(prefix="rectify-bulletin-") as workdir:
        start = time.perf_counter()
        campaign = build(args.scale, args.seed, workdir)
        cases = len(campaign.store.cases())
        print(f"setup (not timed): {time.perf_counter() - start:.1f} s; "
              f"{len(campaign.population):,} organizations, {cases:,} cases, "
              f"{len(campaign.store):,} events")
        runs = [("annual", date(YEAR, 12, 31))]
        if args.mid_year:
            runs.append(("half_yearly", date(YEAR, 6, 30)))
        print(f"{'bulletin':12} {'on':10} {'read models s (cpu)':>20} "
              f"{'replay s (cpu)':>16} {'cpu ratio':>9} {'rows':>7} {'load':>11}")
        for period, on in runs:
            r = compare(campaign, period, on, args.repeat)
            print(f"{period:12} {r['on']:10} {r['read_models']:9.3f} ({r['read_models_cpu']:.3f})"
                  f" {r['replay']:7.2f} ({r['replay_cpu']:.2f}) {r['ratio']:9.1f} "
                  f"{r['rows']:7,} {r['load'][0]:5.2f}/{r['load'][1]:5.2f}")
            if period == "annual":
                scaled = r["read_models_cpu"] / args.scale
                print(f"  CPU scaled linearly to full size: {scaled:.1f} s "
                      f"(target <= {TARGET_SECONDS:.0f} s)")
        store = campaign.store
        assert isinstance(store, SQLiteStore)
        store.close()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
