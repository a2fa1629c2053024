"""A catalogue of named invariants (不变量) that a policy is expected to keep.

Each `Invariant` has a name, an English and a Chinese description, a
scope and a check function that returns the violation messages (an empty
list when it holds):

- scope ``"identification"`` checks an `IdentificationExample`
  (a population, its assessments for one year);
- scopes ``"campaign"`` and ``"ledger"`` check a `CampaignRun`, the
  result of running a `CampaignExample` (a population, assessments for
  one or more years, a sequence of commands) on the in-memory store.

`CATALOGUE` holds the built-in invariants; `register()` adds your
own (or replaces one of the same name), `get()` and `select()` look
them up.  The examples and the driver that runs them are plain data and code
without hypothesis, so that a saved counterexample can be replayed anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, Literal

import attrs

from rectify.campaign import Campaign
from rectify.events import (
    CaseContinued,
    CaseDelisted,
    CaseOpened,
    CaseReopened,
    Event,
    FindingRecorded,
    PlanFiled,
    PostAppointed,
    PostVacated,
    SecretaryDismissed,
    SupportAssigned,
    SupportReleased,
    TalkRecorded,
    VerificationRecorded,
)
from rectify.forest import Population
from rectify.identify import identify, ranked_indices
from rectify.lifecycle.dates import window
from rectify.model import Assessment, Organization, Tier
from rectify.policy import Policy
from rectify.posts import Holdings, Post
from rectify.stores.chain import verify
from rectify.stores.readmodel import ReadState
from rectify.testing.driver import CampaignRun, run_campaign
from rectify.testing.examples import ACTIONS, CampaignExample, IdentificationExample, Step
from rectify.testing.ledger_rules import check_ledger, policy_breaches, scope_breaches
from rectify.testing.reference import meets

__all__ = [
    "ACTIONS",
    "CATALOGUE",
    "DOMAIN_CONSECUTIVE_YEARS",
    "CampaignExample",
    "CampaignRun",
    "IdentificationExample",
    "Invariant",
    "Scope",
    "Step",
    "date_order_problems",
    "dismissals_once_per_holder",
    "get",
    "ladder_problems",
    "named_while_in_post",
    "names",
    "panels_complete",
    "register",
    "run_campaign",
    "select",
    "stations_within_cap",
    "unfinished_case_continues",
]

Scope = Literal["identification", "campaign", "ledger"]


#: The number of consecutive listings the domain requires before a dismissal (连续两年).
DOMAIN_CONSECUTIVE_YEARS = 2


# -- examples ------------------------------------------------------------------------------
















# -- the campaign driver ---------------------------------------------------------------------










# -- the catalogue ---------------------------------------------------------------------------


@attrs.frozen
class Invariant:
    """A named guarantee: ``check`` returns the violation messages, empty when it holds.

    ``check`` takes ``(policy, example)`` for scope ``"identification"`` (an
    `IdentificationExample`) and ``(policy, run)`` for scopes
    ``"campaign"`` and ``"ledger"`` (a `CampaignRun`).
    """

    name: str
    description: str
    zh: str
    scope: Scope
    check: Callable[[Policy, Any], list[str]] = attrs.field(eq=False, repr=False)


#: The invariants by name, in catalogue order; extend with `register()`.
CATALOGUE: dict[str, Invariant] = {}


def register(invariant: Invariant) -> Invariant:
    """Add ``invariant`` to `CATALOGUE` (replacing one of the same name); return it."""
    if invariant.scope not in ("identification", "campaign", "ledger"):
        raise ValueError(f"unknown scope {invariant.scope!r} of invariant {invariant.name!r}")
    CATALOGUE[invariant.name] = invariant
    return invariant


def names() -> list[str]:
    """The names of the registered invariants, in catalogue order."""
    return list(CATALOGUE)


def get(name: str) -> Invariant:
    """The registered invariant ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise KeyError(f"unknown invariant {name!r}; known: {', '.join(CATALOGUE)}") from None


