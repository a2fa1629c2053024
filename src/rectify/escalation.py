"""Escalation for repeat listings (连续被列为整顿对象): streaks, dismissals and the cascade.

An organization listed in ``policy.escalation.consecutive_years`` consecutive
years (two by default) escalates.  When the policy dismisses secretaries
(``dismiss_secretary``), the organization's secretary is dismissed (免去书记职务);
for a second-tier branch (二层党支部) the secretary of the committee or general
branch directly above it is dismissed too when ``cascade_to_parent`` is set.
A direct organization (直属党组织) never cascades: nothing above it is judged here.

Everything is pure: ``listings`` maps a year to the codes listed that year,
as `rectify.identify.identify()` reports them (``Identification.listed_codes``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import attrs

from rectify.errors import InvalidValueError
from rectify.events import ConsequenceRecorded, EscalationRecorded, Event, SecretaryDismissed
from rectify.forest import Population
from rectify.identify import Reason
from rectify.lifecycle.case import org_stream
from rectify.model import Tier
from rectify.policy import LadderStep, Policy

#: Who holds an organization's secretary post (書记): code → person id, or ``None`` if vacant.
SecretaryOf = Callable[[str], str | None]

__all__ = [
    "RULE_LABELS",
    "Consequence",
    "Dismissal",
    "EscalationDecision",
    "SecretaryOf",
    "cascade",
    "consequence_of_step",
    "consequences",
    "dismissals_for",
    "escalate",
    "run_ending",
    "step_for",
    "streak",
    "unique_dismissals",
]

#: Rule ids of escalation reasons, with their English and Chinese descriptions.
RULE_LABELS: Mapping[str, tuple[str, str]] = {
    "consecutive_listing": (
        "listed in consecutive years, reaching the policy's limit",
        "连续被列为整顿对象, 达到规定年数"),
    "streak_below_limit": (
        "not listed in enough consecutive years to escalate",
        "连续被列为整顿对象的年数未达到规定"),
    "dismissal_disabled": (
        "the policy does not dismiss secretaries on escalation",
        "本政策不因连续列入而免去书记职务"),
    "cascade_disabled": (
        "the policy does not hold the parent committee's secretary accountable",
        "本政策不追究上级党组织书记"),
    "direct_no_cascade": (
        "a direct organization has no parent committee to hold accountable",
        "直属党组织无上级党组织书记可追究"),
    "ladder_step": (
        "the policy's escalation ladder calls for this step",
        "按问责阶梯的规定采取措施"),
}

SECRETARY = "secretary"
PARENT_SECRETARY = "parent_secretary"

#: The roles a dismissal can name, with their Chinese labels.
ROLE_LABELS: Mapping[str, str] = {
    SECRETARY: "书记",
    PARENT_SECRETARY: "上级党组织书记",
}


@attrs.frozen(slots=True)
class Dismissal:
    """One secretary to be removed from post (免去书记职务).

    ``org`` is the organization whose secretary is dismissed: the escalating
    organization itself (``role="secretary"``) or, by the cascade, the
    committee or general branch above a second-tier branch
    (``role="parent_secretary"``).  ``person`` is ``None`` when the post is
    vacant; the reasons say so.
    """

    person: str | None
    org: str
    role: str
    reason_en: str
    reason_zh: str

    def render(self, lang: str = "en") -> str:
        """One line naming the person and the post, in English or Chinese."""
        return self.reason_zh if lang == "zh" else self.reason_en


@attrs.frozen(slots=True)
class EscalationDecision:
    """Whether one organization listed in ``year`` escalates, and who is dismissed.

    ``streak`` holds the consecutive years of listing ending at ``year``
    (ascending); ``policy`` is the fingerprint of the policy applied;
    ``step`` the ladder step that applies (``step_index`` its position in
    `rectify.policy.EscalationPolicy.steps()`), ``None`` when none does.
    """

    org: str
    year: int
    streak: tuple[int, ...]
    escalates: bool
    dismissals: tuple[Dismissal, ...]
    reasons: tuple[Reason, ...]
    policy: str
    step: LadderStep | None = None
    step_index: int = -1

    @property
    def rules(self) -> tuple[str, ...]:
        """The rule ids of the reasons."""
        return tuple(r.rule for r in self.reasons)

    def explain(self, lang: str = "en") -> str:
        """A sentence an official can read out: escalates or not, why, and who goes."""
        if lang == "zh":
            head = "问责" if self.escalates else "不问责"
        else:
            head = "escalates" if self.escalates else "does not escalate"
        parts = [r.render(lang) for r in self.reasons]
        parts += [d.render(lang) for d in self.dismissals]
        return f"{self.org} ({self.year}): {head}: " + "; ".join(parts)


def streak(listings: Mapping[int, Collection[str]], org: str, year: int) -> tuple[int, ...]:
    """The consecutive years, ending at ``year``, in which ``org`` was listed (ascending).

    Empty when ``org`` was not listed in ``year``; a gap ends the streak, so
    listings in 2015 and 2017 give ``(2017,)``.

    >>> streak({2015: {"V1"}, 2016: {"V1"}, 2017: {"V1", "V2"}}, "V1", 2017)
    (2015, 2016, 2017)
    >>> streak({2015: {"V1"}, 2017: {"V1"}}, "V1", 2017)
    (2017,)
    """
    years: list[int] = []
    current = year
    while org in listings.get(current, ()):
        years.append(current)
        current -= 1
    return tuple(reversed(years))


def cascade(population: Population, org: str, policy: Policy,
            secretary_of: SecretaryOf | None = None) -> tuple[Dismissal, ...]:
    """Who must be dismissed if ``org`` escalates under ``policy`` (如该组织被问责, 免去谁).

    The organization's secretary, and for a second-tier branch the secretary
    of its parent when the policy cascades; nobody when the policy does not
    dismiss secretaries.  ``secretary_of`` tells who holds a secretary post
    (default: the population's `rectify.model.Organization.secretary`).
    Raises `InvalidValueError` for a code that is not in ``population``.
    """
    _check_known(population, [org], "org")
    esc = policy.escalation
    if not esc.ladder:
        return _dismissals(population, org, esc.consecutive_years, esc.dismiss_secretary,
                           esc.cascade_to_parent, secretary_of)
    dismissal = [s for s in esc.steps() if s.basis == "listed" and s.action == "dismissal"]
    if not dismissal:
        return ()
    first = min(dismissal, key=lambda s: s.years)
    return _dismissals(population, org, first.years, True, first.cascade, secretary_of)


def escalate(
    population: Population,
    listings: Mapping[int, Collection[str]],
    year: int,
    policy: Policy,
    secretary_of: SecretaryOf | None = None,
) -> list[EscalationDecision]:
    """One `EscalationDecision` per organization listed in ``year``, in code order.

    An organization escalates when a ``listed`` step of the policy's ladder
    (`rectify.policy.EscalationPolicy.steps()`) applies to its `streak()`:
    by default one step, ``policy.escalation.consecutive_years`` long.
    ``secretary_of`` tells who holds each secretary post (default: the
    population's).  Raises `InvalidValueError` when ``year``'s listings name
    an organization that is not in ``population``.
    """
    listed = sorted(set(listings.get(year, ())))
    _check_known(population, listed, f"listings[{year}]")
    steps = policy.escalation.steps()
    limit = min((s.years for s in steps if s.basis == "listed"), default=0)
    fingerprint = policy.fingerprint()
    decisions: list[EscalationDecision] = []
    for code in listed:
        years = streak(listings, code, year)
        facts: dict[str, Any] = {"streak": list(years), "years": len(years), "limit": limit}
        found = step_for(steps, "listed", len(years))
        reasons: list[Reason] = []
        dismissals: tuple[Dismissal, ...] = ()
        if found is not None:
            index, step = found
            reasons.append(_reason("consecutive_listing", facts))
            if policy.escalation.ladder:
                reasons.append(_reason("ladder_step", {"step": index, "action": step.action,
                                                       "years": step.years}))
            if step.action == "dismissal":
                dismissals = _dismissals(population, code, len(years), True, step.cascade,
                                         secretary_of)
            reasons += _dismissal_notes(population, code, step)
        else:
            reasons.append(_reason("streak_below_limit",
                                   {**facts, "missing": max(limit - len(years), 0)}))
        decisions.append(EscalationDecision(
            org=code, year=year, streak=years, escalates=found is not None,
            dismissals=dismissals, reasons=tuple(reasons), policy=fingerprint,
            step=found[1] if found else None, step_index=found[0] if found else -1))
    return decisions


def step_for(steps: Iterable[LadderStep], basis: str, run: int, *, grade: str | None = None,
             finding: str | None = None) -> tuple[int, LadderStep] | None:
    """The step of ``basis`` that a run of ``run`` years calls for, with its index.

    The step of the basis with the most ``years`` not exceeding ``run``
    (a ladder's top step repeats for longer runs); for an ``appraisal`` basis
    only steps naming ``grade``, for a ``finding`` basis only steps naming
    ``finding`` or no kind.  ``None`` when no step applies.

    >>> from rectify.policy import LadderStep
    >>> ladder = [LadderStep("listed", "talk", 2, talk="cautionary"),
    ...           LadderStep("listed", "dismissal", 3)]
    >>> for run in (2, 3, 4):
    ...     index, step = step_for(ladder, "listed", run)
    ...     print(run, index, step.action)
    2 0 talk
    3 1 dismissal
    4 1 dismissal
    >>> step_for(ladder, "listed", 1) is None
    True
    """
    best: tuple[int, LadderStep] | None = None
    for index, step in enumerate(steps):
        if step.basis != basis or step.years > run:
            continue
        if basis == "appraisal" and grade not in step.grades:
            continue
        if basis == "finding" and step.finding and step.finding != finding:
            continue
        if best is None or step.years >= best[1].years:
            best = (index, step)
    return best


def run_ending(years: Collection[int], year: int) -> tuple[int, ...]:
    """The consecutive years of ``years`` ending at ``year`` (ascending); empty if not in it.

    >>> run_ending({2015, 2016, 2018}, 2016), run_ending({2015, 2016, 2018}, 2018)
    ((2015, 2016), (2018,))
    """
    found: list[int] = []
    current = year
    while current in years:
        found.append(current)
        current -= 1
    return tuple(reversed(found))


def unique_dismissals(decisions: Iterable[EscalationDecision]) -> tuple[Dismissal, ...]:
    """The dismissals of ``decisions`` with each (organization, person) pair once.

    A committee that escalates itself and also sits above an escalating branch
    loses its secretary once; the first dismissal met (in the decisions'
    order) is kept.
    """
    seen: set[tuple[str, str | None]] = set()
    result: list[Dismissal] = []
    for decision in decisions:
        for dismissal in decision.dismissals:
            key = (dismissal.org, dismissal.person)
            if key not in seen:
                seen.add(key)
                result.append(dismissal)
    return tuple(result)


def _check_known(population: Population, codes: Iterable[str], field: str) -> None:
    unknown = [code for code in codes if code not in population]
    if unknown:
        raise InvalidValueError(field, "codes of organizations in the population", unknown,
                                "add the organizations to the population or correct the codes")


def dismissals_for(population: Population, org: str, years: int, cascade_up: bool,
                   secretary_of: SecretaryOf | None = None) -> tuple[Dismissal, ...]:
    """The secretaries a dismissal step removes for ``org`` after ``years`` years.

    Its own secretary and, for a second-tier branch when ``cascade_up``, the
    secretary of the committee above it.  Raises `InvalidValueError` for a
    code that is not in ``population``.
    """
    _check_known(population, [org], "org")
    return _dismissals(population, org, years, True, cascade_up, secretary_of)


def _dismissals(
    population: Population, code: str, years: int, dismiss: bool, cascade_up: bool,
    secretary_of: SecretaryOf | None = None,
) -> tuple[Dismissal, ...]:
    if not dismiss:
        return ()
    holder = secretary_of or (lambda c: population[c].secretary)
    org = population[code]
    own = _dismissal(
        holder(code), code, SECRETARY,
        f"{code} was listed {years} consecutive years",
        f"{org.name}({code})连续{years}年被列为整顿对象", org.name)
    if org.tier is not Tier.SECOND_TIER or not cascade_up:
        return (own,)
    ancestors = population.ancestors(code)
    if not ancestors:  # pragma: no cover - a valid forest gives every branch a parent
        return (own,)
    parent = ancestors[0]
    above = _dismissal(
        holder(parent.code), parent.code, PARENT_SECRETARY,
        f"second-tier branch {code} under it was listed {years} consecutive years",
        f"下属{org.name}({code})连续{years}年被列为整顿对象", parent.name)
    return (own, above)


def _dismissal(person: str | None, org: str, role: str, why_en: str, why_zh: str,
               name: str = "") -> Dismissal:
    where = f"{name}({org})" if name else org
    if person is None:
        en = (f"dismiss the secretary of {org}: {why_en}; the post is vacant, so no one is "
              f"dismissed until it is filled")
        zh = f"免去{where}书记职务: {why_zh}; 书记职务空缺, 暂无人可免"
    else:
        en = f"dismiss {person}, secretary of {org}: {why_en}"
        zh = f"免去{where}书记(人员编号{person})的职务: {why_zh}"
    return Dismissal(person=person, org=org, role=role, reason_en=en, reason_zh=zh)


def _dismissal_notes(population: Population, code: str, step: LadderStep) -> list[Reason]:
    """Reasons telling why fewer people than the domain's default are dismissed."""
    if step.action != "dismissal":
        return [_reason("dismissal_disabled", {"dismiss_secretary": False,
                                               "action": step.action})]
    org = population[code]
    if org.tier is Tier.DIRECT:
        return [_reason("direct_no_cascade", {"tier": org.tier.value})]
    if not step.cascade:
        return [_reason("cascade_disabled", {"cascade_to_parent": False})]
    return []


def _reason(rule: str, facts: dict[str, Any]) -> Reason:
    en, zh = RULE_LABELS[rule]
    return Reason(rule, en, zh, facts)


@attrs.frozen(slots=True)
class Consequence:
    """One ledger entry an escalation calls for: the stream, its command id and its fields."""

    stream: str
    command: str
    event: type[Event]
    fields: Mapping[str, Any]


def consequences(decisions: Iterable[EscalationDecision], year: int,
                 population: Population | None = None,
                 secretary_of: SecretaryOf | None = None) -> list[Consequence]:
    """What to record for the escalating ``decisions`` of ``year``, in order.

    Each organization's stream ``org:<code>`` holds its escalation; each
    dismissed secretary's organization stream holds the dismissal.  Command
    ids derive from the year and the organization, so recording twice records
    nothing new, and a committee escalating together with one of its branches
    dismisses its secretary once.  A ladder step other than a dismissal adds
    a `rectify.events.ConsequenceRecorded` for the organization's secretary
    (``secretary_of``, default: the population's; pass ``population`` then).
    """
    out: list[Consequence] = []
    seen: set[str] = set()
    for decision in decisions:
        if not decision.escalates:
            continue
        cause = f"{year}-{decision.org}"
        out.append(Consequence(org_stream(decision.org), f"escalation:{cause}", EscalationRecorded,
                               {"org": decision.org, "year": year, "streak": decision.streak}))
        step = decision.step
        if step is not None and step.action not in ("dismissal", "record"):
            holder = secretary_of(decision.org) if secretary_of is not None else (
                population[decision.org].secretary if population is not None else None)
            out.append(consequence_of_step(decision.org, holder, step, decision.step_index,
                                           year, decision.streak, cause))
        for dismissal in decision.dismissals:
            command = f"dismissal:{year}:{dismissal.org}"
            if command in seen:
                continue
            seen.add(command)
            out.append(Consequence(org_stream(dismissal.org), command, SecretaryDismissed, {
                "org": dismissal.org, "person": dismissal.person, "role": dismissal.role,
                "year": year, "cause": cause}))
    return out


def consequence_of_step(org: str, person: str | None, step: LadderStep, index: int, year: int,
                        years: tuple[int, ...], cause: str) -> Consequence:
    """The `rectify.events.ConsequenceRecorded` a (non-dismissal) ladder step calls for.

    Its command id derives from the basis, the year, the organization and the
    step, so applying the step again records nothing new.
    """
    return Consequence(org_stream(org), f"consequence:{step.basis}:{year}:{org}:{index}",
                       ConsequenceRecorded, {
                           "org": org, "person": person, "action": step.action,
                           "basis": step.basis, "year": year, "step": index, "years": years,
                           "talk": step.talk, "months": step.months, "cause": cause})
