"""Benchmark of the coverage checks (national year) and of the lottery and pairing (a province).

The national coverage is built from synthetic parts directly (a
:class:`rectify.coverage.Coverage`), not through a 525,000-case
:class:`rectify.Campaign`: the campaign path is measured by
``bench_lifecycle.py``, and the checks read the same snapshot either way.

Shape at ``--cases 525000``: 175,000 direct committees with three
second-tier branches each (700,000 organizations), 525,000 open cases on
random organizations with five support levels each (about 2.6 million
support edges; 0.5 % of cases miss one level), 600,000 cadres (120,000 per
support role, dealt round-robin: 4 or 5 cases each; one planted over the cap of 5),
400,000 secretaries in the people table, 20,000 verifiers (a fifth of the
cases verified by two of them, a few planted conflicts), a contact point for
every county leader, 100,000 agency units with 200,000 pairings and a
cross-assessment lottery over 2,800 counties.  That is about 1.02 million
people.

The province: 100 counties, 10,000 listed villages with random problem
types, 2,000 units of random department types with capacities 1-8.

Run ``.venv/bin/python benchmarks/bench_coverage.py`` (``--cases N`` for a
smaller run, ``--graph-cases N`` for the size of the networkx build measured).
"""

from __future__ import annotations

import argparse
import functools
import platform
import random
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

import attrs

from _measure import measure, status
from rectify import Organization, OrgForm, Person, Population, Tier, load_policy
from rectify.coverage import (
    CaseCoverage,
    ContactPoint,
    Coverage,
    Pairing,
    Unit,
    build_graph,
    check_all,
)
from rectify.coverage.assignment import cross_assessment_lottery, pair_units

LEVELS = ("leader_contact", "org_guidance", "paired_unit", "committee_supervisor",
          "first_secretary")
ROLES = ("county_leader", "org_department", "paired_unit", "committee_supervisor",
         "first_secretary")
DEPARTMENTS = ("party_government", "economic", "political_legal", "agricultural")
PROBLEMS = ("weak", "poor", "disorderly", "specialised")


def _measure(step: Callable[[], Any]) -> tuple[float, int, int, Any]:
    """Seconds, peak RSS and peak above the RSS before the step, and the step's result."""
    m = measure(step)
    return m.seconds, m.peak, m.above, m.result


