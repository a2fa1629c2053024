"""Assignment helpers: the cross-assessment lottery, unit-village pairing, supporter suggestions.

* `cross_assessment_lottery()` draws which county assesses which (交叉互评):
  seeded and reproducible, nobody assesses itself and no two counties assess
  each other.
* `pair_units()` pairs agency units with listed villages by problem type
  (结对共建: party/government → weak 软, economic → poor 穷, political-legal →
  disorderly 乱, agricultural → specialised 专业) within capacities, as a
  min-cost maximum flow, and says why a village stays uncovered.
* `suggest_supporters()` proposes people for the support levels open
  cases lack: the level's role, lowest load first, never the organization's
  own chain or the case's verifiers.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date

import attrs

from rectify.coverage import holder_loads
from rectify.coverage.model import (
    DEFAULT_DEPARTMENT_FOR_PROBLEM,
    DEFAULT_LEVEL_ROLES,
    PROBLEM_TYPES,
    Coverage,
    CrossAssessment,
    Pairing,
    Unit,
)
from rectify.errors import LotteryError
from rectify.policy import Policy

__all__ = [
    "LotteryError",
    "PairingResult",
    "Suggestion",
    "Uncovered",
    "cross_assessment_lottery",
    "pair_units",
    "suggest_supporters",
]


def cross_assessment_lottery(counties: Iterable[str], seed: int | str, *, period: str = "",
                             drawn_on: date | None = None) -> list[CrossAssessment]:
    """Draw one assessed county for every county (抽签交叉互评), sorted by assessor.

    The result is a derangement with no reciprocal pair (never a→b and b→a):
    the counties, shuffled by ``seed``, form one cycle, each assessing the
    next.  The same counties (in any order) and seed always give the same
    draw.  Raises `LotteryError` for duplicates or fewer than three
    counties (with two, the only draw without self-assessment is reciprocal).

    >>> [(x.assessor, x.assessed) for x in cross_assessment_lottery(["东区", "西区", "爱民区"], 1)]
    [('东区', '爱民区'), ('爱民区', '西区'), ('西区', '东区')]
    """
    names = list(counties)
    duplicates = sorted(n for n, k in Counter(names).items() if k > 1)
    if duplicates:
        raise LotteryError(names, f"counties listed twice: {', '.join(duplicates)}; "
                           "list each county once")
    if len(names) < 3:
        why = {0: "there are no counties to draw",
               1: "a single county can only assess itself",
               2: "with two counties the only draw without self-assessment is the reciprocal "
                  "pair (each assesses the other)"}[len(names)]
        raise LotteryError(names, f"{why}; at least three counties are needed (add counties, "
                           "or have a higher level assess them)")
    order = sorted(names)
    random.Random(f"rectify-lottery:{seed}").shuffle(order)
    draw = [CrossAssessment(a, order[(i + 1) % len(order)], period, drawn_on)
            for i, a in enumerate(order)]
    return sorted(draw, key=lambda x: x.assessor)


@attrs.frozen
class Uncovered:
    """A village left without a paired unit, and why (English and Chinese)."""

    org: str
    problem_type: str
    en: str
    zh: str


@attrs.frozen
class PairingResult:
    """The pairing drawn by `pair_units()`.

    ``pairs`` are the new pairings (sorted by village); ``uncovered`` the
    villages left without a unit; ``cost`` the total cost of ``pairs``;
    ``spare`` each unit's capacity left.
    """

    pairs: tuple[Pairing, ...]
    uncovered: tuple[Uncovered, ...]
    cost: int
    spare: Mapping[str, int]


def pair_units(villages: Mapping[str, str], units: Iterable[Unit], *,
               department_for: Mapping[str, Collection[str]] = DEFAULT_DEPARTMENT_FOR_PROBLEM,
               default_capacity: int = 5,
               cost: Callable[[Unit, str], int] | None = None,
               existing: Iterable[Pairing] = (), since: date | None = None) -> PairingResult:
    """Pair agency units with listed villages (``org code → problem type``) by problem type.

    A unit may take a village whose problem type its department serves
    (``department_for``), up to its ``capacity`` (or ``default_capacity``)
    less its ``existing`` pairings; villages already paired in ``existing``
    are skipped.  The pairing covers as many villages as possible and, among
    those, has the least total ``cost(unit, problem_type)`` (a non-negative
    integer; default 0): a min-cost maximum flow source → unit → problem type
    → sink, which is exact because costs depend on the unit and the problem
    type.  Villages of one type go to units in code order, cheapest unit first.
    """
    unit_list = sorted(units, key=lambda u: u.id)
    previous = list(existing)
    taken = Counter(p.unit for p in previous)
    done = {p.org for p in previous}
    spare = {u.id: max(0, (default_capacity if u.capacity is None else u.capacity)
                       - taken[u.id]) for u in unit_list}
    by_type: defaultdict[str, list[str]] = defaultdict(list)
    for org in sorted(villages):
        if org not in done:
            by_type[villages[org]].append(org)
    import networkx as nx  # deferred: networkx costs ~150 ms at import

    g = nx.DiGraph()
    prices: dict[tuple[str, str], int] = {}
    for u in unit_list:
        for problem in by_type:
            if u.department in department_for.get(problem, ()) and spare[u.id] > 0:
                price = 0 if cost is None else int(cost(u, problem))
                if price < 0:
                    raise ValueError(f"cost({u.id!r}, {problem!r}) is {price}; costs must be >= 0")
                prices[(u.id, problem)] = price
                g.add_edge("source", ("unit", u.id), capacity=spare[u.id], weight=0)
                g.add_edge(("unit", u.id), ("type", problem), capacity=spare[u.id],
                           weight=price)
    for problem, orgs in by_type.items():
        if ("type", problem) in g:
            g.add_edge(("type", problem), "sink", capacity=len(orgs), weight=0)
    flow = nx.max_flow_min_cost(g, "source", "sink") if "sink" in g else {}
    pairs: list[Pairing] = []
    uncovered: list[Uncovered] = []
    total = 0
    for problem in sorted(by_type):
        orgs = by_type[problem]
        givers = sorted((prices[(node[1], problem)], node[1], amount)
                        for node, out in flow.items() if isinstance(node, tuple)
                        and node[0] == "unit"
                        for target, amount in out.items()
                        if target == ("type", problem) and amount > 0)
        slots = [(uid, price) for price, uid, amount in givers for _ in range(amount)]
        for org, (uid, price) in zip(orgs, slots, strict=False):
            pairs.append(Pairing(uid, org, problem, since))
            spare[uid] -= 1
            total += price
        for org in orgs[len(slots):]:
            uncovered.append(_uncovered(org, problem, orgs, unit_list, department_for, spare,
                                        len(slots)))
    pairs.sort(key=lambda p: p.org)
    uncovered.sort(key=lambda x: x.org)
    return PairingResult(tuple(pairs), tuple(uncovered), total, spare)


def _uncovered(org: str, problem: str, orgs: list[str], units: list[Unit],
               department_for: Mapping[str, Collection[str]], spare: Mapping[str, int],
               covered: int) -> Uncovered:
    zh_type = PROBLEM_TYPES.get(problem, problem)
    departments = department_for.get(problem)
    if not departments:
        return Uncovered(org, problem, f"no department serves problem type {problem!r} "
                         "(add it to the pairing map)", f"没有部门对应问题类型{zh_type}")
    serving = [u for u in units if u.department in departments]
    if not serving:
        return Uncovered(org, problem, f"no unit of department {', '.join(departments)} to "
                         f"pair with {problem} villages", f"没有{zh_type}村可结对的单位")
    return Uncovered(org, problem, f"the {len(serving)} unit(s) serving {problem} villages "
                     f"are full: {covered} of {len(orgs)} such villages paired",
                     f"可结对{zh_type}村的{len(serving)}个单位已满额, {len(orgs)}个村中"
                     f"{covered}个已结对")


@attrs.frozen
class Suggestion:
    """Who could take a missing support level on an open case.

    ``candidates`` pairs people with their load (open cases supported) at
    the time of the suggestion, lowest first; ``proposed`` is the first
    candidate (counted in later suggestions' loads), or ``None`` with the
    reason in ``en``/``zh``.
    """

    case: str
    level: str
    candidates: tuple[tuple[str, int], ...]
    proposed: str | None
    en: str
    zh: str


def suggest_supporters(coverage: Coverage, policy: Policy, *,
                       cases: Iterable[str] | None = None,
                       level_roles: Mapping[str, str] = DEFAULT_LEVEL_ROLES,
                       max_cases_per_person: int = 5, candidates: int = 3) -> list[Suggestion]:
    """Suggest supporters for the required levels open cases lack (``cases``: some case ids).

    For each missing level, people holding the level's role (``level_roles``)
    who are below ``max_cases_per_person``, not a secretary of the case
    organization's chain, not a verifier of the case and not already
    supporting it; lowest load first, then id.  Each proposal counts towards
    the proposed person's load for the cases after it, so proposals spread.
    """
    loads = holder_loads(coverage)
    pools: defaultdict[str, list[tuple[int, str]]] = defaultdict(list)
    for person in coverage.people.values():
        for role in person.roles:
            pools[role].append((loads[person.id], person.id))
    for pool in pools.values():
        heapq.heapify(pool)
    wanted = sorted(cases) if cases is not None else sorted(coverage.cases)
    result: list[Suggestion] = []
    for cid in wanted:
        case = coverage.cases[cid]
        if not case.is_open:
            continue
        held = {s[0] for s in case.support}
        barred = coverage.chain_secretaries(case.org) | set(case.verifiers) | case.supporters
        for level in policy.support.required.get(case.kind, ()):
            if level in held:
                continue
            role = level_roles.get(level, level)
            picked = _pick(pools[role], loads, barred, max_cases_per_person, candidates)
            label = policy.support.levels[level].zh if level in policy.support.levels else level
            if picked:
                best = picked[0][0]
                loads[best] += 1
                barred = barred | {best}
                for other in coverage.people[best].roles:
                    heapq.heappush(pools[other], (loads[best], best))
                result.append(Suggestion(cid, level, tuple(picked), best,
                                         f"assign {best} as {level} (load {picked[0][1]})",
                                         f"建议由{coverage.label(best)}担任{label}"))
            else:
                result.append(Suggestion(cid, level, (), None,
                                         f"nobody with role {role} is free for {level} "
                                         f"(cap {max_cases_per_person}, chain and verifiers "
                                         "excluded)", f"没有可担任{label}的人员"))
    return result


def _pick(pool: list[tuple[int, str]], loads: Mapping[str, int], barred: Collection[str],
          cap: int, k: int) -> list[tuple[str, int]]:
    """Up to ``k`` eligible (person, load) from the heap, lowest load first; the heap is kept."""
    popped: list[tuple[int, str]] = []
    picked: list[tuple[str, int]] = []
    while pool and len(picked) < k:
        load, pid = heapq.heappop(pool)
        if load != loads[pid]:
            continue  # a stale entry; the current one is in the heap too
        popped.append((load, pid))
        if load >= cap:
            break
        if pid not in barred:
            picked.append((pid, load))
    for item in popped:
        heapq.heappush(pool, item)
    return picked
