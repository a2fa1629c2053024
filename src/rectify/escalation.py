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

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import attrs

from rectify.errors import InvalidValueError
from rectify.events import EscalationRecorded, SecretaryDismissed
from rectify.forest import Population
from rectify.identify import Reason
from rectify.lifecycle.case import org_stream
from rectify.model import Tier
from rectify.policy import Policy

__all__ = [
    "RULE_LABELS",
    "Consequence",
    "Dismissal",
    "EscalationDecision",
    "cascade",
    "consequences",
    "escalate",
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
    (ascending); ``policy`` is the fingerprint of the policy applied.
    """

    org: str
    year: int
    streak: tuple[int, ...]
    escalates: bool
    dismissals: tuple[Dismissal, ...]
    reasons: tuple[Reason, ...]
    policy: str

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


def cascade(population: Population, org: str, policy: Policy) -> tuple[Dismissal, ...]:
    """Who must be dismissed if ``org`` escalates under ``policy`` (如该组织被问责, 免去谁).

    The organization's secretary, and for a second-tier branch the secretary
    of its parent when the policy cascades; nobody when the policy does not
    dismiss secretaries.  Raises `InvalidValueError`
    for a code that is not in ``population``.
    """
    _check_known(population, [org], "org")
    return _dismissals(population, org, policy.escalation.consecutive_years, policy)


def escalate(
    population: Population,
    listings: Mapping[int, Collection[str]],
    year: int,
    policy: Policy,
) -> list[EscalationDecision]:
    """One `EscalationDecision` per organization listed in ``year``, in code order.

    An organization escalates when its `streak()` is at least
    ``policy.escalation.consecutive_years`` long.  Raises
    `InvalidValueError` when ``year``'s listings name an
    organization that is not in ``population``.
    """
    listed = sorted(set(listings.get(year, ())))
    _check_known(population, listed, f"listings[{year}]")
    limit = policy.escalation.consecutive_years
    fingerprint = policy.fingerprint()
    decisions: list[EscalationDecision] = []
    for code in listed:
        years = streak(listings, code, year)
        facts: dict[str, Any] = {"streak": list(years), "years": len(years), "limit": limit}
        escalates = len(years) >= limit
        reasons: list[Reason] = []
        dismissals: tuple[Dismissal, ...] = ()
        if escalates:
            reasons.append(_reason("consecutive_listing", facts))
            dismissals = _dismissals(population, code, len(years), policy)
            reasons += _dismissal_notes(population, code, policy)
        else:
            reasons.append(_reason("streak_below_limit", {**facts, "missing": limit - len(years)}))
        decisions.append(EscalationDecision(
            org=code, year=year, streak=years, escalates=escalates, dismissals=dismissals,
            reasons=tuple(reasons), policy=fingerprint))
    return decisions


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


def _dismissals(
    population: Population, code: str, years: int, policy: Policy
) -> tuple[Dismissal, ...]:
    if not policy.escalation.dismiss_secretary:
        return ()
    org = population[code]
    own = _dismissal(
        org.secretary, code, SECRETARY,
        f"{code} was listed {years} consecutive years",
        f"{org.name}({code})连续{years}年被列为整顿对象", org.name)
    if org.tier is not Tier.SECOND_TIER or not policy.escalation.cascade_to_parent:
        return (own,)
    ancestors = population.ancestors(code)
    if not ancestors:  # pragma: no cover - a valid forest gives every branch a parent
        return (own,)
    parent = ancestors[0]
    above = _dismissal(
        parent.secretary, parent.code, PARENT_SECRETARY,
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


def _dismissal_notes(population: Population, code: str, policy: Policy) -> list[Reason]:
    """Reasons telling why fewer people than the domain's default are dismissed."""
    if not policy.escalation.dismiss_secretary:
        return [_reason("dismissal_disabled", {"dismiss_secretary": False})]
    org = population[code]
    if org.tier is Tier.DIRECT:
        return [_reason("direct_no_cascade", {"tier": org.tier.value})]
    if not policy.escalation.cascade_to_parent:
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
    event: type[EscalationRecorded] | type[SecretaryDismissed]
    fields: Mapping[str, Any]


def consequences(decisions: Iterable[EscalationDecision], year: int) -> list[Consequence]:
    """What to record for the escalating ``decisions`` of ``year``, in order.

    Each organization's stream ``org:<code>`` holds its escalation; each
    dismissed secretary's organization stream holds the dismissal.  Command
    ids derive from the year and the organization, so recording twice records
    nothing new, and a committee escalating together with one of its branches
    dismisses its secretary once.
    """
    out: list[Consequence] = []
    seen: set[str] = set()
    for decision in decisions:
        if not decision.escalates:
            continue
        cause = f"{year}-{decision.org}"
        out.append(Consequence(org_stream(decision.org), f"escalation:{cause}", EscalationRecorded,
                               {"org": decision.org, "year": year, "streak": decision.streak}))
        for dismissal in decision.dismissals:
            command = f"dismissal:{year}:{dismissal.org}"
            if command in seen:
                continue
            seen.add(command)
            out.append(Consequence(org_stream(dismissal.org), command, SecretaryDismissed, {
                "org": dismissal.org, "person": dismissal.person, "role": dismissal.role,
                "year": year, "cause": cause}))
    return out