def select(chosen: Iterable[str | Invariant] | None = None) -> list[Invariant]:
    """Invariants by name or as given; all registered ones when ``chosen`` is ``None``."""
    if chosen is None:
        return list(CATALOGUE.values())
    return [c if isinstance(c, Invariant) else get(c) for c in chosen]


def _invariant(name: str, scope: Scope, description: str, zh: str) -> Callable[
        [Callable[[Policy, Any], list[str]]], Callable[[Policy, Any], list[str]]]:
    def decorate(check: Callable[[Policy, Any], list[str]]) -> Callable[[Policy, Any], list[str]]:
        register(Invariant(name, description, zh, scope, check))
        return check
    return decorate


def _identified(policy: Policy, example: IdentificationExample,
                organizations: Sequence[Organization] | None = None,
                assessments: Sequence[Assessment] | None = None) -> set[str]:
    orgs = list(example.organizations if organizations is None else organizations)
    rows = list(example.assessments if assessments is None else assessments)
    return set(identify(Population(orgs), rows, policy, example.year).listed_codes)


@_invariant("quota_met", "identification",
            "each kind lists at least its quota of the organizations it ranks: listed ≥ the "
            "quota fraction × the number ranked, rounded as the policy says",
            "各类别整顿对象不低于规定比例 (列入数 ≥ 比例 × 参与排名数, 按政策规定取整)")
def _quota_met(policy: Policy, example: IdentificationExample) -> list[str]:
    listed = _identified(policy, example)
    ident = policy.identification
    population = Population(list(example.organizations))
    ranked = ranked_indices(population, policy)
    sizes: dict[str, list[str]] = {}
    for org, in_unit in zip(population.organizations, ranked, strict=True):
        if in_unit:  # the kind's unit of ranking (排名单位): the quota counts only these
            sizes.setdefault(org.kind, []).append(org.code)
    messages = []
    for kind, codes in sorted(sizes.items()):
        if len(codes) < ident.min_group_size:
            continue
        needed = ident.rounding.apply(ident.quota[kind], len(codes))
        got = sum(1 for c in codes if c in listed)
        if got < needed:
            exact = Fraction(repr(ident.quota[kind])) * len(codes)
            messages.append(f"kind {kind}: {got} of {len(codes)} ranked listed, below the quota "
                            f"{ident.quota[kind]:g} × {len(codes)} = {float(exact):g}, rounded "
                            f"{ident.rounding.value} to {needed}")
    return messages


@_invariant("direct_criteria_list", "identification",
            "an organization meeting a direct criterion is always listed",
            "符合直接认定情形的党组织一律列入")
def _direct_criteria_list(policy: Policy, example: IdentificationExample) -> list[str]:
    listed = _identified(policy, example)
    kinds = {o.code: o.kind for o in example.organizations}
    return [f"{a.org} meets a direct criterion (score {a.total:g}) but is not listed"
            for a in example.assessments
            if a.org in kinds and meets(policy, kinds[a.org], a) and a.org not in listed]


@_invariant("identification_deterministic", "identification",
            "identification does not depend on the order of organizations and assessments",
            "认定结果与党组织和测评数据的排列顺序无关")
def _deterministic(policy: Policy, example: IdentificationExample) -> list[str]:
    base = _identified(policy, example)
    orgs = list(example.organizations)
    rows = list(example.assessments)
    orders = {
        "reversed": (orgs[::-1], rows[::-1]),
        "sorted by code": (sorted(orgs, key=lambda o: o.code),
                           sorted(rows, key=lambda a: a.org, reverse=True)),
    }
    messages = []
    for label, (o, r) in orders.items():
        other = _identified(policy, example, o, r)
        if other != base:
            messages.append(f"{label} order lists {sorted(other)} instead of {sorted(base)}")
    return messages


@_invariant("one_case_per_org_year", "campaign",
            "at most one case per organization and year, however often identification runs",
            "同一党组织同一年度只立一个整顿案件")
def _one_case(policy: Policy, run: CampaignRun) -> list[str]:
    seen: dict[tuple[str, int], int] = {}
    for e in run.events:
        if isinstance(e, CaseOpened):
            seen[(e.org, e.year)] = seen.get((e.org, e.year), 0) + 1
    return [f"{org} has {n} cases in {year}" for (org, year), n in sorted(seen.items()) if n > 1]


