"""Rules every ledger must keep, checked from its events alone (no hypothesis needed).

`check_ledger` replays the events against an independent reference of the
workflow, the permissions, delisting, independence and escalation rules.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import date

import attrs

from rectify.escalation import step_for
from rectify.events import (
    POLICY_STREAM,
    AppraisalRecorded,
    CaseCarriedOver,
    CaseContinued,
    CaseDelisted,
    CaseOpened,
    CaseReopened,
    ConsequenceRecorded,
    EscalationRecorded,
    Event,
    FindingRecorded,
    PlanFiled,
    PlanReturned,
    PolicyChanged,
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
from rectify.model import Person, Tier, in_scope
from rectify.policy import LadderStep, Policy
from rectify.posts import Holdings, Post

__all__ = [
    "COMMAND_OF",
    "LedgerFacts",
    "check_ledger",
    "policy_breaches",
    "scope_breaches",
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
    PolicyChanged: "change_policy",
    CaseContinued: "close_year",
    FindingRecorded: "record_finding",
    ConsequenceRecorded: "open_cases",
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
    opened_years: set[int] = set()
    post_log: list[Event] = []
    escalated_on: dict[tuple[str, int], date] = {}
    for e in events:
        command = COMMAND_OF[type(e)]
        if command not in policy.permissions.commands and command == "record_finding":
            command = "record_talk"  # a policy written before findings: the talk's roles
        if (isinstance(e, FindingRecorded) and e.kind == "last_place") \
                or isinstance(e, ConsequenceRecorded):
            command = "open_cases" if e.stream.startswith("org:") else command
        actor = people.get(e.actor)
        assert actor is not None, f"{e!r}: unknown actor {e.actor}"
        before = records.get(e.stream)
        holdings = Holdings.of(population, post_log)
        missing = missing_right(actor, command, before, population, policy,
                                secretary=functools.partial(_holder, holdings, e.on))
        assert missing is None, f"{e!r} recorded although {e.actor} lacks the right: {missing}"
        if isinstance(e, PolicyChanged):
            continue
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
        _listed_again(e, records, listings)
        if e.stream.startswith(("org:", "person:")):
            continue
        if isinstance(e, CaseOpened):
            assert before is None, f"{e.stream} opened twice"
            assert e.stream == case_id(e.year, e.org)
            assert e.stream not in records, f"two cases of {e.org} in {e.year}"
            listings.setdefault(e.year, set()).add(e.org)
            opened_years.add(e.year)
            ref[e.stream] = _RefCase(e.org, WORKFLOW.initial)
        else:
            assert before is not None, f"{e!r} before its case was opened"
        r = ref[e.stream]
        r.state = _follow(e, r, edges, population)
        records[e.stream] = apply_event(before, e, edges)
        assert records[e.stream].state == r.state
    _check_escalations(population, policy, listings, escalations, dismissals, opened_years,
                       Holdings.of(population, post_log), escalated_on)
    for cid, r in ref.items():
        assert dict(records[cid].support) == r.support, cid
    return LedgerFacts(records, listings, escalations, dismissals)


def _listed_again(e: Event, records: Mapping[str, CaseRecord],
                  listings: dict[int, set[str]]) -> None:
    """Listings an event adds besides a case opened: a case continued, a finding's extension."""
    if isinstance(e, FindingRecorded):
        for extra in range(1, e.extend_years + 1):
            listings.setdefault(e.year + extra, set()).add(e.org)
    elif isinstance(e, CaseContinued):
        # An unfinished case goes on: its organization counts as listed next year.
        record = records[e.stream]
        assert e.into == (record.continued_into or record.year) + 1, e
        listings.setdefault(e.into, set()).add(e.org)


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
                       opened_years: set[int] | None = None,
                       holdings: Holdings | None = None,
                       escalated_on: Mapping[tuple[str, int], date] | None = None) -> None:
    """Escalations and dismissals are exactly those the streaks and the policy call for.

    An organization escalates in a year iff its streak reaches the policy's
    limit.  A secretary is dismissed once per organization and year (a
    committee that escalates together with one of its branches loses its
    secretary once), for a cause that justifies it: the organization's own
    escalation (``secretary``) or, when the policy cascades, the escalation
    of a second-tier branch directly under it (``parent_secretary``).  The
    ``listed`` steps of the policy's ladder say which streak escalates and
    which step dismisses; only years in which cases were opened
    (``opened_years``) or an escalation was recorded are judged.
    """
    steps = policy.escalation.steps()

    def step(org: str, year: int) -> LadderStep | None:
        found = step_for(steps, "listed", _streak(listings, org, year))
        return found[1] if found else None

    # A year is judged once its escalations were decided: cases were opened in it, or
    # an escalation of it was recorded (a year whose only listings are continued cases).
    judged = None if opened_years is None else opened_years | {y for _, y in escalations}
    expected = {(org, year) for year, orgs in listings.items() for org in orgs
                if (judged is None or year in judged) and step(org, year) is not None}
    assert escalations == expected, (
        f"escalations {sorted(escalations)} != expected {sorted(expected)}")
    causes: dict[tuple[str, int], set[tuple[str, str]]] = {}
    for org, year in expected:
        chosen = step(org, year)
        if chosen is not None and chosen.action == "dismissal":
            causes.setdefault((org, year), set()).add(("secretary", f"{year}-{org}"))
            o = population[org]
            if o.tier is Tier.SECOND_TIER and chosen.cascade:
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


