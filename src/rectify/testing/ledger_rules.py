"""Rules every ledger must keep, checked from its events alone (no hypothesis needed).

`check_ledger` replays the events against an independent reference of the
workflow, the permissions, delisting, independence and escalation rules.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import date

import attrs

from rectify.events import (
    AppraisalRecorded,
    CaseCarriedOver,
    CaseDelisted,
    CaseOpened,
    CaseReopened,
    EscalationRecorded,
    Event,
    PlanFiled,
    PlanReturned,
    PostAppointed,
    PostVacated,
    ReportRecorded,
    SecretaryDismissed,
    SupportAssigned,
    SupportReleased,
    TalkRecorded,
    VerificationRecorded,
    VerificationRequested,
)
from rectify.forest import Population
from rectify.lifecycle.case import CaseRecord, case_id
from rectify.lifecycle.permissions import missing_right
from rectify.lifecycle.projection import apply_event
from rectify.lifecycle.workflow import WORKFLOW
from rectify.model import Person, Tier
from rectify.policy import Policy
from rectify.posts import Holdings, Post

__all__ = [
    "COMMAND_OF",
    "LedgerFacts",
    "check_ledger",
]


#: The command that records each event type.
COMMAND_OF: Mapping[type[Event], str] = {
    CaseOpened: "open_cases",
    EscalationRecorded: "open_cases",
    SecretaryDismissed: "open_cases",
    PlanFiled: "file_plan",
    PlanReturned: "return_plan",
    SupportAssigned: "assign_support",
    SupportReleased: "release_support",
    ReportRecorded: "record_report",
    VerificationRequested: "request_verification",
    VerificationRecorded: "record_verification",
    CaseDelisted: "delist",
    CaseReopened: "reopen",
    CaseCarriedOver: "close_year",
    TalkRecorded: "record_talk",
    AppraisalRecorded: "record_appraisal",
    PostAppointed: "appoint",
    PostVacated: "vacate",
}


@attrs.define
class _RefCase:
    """The reference projection of one case, computed independently of rectify.lifecycle.case."""

    org: str
    state: str
    support: dict[str, str] = attrs.Factory(dict)
    last_verification: tuple[bool, tuple[str, ...]] | None = None


@attrs.frozen
class LedgerFacts:
    """What `check_ledger()` found: the cases replayed and the accountability records."""

    cases: dict[str, CaseRecord]
    listings: dict[int, set[str]]
    escalations: set[tuple[str, int]]
    dismissals: set[tuple[str, str | None, str, str]]


def _streak(listings: Mapping[int, set[str]], org: str, year: int) -> int:
    n = 0
    while org in listings.get(year - n, ()):
        n += 1
    return n


def check_ledger(events: Iterable[Event], population: Population, policy: Policy,  # noqa: PLR0915
                 people: Mapping[str, Person]) -> LedgerFacts:
    """Check every event of a ledger against the rules; raise ``AssertionError`` on a breach.

    The state of each case is followed on the workflow *definition*'s edges
    (not the compiled table) and its supporters and latest verification are
    kept independently of `rectify.lifecycle.case.apply_event()`.
    """
    edges = {(s, t): d for s, t, d in WORKFLOW.edges()}
    records: dict[str, CaseRecord] = {}
    ref: dict[str, _RefCase] = {}
    listings: dict[int, set[str]] = {}
    escalations: set[tuple[str, int]] = set()
    dismissals: set[tuple[str, str | None, str, str]] = set()
    post_log: list[Event] = []
    escalated_on: dict[tuple[str, int], date] = {}
    for e in events:
        command = COMMAND_OF[type(e)]
        actor = people.get(e.actor)
        assert actor is not None, f"{e!r}: unknown actor {e.actor}"
        before = records.get(e.stream)
        holdings = Holdings.of(population, post_log)
        missing = missing_right(actor, command, before, population, policy,
                                secretary=functools.partial(_holder, holdings, e.on))
        assert missing is None, f"{e!r} recorded although {e.actor} lacks the right: {missing}"
        if isinstance(e, EscalationRecorded):
            assert e.stream == f"org:{e.org}"
            assert (e.org, e.year) not in escalations, f"escalation recorded twice: {e!r}"
            escalations.add((e.org, e.year))
            escalated_on[(e.org, e.year)] = e.on
            continue
        if isinstance(e, SecretaryDismissed):
            key = (e.org, e.person, e.role, e.cause)
            assert key not in dismissals, f"dismissal recorded twice: {e!r}"
            assert e.cause.startswith(f"{e.year}-"), e
            post = Post(e.org)
            held = holdings.who_held(post, e.on)
            assert e.person == held, f"{e!r} names {e.person}, but {held} holds the post"
            assert e.person is None or not holdings.was_dismissed(post, e.person), (
                f"{e.person} dismissed twice from the secretary post of {e.org}")
            dismissals.add(key)
            post_log.append(e)
            continue
        if isinstance(e, PostAppointed | PostVacated):
            assert e.stream == f"org:{e.org}", e
            assert e.org in population, f"{e!r}: unknown organization"
            post_log.append(e)
            continue
        if e.stream.startswith(("org:", "person:")):
            continue
        if isinstance(e, CaseOpened):
            assert before is None, f"{e.stream} opened twice"
            assert e.stream == case_id(e.year, e.org)
            assert e.org not in listings.get(e.year, ()), f"two cases of {e.org} in {e.year}"
            listings.setdefault(e.year, set()).add(e.org)
            ref[e.stream] = _RefCase(e.org, WORKFLOW.initial)
        else:
            assert before is not None, f"{e!r} before its case was opened"
        r = ref[e.stream]
        r.state = _follow(e, r, edges, population)
        records[e.stream] = apply_event(before, e, edges)
        assert records[e.stream].state == r.state
    _check_escalations(population, policy, listings, escalations, dismissals,
                       Holdings.of(population, post_log), escalated_on)
    for cid, r in ref.items():
        assert dict(records[cid].support) == r.support, cid
    return LedgerFacts(records, listings, escalations, dismissals)


def _follow(e: Event, r: _RefCase, edges: Mapping[tuple[str, str], str],
            population: Population) -> str:
    """Check one case event against the reference case ``r``; update it; return the new state."""
    state = r.state
    for trigger in e.transitions:
        assert (state, trigger) in edges, f"{e!r}: {trigger} is no edge from {state}"
        state = edges[(state, trigger)]
    if "fail_verification" in e.transitions:
        assert isinstance(e, VerificationRecorded), f"re-rectification by {e!r}"
        assert not e.passed, f"re-rectification without a failed verification: {e!r}"
    if isinstance(e, VerificationRecorded):
        assert r.state == "verifying", f"verification of a case in {r.state}: {e!r}"
        assert e.transitions == (("pass_verification",) if e.passed
                                 else ("fail_verification",)), e
        clash = set(e.team) & (set(r.support.values())
                               | set(population.chain_secretaries(r.org)))
        assert not clash, f"verifiers {clash} support {e.stream} or sit in its chain"
        r.last_verification = (e.passed, e.team)
    elif isinstance(e, CaseDelisted):
        assert r.state == "accepted", f"delisted from {r.state}: {e!r}"
        last = r.last_verification
        assert last is not None, f"{e.stream} delisted without a verification: {e!r}"
        assert last[0], f"{e.stream} delisted without a passing verification: {e!r}"
        shared = set(last[1]) & set(r.support.values())
        assert not shared, f"{e.stream} delisted although {shared} verified and support it"
    elif isinstance(e, CaseReopened):
        r.last_verification = None
    elif isinstance(e, SupportAssigned):
        r.support[e.level] = e.person
    elif isinstance(e, SupportReleased):
        assert r.support.pop(e.level, None) == e.person, e
    return state


def _check_escalations(population: Population, policy: Policy,
                       listings: Mapping[int, set[str]], escalations: set[tuple[str, int]],
                       dismissals: set[tuple[str, str | None, str, str]],
                       holdings: Holdings | None = None,
                       escalated_on: Mapping[tuple[str, int], date] | None = None) -> None:
    """Escalations and dismissals are exactly those the streaks and the policy call for.

    An organization escalates in a year iff its streak reaches the policy's
    limit.  A secretary is dismissed once per organization and year (a
    committee that escalates together with one of its branches loses its
    secretary once), for a cause that justifies it: the organization's own
    escalation (``secretary``) or, when the policy cascades, the escalation
    of a second-tier branch directly under it (``parent_secretary``).
    """
    limit = policy.escalation.consecutive_years
    expected = {(org, year) for year, orgs in listings.items() for org in orgs
                if _streak(listings, org, year) >= limit}
    assert escalations == expected, (
        f"escalations {sorted(escalations)} != expected {sorted(expected)}")
    causes: dict[tuple[str, int], set[tuple[str, str]]] = {}
    if policy.escalation.dismiss_secretary:
        for org, year in expected:
            causes.setdefault((org, year), set()).add(("secretary", f"{year}-{org}"))
            o = population[org]
            if o.tier is Tier.SECOND_TIER and policy.escalation.cascade_to_parent:
                assert o.parent is not None
                causes.setdefault((o.parent, year), set()).add(
                    ("parent_secretary", f"{year}-{org}"))
    seen: set[tuple[str, int]] = set()
    for org, person, role, cause in dismissals:
        year = int(cause.split("-", 1)[0])
        assert (org, year) not in seen, f"{org}'s secretary dismissed twice in {year}"
        seen.add((org, year))
        assert (role, cause) in causes.get((org, year), ()), (
            f"dismissal of {org}'s secretary as {role} for {cause} is not justified "
            f"(justified: {sorted(causes.get((org, year), ()))})")
        if holdings is None:
            assert person == population[org].secretary, f"{person} is not {org}'s secretary"
    missing = set(causes) - seen
    if holdings is not None and escalated_on is not None:
        # A post whose holder was already dismissed from it dismisses nobody again.
        missing = {(org, year) for org, year in missing
                   if not _already_dismissed(holdings, org, year, escalated_on)}
    assert not missing, f"dismissals missing for {sorted(missing)}"


def _holder(holdings: Holdings, on: date, org: str) -> str | None:
    return holdings.holder(org, on=on)


def _already_dismissed(holdings: Holdings, org: str, year: int,
                       escalated_on: Mapping[tuple[str, int], date]) -> bool:
    days = [on for (o, y), on in escalated_on.items() if y == year]
    if not days:
        return False
    holder = holdings.who_held(Post(org), min(days))
    return holder is not None and holdings.was_dismissed(Post(org), holder)