def _case_log(run: CampaignRun) -> dict[str, list[Event]]:
    streams: dict[str, list[Event]] = {}
    for e in run.events:
        if not e.stream.startswith(("org:", "person:")):
            streams.setdefault(e.stream, []).append(e)
    return streams


@_invariant("delisting_requires_independent_pass", "campaign",
            "a case is delisted only after a passing verification by a team sharing no one "
            "with its supporters",
            "未经独立考核验收合格不得销号")
def _delisting(policy: Policy, run: CampaignRun) -> list[str]:
    messages = []
    for stream, events in _case_log(run).items():
        support: dict[str, str] = {}
        last: VerificationRecorded | None = None
        for e in events:
            if isinstance(e, SupportAssigned):
                support[e.level] = e.person
            elif isinstance(e, SupportReleased):
                support.pop(e.level, None)
            elif isinstance(e, VerificationRecorded):
                last = e
            elif isinstance(e, CaseReopened):
                last = None
            elif isinstance(e, CaseDelisted):
                if last is None or not last.passed:
                    messages.append(f"{stream} delisted without a passing verification")
                elif set(last.team) & set(support.values()):
                    messages.append(f"{stream} delisted although its verifiers "
                                    f"{sorted(set(last.team) & set(support.values()))} "
                                    "support it")
    return messages


@_invariant("rerectification_after_failure", "campaign",
            "a case goes back to rectification (fail_verification) only after a failed "
            "verification",
            "验收不合格方可重新整顿")
def _rerectification(policy: Policy, run: CampaignRun) -> list[str]:
    messages = []
    for e in run.events:
        if "fail_verification" in e.transitions and (
                not isinstance(e, VerificationRecorded) or e.passed):
            messages.append(f"{e.stream} sent back to rectification by {type(e).__name__} "
                            f"v{e.version} without a failed verification")
    return messages


def _listings(run: CampaignRun) -> dict[int, set[str]]:
    listings: dict[int, set[str]] = {}
    for e in run.events:
        if isinstance(e, CaseOpened):
            listings.setdefault(e.year, set()).add(e.org)
        elif isinstance(e, CaseContinued):  # an unfinished case counts as listed again
            listings.setdefault(e.into, set()).add(e.org)
        elif isinstance(e, FindingRecorded):
            for extra in range(1, e.extend_years + 1):
                listings.setdefault(e.year + extra, set()).add(e.org)
    return listings


def _streak(listings: Mapping[int, set[str]], org: str, year: int) -> int:
    n = 0
    while org in listings.get(year - n, ()):
        n += 1
    return n


@_invariant("dismissal_after_repeat_listing", "campaign",
            "no secretary is dismissed for an organization listed fewer than "
            f"{DOMAIN_CONSECUTIVE_YEARS} consecutive years",
            f"党组织连续{DOMAIN_CONSECUTIVE_YEARS}年被列为整顿对象的, 方可免去书记职务")
def _dismissal(policy: Policy, run: CampaignRun) -> list[str]:
    listings = _listings(run)
    messages = []
    for e in run.events:
        if not isinstance(e, SecretaryDismissed):
            continue
        cause_org = e.cause.split("-", 1)[1] if "-" in e.cause else e.org
        streak = _streak(listings, cause_org, e.year)
        if streak < DOMAIN_CONSECUTIVE_YEARS:
            messages.append(f"{e.person} dismissed as {e.role} of {e.org} in {e.year} for "
                            f"{cause_org}, listed {streak} consecutive year(s) "
                            f"(< {DOMAIN_CONSECUTIVE_YEARS})")
    return messages


@_invariant("cascade_only_to_parent", "campaign",
            "a dismissal cascades only from a second-tier branch to its direct parent",
            "问责延伸仅限二级党组织的上级党组织书记")
