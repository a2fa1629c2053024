"""Benchmark: what-if comparison and multi-year simulation (``rectify.simulate``).

Measures, in one run:

a. the sample county: one identification, ``compare`` of northern-county and
   national-practice, and ``simulate`` of 200 runs x 3 years (target <= 10 s);
b. a generated population of national shape (``benchmarks/national.py``,
   ``--national-size``, 5.25 million by default): one identification with
   the listed decisions' reasons (the work an official's report needs, as in
   ``bench_identify.py``), then ``compare`` of the same two policies on the
   same columns, and the ratio (target: compare within 2.5x one
   identification, measured in the same run);
c. a province (``--province-size``, 250,000 by default): ``simulate`` of
   ``--province-runs`` runs (20) x ``--years`` years (3) through the
   campaign and the bulk path on the memory store (target <= 5 minutes at
   250,000 x 20 x 3; smaller sizes are scaled linearly for the check).

Peak memory is the kernel's high-water mark, as in the other benchmarks.

Usage::

    .venv/bin/python benchmarks/bench_simulate.py [--national-size N] [--province-size N]
        [--province-runs R] [--years Y] [--sample-runs R] [--skip-national] [--skip-province]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import measure
from national import NATIONAL_SIZE, national
from rectify import Policy, Population, load_policy
from rectify.identify import AssessmentColumns, identify
from rectify.sample import sample_assessments, sample_population
from rectify.simulate import compare, simulate

SAMPLE_TARGET = 10.0
PROVINCE_SIZE = 250_000
PROVINCE_TARGET = 300.0
RATIO_TARGET = 2.5


def _gb(n: int) -> str:
    return f"{n / 1024**3:.2f} GB"


def _identify_with_reasons(population: Population, columns: AssessmentColumns,
                           policy: Policy) -> int:
    result = identify(population, columns, policy, columns.year)
    return sum(len(r.render()) for d in result.listed() for r in d.reasons)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--national-size", type=int, default=NATIONAL_SIZE)
    parser.add_argument("--province-size", type=int, default=PROVINCE_SIZE)
    parser.add_argument("--province-runs", type=int, default=20)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--sample-runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--skip-province", action="store_true")
    args = parser.parse_args(argv)
    a, b = load_policy("northern-county"), load_policy("national-practice")
    a.fingerprint(), b.fingerprint()
    print(f"python {platform.python_version()}, {os.cpu_count()} cpu(s), load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    # a. the sample county
    population, rows = sample_population(), sample_assessments()
    one = measure(lambda: identify(population, rows, a, 2017))
    cmp = measure(lambda: compare(a, b, population, rows, 2017))
    sim = measure(lambda: simulate(a, population, rows, years=args.years, runs=args.sample_runs,
                                   seed=args.seed))
    print(f"sample county: identify {one.seconds * 1000:.1f} ms, compare "
          f"{cmp.seconds * 1000:.1f} ms ({len(cmp.result.changes)} changed verdicts), "
          f"simulate {args.sample_runs} runs x {args.years} years {sim.seconds:.2f} s "
          f"({sim.seconds / (args.sample_runs * args.years) * 1000:.1f} ms per run-year; "
          f"target <= {SAMPLE_TARGET:.0f} s: "
          f"{'met' if sim.seconds <= SAMPLE_TARGET else 'MISSED'})")

    # b. national-scale compare against one identification in the same run
    if not args.skip_national:
        start = time.perf_counter()
        nat = national(args.national_size, seed=args.seed)
        columns = AssessmentColumns.of(nat.population, nat.assessments, nat.year)
        del nat.assessments[:]
        print(f"national shape: {args.national_size:,} organizations generated in "
              f"{time.perf_counter() - start:.1f} s")
        base = measure(lambda: _identify_with_reasons(nat.population, columns, a))
        both = measure(lambda: compare(a, b, nat.population, columns, nat.year))
        result = both.result
        read = measure(lambda: sum(len(c.a.reasons) + len(c.b.reasons) for c in result.changes))
        ratio = both.seconds / base.seconds
        print(f"  identify + listed reasons {base.seconds:.2f} s (peak {_gb(base.peak)}); "
              f"compare {both.seconds:.2f} s (peak {_gb(both.peak)}), "
              f"{len(result.changes):,} changed verdicts, listed "
              f"{result.consequences_a.listed:,} -> {result.consequences_b.listed:,}")
        print(f"  reading both decisions of every change afterwards {read.seconds:.2f} s "
              f"(the unlisted side is built on first access); together "
              f"{(both.seconds + read.seconds) / base.seconds:.2f}x")
        print(f"  compare / one identification: {ratio:.2f}x (target <= {RATIO_TARGET}x: "
              f"{'met' if ratio <= RATIO_TARGET else 'MISSED'})")
        del nat, columns, result, both, read

    # c. a province through the bulk path
    if not args.skip_province:
        start = time.perf_counter()
        prov = national(args.province_size, seed=args.seed + 1)
        columns = AssessmentColumns.of(prov.population, prov.assessments, prov.year)
        print(f"province: {args.province_size:,} organizations generated in "
              f"{time.perf_counter() - start:.1f} s")
        one_year = measure(lambda: identify(prov.population, columns, a, prov.year))
        run = measure(lambda: simulate(a, prov.population, columns, years=args.years,
                                       runs=args.province_runs, seed=args.seed))
        cases = sum(s.listings for r in run.result.runs for s in r)
        scale = (PROVINCE_SIZE / args.province_size) * (20 / args.province_runs) \
            * (3 / args.years)
        print(f"  identify {one_year.seconds:.2f} s; simulate {args.province_runs} runs x "
              f"{args.years} years {run.seconds:.1f} s (peak {_gb(run.peak)}), {cases:,} cases "
              f"({run.seconds / cases * 1e6:.0f} us per case; one run-year = "
              f"{run.seconds / (args.province_runs * args.years) / one_year.seconds:.1f}x one "
              f"identification)")
        scaled = run.seconds * scale
        print(f"  target <= {PROVINCE_TARGET:.0f} s at {PROVINCE_SIZE:,} x 20 x 3: "
              f"{'met' if scaled <= PROVINCE_TARGET else 'MISSED'}"
              + ("" if scale == 1 else f" (scaled linearly: {scaled:.0f} s)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
