"""Annual identification (排查认定): direct criteria, then per-kind quotas by reverse ranking.

:func:`identify` returns an :class:`Identification`: one :class:`Decision` per
organization, each explaining itself with :class:`Reason` values, and a
:class:`KindSummary` per kind.  Results are kept as columns and decisions are
built on demand, so a national population costs little memory.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from rectify.errors import IdentificationError, Problem
from rectify.forest import Population
from rectify.model import Assessment, Grade
from rectify.policy import DirectCriterion, Policy, TieRule

__all__ = ["Decision", "Identification", "KindSummary", "Reason", "identify"]

# Rule ids of the reasons a decision can carry, with their Chinese rendering.
# Direct criteria bring their own ids and labels from the policy.
RULE_LABELS: Mapping[str, tuple[str, str]] = {
    "quota": ("within the kind's quota by reverse ranking", "倒序排名在比例范围内"),
    "above_cutoff": ("scored above the quota's cut-off", "得分高于划定线"),
    "tie_break": ("tied at the cut-off, left out by the code tie-break",
                  "与划定线同分, 按编码顺序未列入"),
    "quota_met_by_direct": ("the kind's quota was filled by direct listings",
                            "该类型比例已由直接认定对象占满"),
    "no_quota": ("the kind has no quota; only direct criteria list it",
                 "该类型未设比例, 仅按直接认定"),
    "small_group": ("the kind is smaller than the minimum group size for a quota",
                    "该类型组织数少于设定比例的最小规模"),
}


@attrs.frozen(slots=True)
class Reason:
    """Why an organization was, or was not, listed: a rule and the facts it used."""

    rule: str
    en: str
    zh: str
    facts: Mapping[str, Any]

    def render(self, lang: str = "en") -> str:
        """One line in English (``lang="en"``) or Chinese (``lang="zh"``) with the facts."""
        facts = ", ".join(f"{k}={_fmt(v)}" for k, v in self.facts.items())
        text = self.zh if lang == "zh" else self.en
        return f"{self.rule}: {text} ({facts})" if facts else f"{self.rule}: {text}"


@attrs.frozen(slots=True)
class KindSummary:
    """The quota arithmetic of one kind in one year."""

    kind: str
    size: int
    fraction: float
    quota: int
    direct: int
    listed: int
    cutoff: float | None


@attrs.frozen(slots=True)
class Decision:
    """The identification decision for one organization in one year.

    ``rank`` is the competition rank in the kind by ascending score (1 is the
    lowest score; tied scores share a rank).  ``margin`` is ``score - cutoff``:
    zero or negative means at or below the cut-off.  ``near_miss`` marks an
    organization not listed that ranked within ``near_miss_ranks`` places of
    the last one listed by quota.
    """

    org: str
    kind: str
    year: int
    listed: bool
    reasons: tuple[Reason, ...]
    score: float
    grade: Grade
    rank: int
    kind_size: int
    cutoff: float | None
    margin: float | None
    near_miss: bool
    policy: str

    @property
    def rules(self) -> tuple[str, ...]:
        """The rule ids of the reasons."""
        return tuple(r.rule for r in self.reasons)

    def explain(self, lang: str = "en") -> str:
        """A sentence an official can read out: listed or not, and why."""
        if lang == "zh":
            head = "列为整顿对象" if self.listed else "未列入"
            tail = f"; 在{self.kind_size}个同类组织中排第{self.rank}"
        else:
            head = "listed" if self.listed else "not listed"
            tail = f"; ranked {self.rank} of {self.kind_size} {self.kind}"
        return f"{self.org}: {head}: " + "; ".join(r.render(lang) for r in self.reasons) + tail


@attrs.frozen(slots=True)
class _KindResult:
    summary: KindSummary
    order: list[int]
    sorted_scores: list[float]
    last_position: int  # position in ``order`` of the last quota listing, -1 if none
    reason: str  # rule id for organizations of this kind that are not listed


class Identification:
    """The outcome of one year's identification, decision by decision.

    Iterate for every :class:`Decision` (in code order), or ask :meth:`listed`,
    :meth:`near_misses`, :meth:`decision` and :attr:`kinds`.
    """

    def __init__(
        self,
        *,
        population: Population,
        policy: Policy,
        year: int,
        scores: list[float],
        grades: list[Grade],
        direct: dict[int, list[tuple[DirectCriterion, Any]]],
        listed_by_quota: set[int],
        positions: array[int],
        kinds: dict[str, _KindResult],
    ) -> None:
        self.population = population
        self.policy = policy
        self.year = year
        self.fingerprint = policy.fingerprint()
        self._scores = scores
        self._grades = grades
        self._direct = direct
        self._quota = listed_by_quota
        self._positions = positions
        self._kinds = kinds
        self._index = {o.code: i for i, o in enumerate(population.organizations)}

    def __len__(self) -> int:
        return len(self._scores)

    def __iter__(self) -> Iterator[Decision]:
        return (self._decision(i) for i in range(len(self._scores)))

    @property
    def kinds(self) -> dict[str, KindSummary]:
        """The quota arithmetic per kind."""
        return {k: r.summary for k, r in sorted(self._kinds.items())}

    @property
    def listed_codes(self) -> list[str]:
        """Codes of the listed organizations, in code order."""
        orgs = self.population.organizations
        return [orgs[i].code for i in sorted(self._quota.union(self._direct))]

    def listed(self) -> list[Decision]:
        """Decisions of the listed organizations, in code order."""
        return [self._decision(i) for i in sorted(self._quota.union(self._direct))]

    def near_misses(self) -> list[Decision]:
        """Decisions of organizations not listed but ranked just above a cut-off."""
        return [d for d in (self._decision(i) for i in self._near_miss_indices()) if d.near_miss]

    def decision(self, code: str) -> Decision:
        """The decision for the organization with this code."""
        try:
            return self._decision(self._index[code])
        except KeyError:
            raise IdentificationError(
                "no decision", [Problem("code", "an organization of this population", code)]
            ) from None

    def _near_miss_indices(self) -> list[int]:
        reach = self.policy.identification.near_miss_ranks
        found: list[int] = []
        for result in self._kinds.values():
            if result.last_position >= 0:
                stop = min(len(result.order), result.last_position + 1 + reach)
                found.extend(result.order[result.last_position + 1 : stop])
        return sorted(i for i in found if i not in self._quota and i not in self._direct)

    def _decision(self, i: int) -> Decision:
        org = self.population.organizations[i]
        result = self._kinds[org.kind]
        summary = result.summary
        score = self._scores[i]
        position = self._positions[i]
        rank = bisect_left(result.sorted_scores, score) + 1
        cutoff = summary.cutoff
        margin = None if cutoff is None else round(score - cutoff, 6)
        ranking = {"score": score, "rank": rank, "kind_size": summary.size,
                   "quota": summary.fraction, "quota_count": summary.quota,
                   "cutoff": cutoff, "margin": margin}
        reasons: list[Reason] = [
            Reason(crit.id, crit.en, crit.zh, _direct_facts(crit, value))
            for crit, value in self._direct.get(i, ())
        ]
        if i in self._quota:
            reasons.append(_rule_reason("quota", ranking))
        listed = bool(reasons)
        if not listed:
            rule = result.reason
            if rule == "above_cutoff" and margin == 0:
                rule = "tie_break"
            facts = ranking if rule in ("above_cutoff", "tie_break") else {
                "kind_size": summary.size, "quota": summary.fraction,
                "quota_count": summary.quota, "direct_count": summary.direct}
            reasons.append(_rule_reason(rule, facts))
        near = (not listed and result.last_position >= 0
                and position - result.last_position
                <= self.policy.identification.near_miss_ranks)
        return Decision(org=org.code, kind=org.kind, year=self.year, listed=listed,
                        reasons=tuple(reasons), score=score, grade=self._grades[i], rank=rank,
                        kind_size=summary.size, cutoff=cutoff, margin=margin, near_miss=near,
                        policy=self.fingerprint)


def identify(
    population: Population,
    assessments: Mapping[str, Assessment] | Iterable[Assessment],
    policy: Policy,
    year: int,
) -> Identification:
    """Identify the year's weak and lax organizations (软弱涣散基层党组织).

    ``assessments`` gives each organization's assessment for ``year``, as a
    mapping by code or as an iterable (assessments of other years are
    ignored).  Direct criteria list an organization whatever its rank; then
    within each kind the lowest scores are listed until the kind's quota is
    met (direct listings count towards it when the policy says so).  Ranking
    is over the whole kind, never per township.  The result does not depend
    on the order of the inputs.

    Raises :class:`~rectify.errors.IdentificationError` listing every
    organization without an assessment for the year and every unknown kind.
    """
    by_code = _assessments_for(assessments, year)
    orgs = population.organizations
    problems: list[Problem] = []
    groups: dict[str, list[int]] = {}
    scores: list[float] = [0.0] * len(orgs)
    grades: list[Grade] = [Grade.D] * len(orgs)
    direct: dict[int, list[tuple[DirectCriterion, Any]]] = {}
    criteria = policy.identification.direct
    bands = [(policy.grades[g.value], g) for g in (Grade.A, Grade.B, Grade.C)]
    for i, org in enumerate(orgs):
        a = by_code.get(org.code)
        if a is None:
            problems.append(Problem(f"assessment of {org.code}", f"an assessment for {year}",
                                    None, "assess every organization of the population"))
            continue
        group = groups.get(org.kind)
        if group is None:
            if org.kind not in policy.kinds:
                problems.append(Problem(f"organization {org.code}.kind",
                                        f"a kind of the policy ({', '.join(policy.kinds)})",
                                        org.kind, "correct the kind or use a policy declaring it"))
            group = groups[org.kind] = []
        group.append(i)
        total = a.total
        scores[i] = total
        grade = a.grade
        if grade is None:
            grade = Grade.D
            for bound, band in bands:
                if total >= bound:
                    grade = band
                    break
        grades[i] = grade
        if criteria:
            fired = _fired(criteria, org.kind, a, grade)
            if fired:
                direct[i] = fired
    if problems:
        raise IdentificationError(f"cannot identify for {year}", problems)
    positions = array("i", bytes(4 * len(orgs)))
    listed_by_quota: set[int] = set()
    kinds = {kind: _rank_kind(kind, idx, scores, direct, policy, positions, listed_by_quota)
             for kind, idx in groups.items()}
    for kind in policy.kinds:
        if kind not in kinds:
            kinds[kind] = _KindResult(KindSummary(kind, 0, policy.identification.quota[kind],
                                                  0, 0, 0, None), [], [], -1, "no_quota")
    return Identification(population=population, policy=policy, year=year, scores=scores,
                          grades=grades, direct=direct, listed_by_quota=listed_by_quota,
                          positions=positions, kinds=kinds)


def _assessments_for(
    assessments: Mapping[str, Assessment] | Iterable[Assessment], year: int
) -> Mapping[str, Assessment]:
    if isinstance(assessments, Mapping):
        return assessments
    by_code: dict[str, Assessment] = {}
    duplicates: list[Problem] = []
    for a in assessments:
        if a.year != year:
            continue
        if a.org in by_code:
            duplicates.append(Problem(f"assessment of {a.org}", f"one assessment for {year}",
                                      "two", "keep one assessment per organization and year"))
        by_code[a.org] = a
    if duplicates:
        raise IdentificationError(f"cannot identify for {year}", duplicates)
    return by_code


def _fired(
    criteria: tuple[DirectCriterion, ...], kind: str, a: Assessment, grade: Grade
) -> list[tuple[DirectCriterion, Any]]:
    fired: list[tuple[DirectCriterion, Any]] = []
    for crit in criteria:
        if crit.kinds and kind not in crit.kinds:
            continue
        if crit.grades:
            if grade.value in crit.grades:
                fired.append((crit, grade.value))
            continue
        assert crit.fact is not None
        assert crit.op is not None
        assert crit.threshold is not None
        value = a.total if crit.fact == "total" else a.facts.get(crit.fact)
        if value is not None and crit.op.holds(value, crit.threshold):
            fired.append((crit, value))
    return fired


def _rank_kind(
    kind: str,
    indices: list[int],
    scores: list[float],
    direct: dict[int, Any],
    policy: Policy,
    positions: array[int],
    listed_by_quota: set[int],
) -> _KindResult:
    ident = policy.identification
    # Indices are in code order and the sort is stable, so ties stay in code order.
    order = sorted(indices, key=scores.__getitem__)
    for position, i in enumerate(order):
        positions[i] = position
    size = len(order)
    fraction = ident.quota[kind]
    direct_count = sum(1 for i in order if i in direct) if direct else 0
    if fraction == 0 and ident.min_per_kind == 0:
        quota, reason = 0, "no_quota"
    elif size < ident.min_group_size:
        quota, reason = 0, "small_group"
    else:
        quota = min(size, max(ident.rounding.apply(fraction, size), ident.min_per_kind))
        reason = "above_cutoff"
    needed = max(0, quota - direct_count) if ident.count_direct_in_quota else quota
    if quota and not needed:
        reason = "quota_met_by_direct"
    last = -1
    cutoff: float | None = None
    taken = 0
    for position, i in enumerate(order):
        if taken >= needed and (ident.ties is not TieRule.INCLUDE_ALL or scores[i] != cutoff):
            break
        if i in direct:
            continue
        listed_by_quota.add(i)
        taken += 1
        last = position
        cutoff = scores[i]
    listed = taken + direct_count
    summary = KindSummary(kind, size, fraction, quota, direct_count, listed, cutoff)
    return _KindResult(summary, order, [scores[i] for i in order], last, reason)


def _direct_facts(crit: DirectCriterion, value: Any) -> dict[str, Any]:
    if crit.grades:
        return {"grade": value, "grades": list(crit.grades)}
    assert crit.op is not None
    return {"fact": crit.fact, "value": value, "op": crit.op.value, "threshold": crit.threshold}


def _rule_reason(rule: str, facts: dict[str, Any]) -> Reason:
    en, zh = RULE_LABELS[rule]
    return Reason(rule, en, zh, facts)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)