def _cascade(policy: Policy, run: CampaignRun) -> list[str]:
    population = run.population
    messages = []
    for e in run.events:
        if not isinstance(e, SecretaryDismissed) or e.role != "parent_secretary":
            continue
        cause_org = e.cause.split("-", 1)[1]
        cause = population.get(cause_org)
        if cause is None or cause.tier is not Tier.SECOND_TIER or cause.parent != e.org:
            messages.append(f"{e.person} of {e.org} dismissed as parent secretary for "
                            f"{cause_org}, which is not a second-tier branch directly under it")
    return messages


@_invariant("ledger_append_only_and_verifies", "ledger",
            "the ledger only grows and its SHA-256 hash chain verifies",
            "台账只增不改, 哈希链校验通过")
def _ledger(policy: Policy, run: CampaignRun) -> list[str]:
    messages = []
    for before, after in zip(run.snapshots, run.snapshots[1:], strict=False):
        if after[: len(before)] != before:
            messages.append("an earlier ledger entry changed between years")
    report = verify(run.store)
    if not report.ok:
        messages.append(str(report))
    return messages


@_invariant("replay_equals_live", "ledger",
            "replaying the ledger into a fresh campaign gives the same cases and records",
            "重放台账所得状态与实时状态一致")
def _replay(policy: Policy, run: CampaignRun) -> list[str]:
    fresh = Campaign(policy, run.store, population=run.population, people=list(run.people))
    messages = []
    if fresh.cases() != run.campaign.cases():
        messages.append("replayed cases differ from the live ones")
    if fresh.records() != run.campaign.records():
        messages.append("replayed accountability records differ from the live ones")
    if fresh.listings() != run.campaign.listings():
        messages.append("replayed listings differ from the live ones")
    return messages


@_invariant("ledger_rules", "ledger",
            "every event follows an edge of the workflow, by an actor with the right, and "
            "escalations are exactly those the policy asks for "
            "(rectify.testing.ledger_rules.check_ledger)",
            "台账每条记录符合流程定义、权限和问责规则")
def _ledger_rules(policy: Policy, run: CampaignRun) -> list[str]:
    try:
        check_ledger(run.events, run.population, policy, {p.id: p for p in run.people})
    except AssertionError as exc:
        return [str(exc) or "check_ledger failed"]
    return []


def date_order_problems(events: Iterable[Event], policy: Policy) -> list[str]:
    """Where ``events`` break "dates run forward" (empty: nowhere).

    Each stream's events (a case's, a person's) are in date order, and each
    case's events lie within the policy's date window around the case's year
    (`rectify.lifecycle.dates.window`).
    """
    last: dict[str, Event] = {}
    years: dict[str, int] = {}
    messages = []
    for e in events:
        before = last.get(e.stream)
        if before is not None and e.on < before.on:
            messages.append(f"{e.stream}: {type(e).__name__} v{e.version} on {e.on} comes "
                            f"after {type(before).__name__} v{before.version} on {before.on}")
        last[e.stream] = e
        if isinstance(e, CaseOpened):
            years[e.stream] = e.year
        year = years.get(e.stream)
        if year is not None:
            first, end = window(policy, year)
            if not first <= e.on <= end:
                messages.append(f"{e.stream}: {type(e).__name__} v{e.version} on {e.on} lies "
                                f"outside the date window {first} to {end} of {year}")
    return messages


@_invariant("events_in_date_order", "campaign",
            "a case's (and a person's) events are in date order, within the policy's date "
            "window around the case's year",
            "整顿案件和个人记录的日期先后有序, 且不超出政策规定的年度日期范围")
def _events_in_date_order(policy: Policy, run: CampaignRun) -> list[str]:
    return date_order_problems(run.events, policy)


@_invariant("one_policy_per_ledger", "ledger",
            "every event carries the ledger's current policy: the first event's, or after a "
            "recorded policy change the new one's",
            "同一台账只执行一套政策, 调整政策须留痕, 调整后的记录均按新政策")
def _one_policy(policy: Policy, run: CampaignRun) -> list[str]:
    return policy_breaches(run.store.replay(), run.store.current_policy())