def national_coverage(cases: int, seed: int) -> Coverage:
    """The synthetic national coverage described in the module docstring, scaled to ``cases``."""
    rng = random.Random(seed)
    committees = max(1, cases // 3)
    kinds = ("village", "community", "state_enterprise", "non_public", "agency", "institution")
    orgs: list[Organization] = []
    with attrs.validators.disabled():
        for i in range(committees):
            kind = kinds[i % len(kinds)]
            code = f"{i:07d}"
            orgs.append(Organization(code, f"第{i}党委", kind, Tier.DIRECT, OrgForm.COMMITTEE,
                                     secretary=f"S{code}", county=f"县{i % 2800}"))
            orgs.extend(Organization(f"{code}.{j}", f"第{i}党委第{j}支部", kind, Tier.SECOND_TIER,
                                     OrgForm.BRANCH, parent=code, secretary=f"S{code}.{j}",
                                     county=f"县{i % 2800}") for j in range(3))
    population = Population(orgs)
    cadres = max(1, cases * 120_000 // 525_000)
    verifiers = max(2, cases * 20_000 // 525_000)
    people = [Person(f"C{r}-{i}", f"干部{i}", {role}) for r, role in enumerate(ROLES)
              for i in range(cadres)]
    people += [Person(o.secretary or "", o.name, {"secretary"})
               for o in orgs[: cases * 400_000 // 525_000]]
    people += [Person(f"V{i}", f"验收{i}", {"verifier"}) for i in range(verifiers)]
    on = date(2025, 3, 1)
    chosen = rng.sample(range(len(orgs)), min(cases, len(orgs)))
    records: list[CaseCoverage] = []
    for n, index in enumerate(chosen):
        org = orgs[index]
        support = [(level, f"C{r}-{(n + 7 * r) % cadres}", on) for r, level in enumerate(LEVELS)]
        if n % 200 == 0:
            support.pop(rng.randrange(len(support)))  # planted: a missing level
        team: tuple[str, ...] = ()
        if n % 5 == 0:
            team = (f"V{rng.randrange(verifiers)}", f"V{rng.randrange(verifiers)}")
            if n % 50_000 == 0:
                team = (support[0][1],)  # planted: a supporter verifies
        records.append(CaseCoverage(f"2025-{org.code}", org.code, org.kind, 2025,
                                    "verifying" if team else "supported", tuple(support),
                                    team, on if team else None))
    for n in range(1, min(11, len(records))):  # planted: one cadre over the cap
        case = records[n]
        records[n] = attrs.evolve(case, support=(("leader_contact", "C0-0", on),
                                                 *case.support[1:]))
    contact = [ContactPoint(f"C0-{i}", f"县{i % 2800}", f"乡{i % 7}", on, 4 + i % 3)
               for i in range(cadres)]
    units = [Unit(f"U{i}", f"单位{i}", DEPARTMENTS[i % 4], 3) for i in range(cases // 5)]
    pairings = [Pairing(f"U{i // 2}", orgs[(i * 7) % len(orgs)].code, PROBLEMS[(i // 2) % 4], on)
                for i in range(2 * len(units))]
    lottery = cross_assessment_lottery([f"县{i}" for i in range(2800)], seed, period="2025Q1")
    return Coverage.of(population, records, people, units, contact, pairings, lottery)


def province(seed: int) -> tuple[list[str], dict[str, str], list[Unit]]:
    """100 counties, 10,000 listed villages and 2,000 units of a province."""
    rng = random.Random(seed)
    counties = [f"县{i:03d}" for i in range(100)]
    villages = {f"V{i:05d}": rng.choice(PROBLEMS) for i in range(10_000)}
    units = [Unit(f"U{i:04d}", f"单位{i}", rng.choice(DEPARTMENTS), rng.randint(1, 8))
             for i in range(2_000)]
    return counties, villages, units


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table; returns 0 when every target is met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=525_000)
    parser.add_argument("--graph-cases", type=int, default=52_500)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    policy = load_policy()
    print(f"python {platform.python_version()} on {platform.machine()}, "
          f"{args.cases:,} open cases")

    secs, peak, _, coverage = _measure(lambda: national_coverage(args.cases, args.seed))
    edges = sum(len(c.support) for c in coverage.cases.values())
    print(f"setup: {secs:.1f} s, {len(coverage.cases):,} cases, {edges:,} support edges, "
          f"{len(coverage.people):,} people, RSS {status('VmRSS') / 1e9:.2f} GB")
    rows: list[tuple[str, float, int, int, str]] = []
    check_secs, peak, above, findings = _measure(functools.partial(check_all, coverage, policy))
    by_check: dict[str, int] = {}
    for f in findings:
        by_check[f.check] = by_check.get(f.check, 0) + 1
    rows.append(("check_all (every check)", check_secs, peak, above,
                 ", ".join(f"{k} {v:,}" for k, v in by_check.items())))

    small = national_coverage(args.graph_cases, args.seed) if args.graph_cases else None
    if small is not None:
        secs, peak, above, graph = _measure(functools.partial(build_graph, small, policy=policy,
                                                              forest="none"))
        rows.append((f"build_graph, {args.graph_cases:,} cases (forest='none')", secs, peak,
                     above, f"{graph.number_of_nodes():,} nodes, "
                     f"{graph.number_of_edges():,} edges"))
        del graph
    del coverage, small
    counties, villages, units = province(args.seed)

    def provincial() -> Any:
        draw = cross_assessment_lottery(counties, args.seed, period="2025Q1")
        return draw, pair_units(villages, units)

    prov_secs, peak, above, (draw, result) = _measure(provincial)
    rows.append(("lottery + pairing (100 counties, 10k villages, 2k units)", prov_secs, peak,
                 above, f"{len(draw)} draws, {len(result.pairs):,} paired, "
                 f"{len(result.uncovered):,} uncovered"))
    print(f"{'step':<58} {'seconds':>8} {'peak RSS':>9} {'above':>8}  result")
    for name, s, p, a, what in rows:
        print(f"{name:<58} {s:8.2f} {p / 1e9:8.2f}G {a / 1e9:7.2f}G  {what}")
    scale = 525_000 / max(args.cases, 1)
    ok_checks = check_secs * scale <= 30 and (args.cases < 525_000 or rows[0][2] <= 8e9)
    ok_province = prov_secs <= 5
    print(f"targets: checks <= 30 s and <= 8 GB: {'met' if ok_checks else 'MISSED'}"
          f"{' (time scaled linearly)' if scale != 1 else ''}; "
          f"province <= 5 s: {'met' if ok_province else 'MISSED'}")
    return 0 if ok_checks and ok_province else 1


if __name__ == "__main__":
    sys.exit(main())