def policy_breaches(events: Iterable[Event], current: str | None = None) -> list[str]:
    """Where a ledger's events break "one policy per ledger" (empty: nowhere).

    The ledger's policy is its first event's until a `rectify.events.PolicyChanged`
    on `rectify.events.POLICY_STREAM` adopts another; every other event must
    carry the policy current when it was recorded, and each change must name
    the policy it replaces.  ``current`` is what the store says the ledger's
    policy is now (checked against the events when given).
    """
    messages: list[str] = []
    policy: str | None = None
    for event in events:
        if event.stream == POLICY_STREAM:
            previous = getattr(event, "previous", None)
            if not isinstance(event, PolicyChanged) or previous != policy:
                messages.append(f"{event.stream} v{event.version}: a policy change must name "
                                f"the policy it replaces ({str(policy)[:12]}), names "
                                f"{str(previous)[:12]}")
            policy = event.policy
            continue
        if policy is None:
            policy = event.policy
        elif event.policy != policy:
            messages.append(f"{event.stream} v{event.version} ({type(event).__name__}) was "
                            f"recorded under the policy {event.policy[:12]} while the ledger "
                            f"kept {policy[:12]}")
    if current is not None and current != policy:
        messages.append(f"the store names {current[:12]} as the ledger's policy, its events "
                        f"{str(policy)[:12]}")
    return messages



def scope_breaches(events: Iterable[Event], people: Mapping[str, Person]) -> list[str]:
    """Where an actor changed a case outside its scope (empty: nowhere).

    A case's scope is the one its `CaseOpened` event recorded; every event of
    the case (its opening included) must be by an actor whose
    `rectify.model.Person.scope` covers it (`rectify.model.in_scope`).  Actors
    missing from ``people`` are left to `check_ledger`.
    """
    scopes: dict[str, str] = {}
    messages: list[str] = []
    for event in events:
        if isinstance(event, CaseOpened):
            scopes[event.stream] = event.scope
        if event.stream not in scopes:
            continue
        actor = people.get(event.actor)
        if actor is not None and not in_scope(scopes[event.stream], actor.scope):
            messages.append(f"{event.stream} v{event.version} ({type(event).__name__}) by "
                            f"{actor.id} of the scope {actor.scope}, the case lies in "
                            f"{scopes[event.stream] or 'no scope'}")
    return messages