@_invariant("no_change_outside_scope", "ledger",
            "no case is changed by an actor whose scope (a county or a province) does not "
            "cover the case's",
            "干部只能办理本辖区的整顿案件")
def _in_scope(policy: Policy, run: CampaignRun) -> list[str]:
    return scope_breaches(run.store.replay(), {p.id: p for p in run.people})


# -- over the years (issue #11): carry-over that continues, monotone ladders -----------------


def unfinished_case_continues(campaign: Campaign, year: int, closed: Sequence[str]) -> list[str]:
    """Why the cases ``closed`` by closing ``year`` did not go on (empty: every one did).

    A case ends only by being delisted: each one closed either continues,
    still open, into the next year, or is carried over into the
    organization's case of the next year; either way the organization counts
    as listed in the next year.
    """
    messages: list[str] = []
    listed = campaign.listings().get(year + 1, frozenset())
    for cid in closed:
        case = campaign.case(cid)
        continued = case.is_open and case.continued_into == year + 1
        relisted = (case.state == "carried_over"
                    and campaign.store.case(f"{year + 1}-{case.org}") is not None)
        if not (continued or relisted):
            messages.append(f"{cid} ({case.state}) neither continues into {year + 1} nor has "
                            "a case there: an unfinished case just ended")
        if case.org not in listed:
            messages.append(f"{case.org} is not listed in {year + 1} although its case {cid} "
                            "was not delisted")
    return messages


def ladder_problems(policy: Policy) -> list[str]:
    """Why the policy's escalation ladder is not monotone (empty: it is).

    For each basis (and grade or finding kind), a step needing more years is
    never weaker than one needing fewer, and no two steps need the same years.
    """
    from rectify.escalation import step_for

    messages: list[str] = []
    steps = policy.escalation.steps()
    for basis in sorted({s.basis for s in steps}):
        keys = {(tuple(sorted(s.grades)), s.finding) for s in steps if s.basis == basis}
        for grades, finding in sorted(keys):
            rung = [s for s in steps if s.basis == basis and tuple(sorted(s.grades)) == grades
                    and s.finding == finding]
            top = max(s.years for s in rung)
            previous = None
            for run in range(1, top + 2):
                found = step_for(rung, basis, run, grade=grades[0] if grades else None,
                                 finding=finding or None)
                if found is None:
                    continue
                if previous is not None and found[1].strength < previous.strength:
                    messages.append(f"{basis}: after {run} years the step {found[1].action} is "
                                    f"weaker than {previous.action} after fewer years")
                previous = found[1]
            if len({s.years for s in rung}) != len(rung):
                messages.append(f"{basis}: two steps need the same number of years")
    return messages


@_invariant("unfinished_case_continues", "campaign",
            "a case not delisted at a year's close goes on into the next year (continued or "
            "carried over into that year's case), and its organization counts as listed there",
            "年度结束未销号的整顿对象转入下年度继续整顿, 并计入下年度列入")
def _unfinished_continue(policy: Policy, run: CampaignRun) -> list[str]:
    messages: list[str] = []
    listings = run.campaign.listings()
    for case in run.campaign.cases():
        if case.continued_into is not None and case.org not in listings.get(
                case.continued_into, frozenset()):
            messages.append(f"{case.id} continued into {case.continued_into} but its "
                            "organization is not listed there")
        if case.state == "carried_over" and run.campaign.store.case(
                f"{case.year + 1}-{case.org}") is None:
            messages.append(f"{case.id} was carried over without a case in {case.year + 1}")
    return messages


@_invariant("ladder_monotone", "campaign",
            "a later step of the escalation ladder (more years of the same basis) is never "
            "weaker than an earlier one",
            "问责阶梯逐级递进: 同一依据年数越多, 措施不轻于前一级")
def _ladder_monotone(policy: Policy, run: CampaignRun) -> list[str]:
    return ladder_problems(policy)


# -- posts, panels and stations (组织调整, 验收, 驻村) ------------------------------------------


