"""Benchmark: annual identification of a national population.

Measures, in one run on one generated population (``benchmarks/national.py``):

a. ``identify`` plus materialising the reasons of every listed decision and
   the near misses (the work an official's report needs);
b. materialising every decision of the population (5.25 million at national
   size), each with its reasons, without keeping them;
c. the peak resident memory of step (a), absolute and above the process's
   resident size before it (the population, its assessments and the
   interpreter); step (b) is reported likewise;
d. a naive baseline in the same run: group by kind, sort by score, take the
   quota (no direct criteria, no ties, no reasons), and the ratio of (a) to it.

Peak memory is the kernel's high-water mark (``VmHWM``), reset before each
step through ``/proc/self/clear_refs``; where that is unavailable, the
process's lifetime peak (``ru_maxrss``) is reported instead and flagged.

Usage::

    .venv/bin/python benchmarks/bench_identify.py [--size N] [--seed S] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import sys
import time
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import measure, status
from national import NATIONAL_SIZE, National, national
from rectify import Assessment, Policy, Population, load_policy
from rectify.identify import AssessmentColumns, identify

T = TypeVar("T")
TARGET_SECONDS = 10.0
TARGET_BYTES = 4 * 1024**3


def _identify_with_reasons(nat: National, policy: Policy,
                           columns: AssessmentColumns | None = None) -> tuple[int, int, int]:
    result = identify(nat.population, columns or nat.assessments, policy, nat.year)
    listed = result.listed()
    reasons = sum(len(d.reasons) for d in listed)
    rendered = sum(len(r.render()) for d in listed for r in d.reasons)
    near = result.near_misses()
    return len(listed), len(near), reasons + (rendered > 0)


def _all_decisions(nat: National, policy: Policy) -> int:
    result = identify(nat.population, nat.assessments, policy, nat.year)
    start = time.perf_counter()
    count = 0
    for d in result:
        count += len(d.reasons)
    _all_decisions.seconds = time.perf_counter() - start  # type: ignore[attr-defined]
    return count


def naive(population: Population, assessments: list[Assessment], policy: Policy) -> int:
    """Group by kind, sort by score, take the quota: the floor any implementation pays."""
    score = {a.org: a.total for a in assessments}
    groups: dict[str, list[tuple[float, str]]] = {}
    for org in population:
        groups.setdefault(org.kind, []).append((score[org.code], org.code))
    listed = 0
    for kind, rows in groups.items():
        rows.sort()
        quota = math.ceil(policy.identification.quota[kind] * len(rows))
        listed += len(rows[:quota])
    return listed


def _gb(n: int) -> str:
    return f"{n / 1024**3:.2f} GB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=NATIONAL_SIZE, help="organizations")
    parser.add_argument("--seed", type=int, default=2024, help="generator seed")
    parser.add_argument("--repeat", type=int, default=1,
                        help="repeat the timed steps and report the best time")
    args = parser.parse_args(argv)

    policy = load_policy("northern-county")
    policy.fingerprint()  # computed once, outside the measurements
    start = time.perf_counter()
    base_rss = status("VmRSS")
    nat = national(args.size, seed=args.seed)
    gc.collect()
    setup = time.perf_counter() - start
    population_bytes = status("VmRSS") - base_rss
    print(f"python {platform.python_version()}, {args.size:,} organizations (seed {args.seed}), "
          f"generated in {setup:.1f} s, population + assessments {_gb(population_bytes)} resident")

    # The columnar input national deployments load from their database (setup, not timed).
    columns = AssessmentColumns.of(nat.population, nat.assessments, nat.year)
    best: dict[str, tuple[float, int, int, bool]] = {}
    listed = near = 0
    for _ in range(args.repeat):
        m = measure(lambda: _identify_with_reasons(nat, policy))
        listed, near, _ = m.result
        if "identify" not in best or m.seconds < best["identify"][0]:
            best["identify"] = (m.seconds, m.before, m.peak, m.exact)
        m = measure(lambda: _identify_with_reasons(nat, policy, columns))
        if "columns" not in best or m.seconds < best["columns"][0]:
            best["columns"] = (m.seconds, m.before, m.peak, m.exact)
        m = measure(lambda: naive(nat.population, nat.assessments, policy))
        if "naive" not in best or m.seconds < best["naive"][0]:
            best["naive"] = (m.seconds, m.before, m.peak, m.exact)
        m = measure(lambda: _all_decisions(nat, policy))
        secs = _all_decisions.seconds  # type: ignore[attr-defined]
        if "all" not in best or secs < best["all"][0]:
            best["all"] = (secs, m.before, m.peak, m.exact)

    ident, base, every = best["identify"], best["naive"], best["all"]
    rows = [
        ("identify + listed reasons + near misses", ident),
        ("same, assessments as columns", best["columns"]),
        ("naive per-kind sort (no reasons)", base),
        ("materialise every decision (after identify)", every),
    ]
    print(f"listed {listed:,} ({listed / args.size:.1%}), near misses {near:,}")
    print(f"{'step':46} {'seconds':>8} {'peak RSS':>10} {'above before':>13}")
    for name, (secs, before, peak, exact) in rows:
        flag = "" if exact else " (lifetime peak)"
        print(f"{name:46} {secs:8.2f} {_gb(peak):>10} {_gb(peak - before):>13}{flag}")
    ratio = ident[0] / base[0]
    per_org = every[0] / args.size * 1e6
    mem_ratio = (ident[2] - ident[1]) / population_bytes if population_bytes > 0 else float("nan")
    print(f"identify / naive: {ratio:.2f}x; every decision: {per_org:.2f} us each; "
          f"identify's extra memory / population: {mem_ratio:.2f}x")
    scale = NATIONAL_SIZE / args.size
    print(f"columns / naive: {best['columns'][0] / base[0]:.2f}x")
    ok_time = min(ident[0], best["columns"][0]) * scale <= TARGET_SECONDS
    ok_mem = ident[2] <= TARGET_BYTES if scale == 1 else True
    print(f"targets (<= {TARGET_SECONDS:.0f} s, <= 4 GB peak at {NATIONAL_SIZE:,}): "
          f"time {'met' if ok_time else 'MISSED'}"
          + ("" if scale == 1 else " (scaled linearly)")
          + f", memory {'met' if ok_mem else 'MISSED'}"
          + ("" if scale == 1 else " (only checked at national size)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
