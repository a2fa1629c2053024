"""A deliberately naive reference model of identification and of the case rules.

It is written independently of `rectify.identify` and
`rectify.lifecycle.workflow` — one organization at a time, decimal arithmetic,
the transitions typed out from ``domain.md`` — so that a differential test
can compare the library with it on generated inputs.  Where the library
differs on purpose, the difference is declared in `DECLARED_DIFFERENCES`
and counted by the comparison, never hidden.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

import attrs

from rectify.forest import Population
from rectify.model import Assessment
from rectify.policy import Policy

__all__ = [
    "DECLARED_DIFFERENCES",
    "REFERENCE_TRANSITIONS",
    "WorkflowComparison",
    "compare_workflow",
    "meets",
    "reference_listed",
]

_ROUNDING = {"up": ROUND_CEILING, "down": ROUND_FLOOR, "nearest": ROUND_HALF_UP}


def _grade(policy: Policy, a: Assessment) -> str:
    if a.grade is not None:
        return a.grade.value
    for letter in ("A", "B", "C"):
        if a.total >= policy.grades[letter]:
            return letter
    return "D"


def meets(policy: Policy, kind: str, a: Assessment) -> bool:
    """Whether assessment ``a`` of an organization of ``kind`` meets a direct criterion.

    A naive reading of the policy's direct criteria, independent of `rectify.identify`.
    """
    for crit in policy.identification.direct:
        if crit.kinds and kind not in crit.kinds:
            continue
        if crit.grades:
            if _grade(policy, a) in crit.grades:
                return True
            continue
        value = a.total if crit.fact == "total" else a.facts.get(crit.fact or "")
        if value is None or crit.op is None or crit.threshold is None:
            continue
        t = crit.threshold
        op = crit.op.value
        if ((op == "<" and value < t) or (op == "<=" and value <= t)
                or (op == ">" and value > t) or (op == ">=" and value >= t)
                or (op == "==" and value == t)):
            return True
    return False


def reference_listed(population: Population, assessments: Iterable[Assessment],
                     policy: Policy, year: int) -> set[str]:
    """Codes the reference model lists: direct criteria, then the quota per kind."""
    ident = policy.identification
    by_code = {a.org: a for a in assessments if a.year == year}
    listed: set[str] = set()
    kinds: dict[str, list[tuple[float, str]]] = {}
    for org in population:
        a = by_code[org.code]
        if meets(policy, org.kind, a):
            listed.add(org.code)
        parent = population.get(org.parent) if org.parent else None
        if ident.ranked.get(org.kind) is not None and ident.ranked[org.kind].value == "top" \
                and parent is not None and parent.kind == org.kind:
            continue  # outside the kind's unit of ranking: direct criteria only
        kinds.setdefault(org.kind, []).append((a.total, org.code))
    for kind, members in kinds.items():
        members.sort()
        size = len(members)
        fraction = Decimal(repr(ident.quota[kind]))
        if size < ident.min_group_size or (fraction == 0 and ident.min_per_kind == 0):
            continue
        count = int((fraction * size).quantize(Decimal(1), rounding=_ROUNDING[
            ident.rounding.value]))
        count = min(size, max(count, ident.min_per_kind))
        if ident.count_direct_in_quota:
            count -= sum(1 for _, code in members if code in listed)
        taken: list[tuple[float, str]] = []
        for score, code in members:
            if code in listed:
                continue
            if len(taken) >= count:
                if ident.ties.value == "include_all" and taken and score == taken[-1][0]:
                    taken.append((score, code))
                    continue
                break
            taken.append((score, code))
        listed.update(code for _, code in taken)
    return listed


#: The case transitions as domain.md §3 describes them: (state, trigger) → state.
REFERENCE_TRANSITIONS: dict[tuple[str, str], str] = {
    ("identified", "file_plan"): "planned",
    ("planned", "return_plan"): "identified",
    ("planned", "begin_support"): "supported",
    ("supported", "request_verification"): "verifying",
    ("verifying", "pass_verification"): "delisted",
    ("verifying", "fail_verification"): "supported",
    ("delisted", "reopen"): "supported",
}

#: Where the library departs from the reference on purpose, and why.
DECLARED_DIFFERENCES: dict[tuple[str, str], str] = {
    ("verifying", "pass_verification"): (
        "the library stops at 'accepted' (验收通过) so that delisting is a separate command "
        "of the organization department, resting on the recorded verification"),
    ("accepted", "delist"): "the second half of the split above",
    ("identified", "carry_over"): "closing a year carries unfinished cases over (结转)",
    ("planned", "carry_over"): "closing a year carries unfinished cases over (结转)",
    ("supported", "carry_over"): "closing a year carries unfinished cases over (结转)",
    ("verifying", "carry_over"): "closing a year carries unfinished cases over (结转)",
    ("accepted", "carry_over"): "closing a year carries unfinished cases over (结转)",
}


@attrs.frozen
class WorkflowComparison:
    """Transitions that agree, that differ as declared, and that differ unexplained."""

    agreeing: tuple[tuple[str, str], ...]
    declared: tuple[tuple[str, str], ...]
    unexplained: tuple[tuple[str, str], ...]


def compare_workflow(table: dict[tuple[str, str], str]) -> WorkflowComparison:
    """Compare a compiled transition table with `REFERENCE_TRANSITIONS`."""
    agreeing, declared, unexplained = [], [], []
    for key in sorted(set(table) | set(REFERENCE_TRANSITIONS)):
        if table.get(key) == REFERENCE_TRANSITIONS.get(key):
            agreeing.append(key)
        elif key in DECLARED_DIFFERENCES:
            declared.append(key)
        else:
            unexplained.append(key)
    return WorkflowComparison(tuple(agreeing), tuple(declared), tuple(unexplained))