def dismissals_once_per_holder(events: Sequence[Event], population: Population) -> list[str]:
    """Each dismissal names the post's holder on its date, and nobody is dismissed from a
    post twice."""
    messages: list[str] = []
    seen: set[tuple[str, str]] = set()
    posts: list[Event] = []
    for e in events:
        if isinstance(e, SecretaryDismissed):
            held = Holdings.of(population, posts).who_held(Post(e.org), e.on)
            if e.person != held:
                messages.append(f"{e.person} dismissed from the secretary post of {e.org} on "
                                f"{e.on}, which {held or 'nobody'} held")
            if e.person is not None:
                if (e.org, e.person) in seen:
                    messages.append(f"{e.person} dismissed twice from the secretary post of "
                                    f"{e.org}")
                seen.add((e.org, e.person))
        if isinstance(e, SecretaryDismissed | PostAppointed | PostVacated):
            posts.append(e)
    return messages


def named_while_in_post(events: Sequence[Event], population: Population) -> list[str]:
    """Nobody is named (responsible, supporter, verifier, recorder, talked to) on a date
    after they lost the post they held."""
    holdings = Holdings.of(population, events)
    messages: list[str] = []
    for e in events:
        named: list[str] = []
        if isinstance(e, PlanFiled):
            named = list(e.responsible)
        elif isinstance(e, SupportAssigned | TalkRecorded):
            named = [e.person]
        elif isinstance(e, VerificationRecorded):
            named = [*e.team, e.actor]
        for person in named:
            lost = holdings.lost_post(person, e.on)
            if lost:
                messages.append(f"{type(e).__name__} on {e.stream} names {person} on {e.on}, "
                                f"after they lost {', '.join(p.org for p in lost)}")
    return messages


def panels_complete(events: Sequence[Event], policy: Policy) -> list[str]:
    """Every verification counts the votes of the whole panel (or the policy's quorum)."""
    rules = policy.verification
    needed = rules.min_votes or rules.panel_size
    messages = []
    for e in events:
        if isinstance(e, VerificationRecorded):
            total = e.satisfied + e.basically_satisfied + e.dissatisfied
            if not needed <= total <= rules.panel_size:
                messages.append(f"verification of {e.stream} on {e.on} counts {total} votes "
                                f"(expected {needed} to {rules.panel_size})")
    return messages


def stations_within_cap(events: Sequence[Event], policy: Policy) -> list[str]:
    """No first secretary is stationed at more open cases at once than the policy allows."""
    cap = policy.coverage.max_stations_per_first_secretary
    state = ReadState()
    messages = []
    for position, e in enumerate(events, 1):
        state.apply(position, e)
        if isinstance(e, SupportAssigned) and e.level == "first_secretary":
            stations = state.load(e.person, "first_secretary")
            if stations > cap:
                messages.append(f"{e.person} stationed at {stations} open cases on {e.on} "
                                f"(cap {cap})")
    return messages


@_invariant("one_dismissal_per_post_holder", "ledger",
            "a dismissal names the holder of the post on its date, once per post and person",
            "免职针对当日在任者, 同一职务同一人只免一次")
def _one_dismissal(policy: Policy, run: CampaignRun) -> list[str]:
    return dismissals_once_per_holder(run.events, run.population)


@_invariant("named_only_while_in_post", "ledger",
            "nobody is named in a plan, support, talk or verification after losing their post",
            "免职后不得再被列为责任人、包扶人、约谈对象或验收人员")
def _named_in_post(policy: Policy, run: CampaignRun) -> list[str]:
    return named_while_in_post(run.events, run.population)


@_invariant("verification_panels_complete", "ledger",
            "every verification counts the whole panel's votes (or the policy's quorum)",
            "群众测评票数达到测评组规定人数")
def _panels(policy: Policy, run: CampaignRun) -> list[str]:
    return panels_complete(run.events, policy)


@_invariant("one_station_per_first_secretary", "ledger",
            "a first secretary is stationed at no more open cases than the policy allows",
            "第一书记同一时间驻村数不超过规定")
def _stations(policy: Policy, run: CampaignRun) -> list[str]:
    return stations_within_cap(run.events, policy)
