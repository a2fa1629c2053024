"""Benchmark: memory held per open case by a campaign on the memory store.

One generated population (``benchmarks/national.py``) is identified and its
listed organizations opened as cases on a `MemoryStore`; then every case
gets its plan and its supporters (``rectify.bulk.run_bulk``, as in
``benchmarks/national_year.py``), so each is open with the events of a case
in mid-year.  `tracemalloc` measures what the campaign holds after each step
against what it held before the cases were opened, and attributes it to the
source lines that allocated it, so the share of the read models (the current
`CaseRecord` of every case, support loads, listings) and of the ledger (one
event object, its stored bytes and hashes per event) can be told apart.

The target (issue 12): at most 1 KB per open case.

Usage::

    .venv/bin/python benchmarks/bench_memory.py [--size N] [--seed S] [--top K]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tracemalloc
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lifecycle import YEAR, _actors
from national import national
from national_year import batches
from rectify import Campaign, load_policy
from rectify.bulk import run_bulk
from rectify.identify import AssessmentColumns, identify

TARGET_BYTES_PER_CASE = 1024


def _held(since: tracemalloc.Snapshot) -> tuple[int, Counter[str]]:
    """Bytes allocated since ``since`` and still held, in total and per source file."""
    gc.collect()
    now = tracemalloc.take_snapshot()
    total = 0
    by_file: Counter[str] = Counter()
    for stat in now.compare_to(since, "filename"):
        total += stat.size_diff
        name = stat.traceback[0].filename
        marker = "/rectify/"
        short = name[name.index(marker) + 1:] if marker in name else Path(name).name
        by_file[short] += stat.size_diff
    return total, by_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=200_000, help="organizations")
    parser.add_argument("--seed", type=int, default=2024, help="generator seed")
    parser.add_argument("--top", type=int, default=8, help="source files shown per step")
    args = parser.parse_args(argv)

    policy = load_policy("northern-county")
    policy.fingerprint()
    nat = national(args.size, seed=args.seed, year=YEAR)
    records = AssessmentColumns.of(nat.population, nat.assessments, YEAR)
    columns = AssessmentColumns(YEAR, np.asarray(records.totals, dtype=np.float64))
    del records, nat.assessments[:]
    actors = _actors(policy)
    result = identify(nat.population, columns, policy, YEAR)
    listed = result.listed()
    required = policy.support.required
    cases = [(f"{YEAR}-{d.org}", tuple(required[d.kind]), False) for d in listed]
    del listed
    campaign = Campaign(policy, population=nat.population, people=actors.people(len(cases)))
    gc.collect()
    tracemalloc.start(1)
    before = tracemalloc.take_snapshot()
    campaign.open_cases(result, actor=actors.dept, on=date(YEAR, 2, 1))
    store = campaign.store
    steps = [("opened", len(store), _held(before))]
    for k in range(1 + max(len(levels) for _, levels, _ in cases)):  # the plan, the supporters
        for command, actor, on, cmds in batches(k, cases, actors):
            refused = run_bulk(campaign, cmds, actor=actor, on=on).refused
            assert not refused, (command, next(iter(refused.values())))
        del cmds
    steps.append(("planned and supported", len(store), _held(before)))
    tracemalloc.stop()
    n = len(cases)
    print(f"{args.size:,} organizations, {n:,} open cases on the memory store (each "
          "supporter takes as many cases as the policy's cap allows)")
    for name, events, (total, by_file) in steps:
        per_case = total / n
        print(f"\n{name}: {total / 1e6:.1f} MB held, {per_case:,.0f} bytes per open case "
              f"(target <= {TARGET_BYTES_PER_CASE:,}: "
              f"{'met' if per_case <= TARGET_BYTES_PER_CASE else 'MISSED'}); "
              f"{events / n:.1f} events per case, {total / events:,.0f} bytes per event")
        for where, size in by_file.most_common(args.top):
            print(f"  {size / n:8,.0f} B/case  {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
