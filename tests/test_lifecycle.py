"""The case lifecycle through the Campaign facade: guards, permissions, idempotency, replay."""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path

import pytest

from rectify import (
    Campaign,
    CommandRefused,
    ConcurrencyConflict,
    Organization,
    OrgForm,
    PermissionDenied,
    Person,
    Plan,
    Population,
    Tier,
    UnknownCaseError,
    Votes,
    load_policy,
)
from rectify.events import CaseOpened
from rectify.identify import identify
from rectify.lifecycle.workflow import mermaid
from rectify.model import Assessment
from rectify.stores import Append, MemoryStore

DAY = date(2017, 3, 1)
DEPT = Person("D1", "组织部干部", roles={"org_department"})
FS = Person("F1", "第一书记", roles={"first_secretary"})
FS2 = Person("F2", "另一第一书记", roles={"first_secretary"})
SUP = Person("S1", "督办", roles={"committee_supervisor"})
VER = Person("R1", "验收员", roles={"verifier"})
VER2 = Person("R2", "验收员二", roles={"verifier"})
SEC = Person("P-V1", "村书记", roles={"secretary"})
LEADER = Person("L1", "县级领导", roles={"county_leader"})
UNIT = Person("U1", "共建单位干部", roles={"paired_unit"}, unit="县财政局")
OTHER = Person("P-X", "他人", roles={"secretary"})
LEVELS = [("leader_contact", "L1"), ("org_guidance", "D1"), ("paired_unit", "U1"),
          ("committee_supervisor", "S1"), ("first_secretary", "F1")]
PLAN = Plan(problems=[("venue_nonstandard", "场所"), ("rules_not_kept", "制度")],
            measures=["修缮"], responsible=["P-V1"], deadline=date(2017, 6, 30))


def _campaign(store: MemoryStore | None = None) -> Campaign:
    orgs = [Organization("V0", "乡镇党委", "township", Tier.DIRECT, OrgForm.COMMITTEE,
                         secretary="P-V0"),
            Organization("V1", "村党支部", "village", Tier.SECOND_TIER, parent="V0",
                         secretary="P-V1")]
    population = Population(orgs)
    campaign = Campaign(load_policy(), store, population=population,
                        people=[DEPT, FS, FS2, SUP, VER, VER2, SEC, LEADER, UNIT, OTHER])
    if not campaign.cases():
        rows = [Assessment("V0", 2017, 95.0), Assessment("V1", 2017, 40.0)]
        campaign.open_cases(identify(population, rows, campaign.policy, 2017), actor=DEPT,
                            on=DAY)
    return campaign


def _supported(campaign: Campaign) -> None:
    campaign.file_plan("2017-V1", PLAN, actor=DEPT, on=DAY)
    for level, person in LEVELS:
        campaign.assign_support("2017-V1", level, person, actor=DEPT, on=DAY)


def _verifying(campaign: Campaign) -> None:
    _supported(campaign)
    campaign.record_report("2017-V1", "progress", "2017-04", actor=FS, on=DAY,
                           resolved=["venue_nonstandard", "rules_not_kept"])
    campaign.request_verification("2017-V1", actor=SUP, on=DAY)


def _refused(campaign: Campaign, call: object, match: str) -> CommandRefused:
    before = (len(campaign.store), campaign.case("2017-V1"))  # type: ignore[arg-type]
    with pytest.raises(CommandRefused, match=match) as info:
        call()  # type: ignore[operator]
    assert (len(campaign.store), campaign.case("2017-V1")) == before  # type: ignore[arg-type]
    return info.value


def test_a_case_runs_from_identified_to_delisted() -> None:
    """The happy path, with the states the workflow defines."""
    c = _campaign()
    assert c.case("2017-V1").state == "identified"
    _verifying(c)
    assert c.case("2017-V1").state == "verifying"
    c.record_verification("2017-V1", 85, Votes(10, 4, 1), ["R1"], actor=VER, on=DAY)
    assert c.delist("2017-V1", actor=DEPT, on=DAY).state == "delisted"
    assert [e.transitions for e in c.history("2017-V1") if e.transitions][-1] == ("delist",)


def test_vague_plans_and_bad_deadlines_are_refused_with_every_gap() -> None:
    """Missing problems, measures, people, deadline and unknown aspects are all named."""
    c = _campaign()
    bad = Plan(problems=[("weather", "")], measures=[" "], responsible=[], deadline=None)
    err = _refused(c, lambda: c.file_plan("2017-V1", bad, actor=DEPT, on=DAY), "cannot file")
    assert len(err.unmet) == 5
    assert err.state == "identified"
    late = Plan(PLAN.problems, PLAN.measures, PLAN.responsible, date(2019, 1, 1))
    _refused(c, lambda: c.file_plan("2017-V1", late, actor=DEPT, on=DAY), "beyond the limit")
    early = Plan(PLAN.problems, PLAN.measures, PLAN.responsible, DAY)
    _refused(c, lambda: c.file_plan("2017-V1", early, actor=DEPT, on=DAY), "not after")


def test_triggers_outside_their_states_are_refused() -> None:
    """Commands in the wrong state name the state and the trigger."""
    c = _campaign()
    _refused(c, lambda: c.request_verification("2017-V1", actor=DEPT, on=DAY),
             r"request_verification is not possible in state identified.*no plan on file")
    _refused(c, lambda: c.delist("2017-V1", actor=DEPT, on=DAY), "no passing verification")
    _refused(c, lambda: c.reopen("2017-V1", "relapse", actor=DEPT, on=DAY), "never delisted")
    _refused(c, lambda: c.return_plan("2017-V1", "vague", actor=DEPT, on=DAY),
             "return_plan is not possible")


def test_verification_needs_everything_resolved_and_supported() -> None:
    """The example message of the issue: unresolved problems and a missing level together."""
    c = _campaign()
    c.file_plan("2017-V1", PLAN, actor=DEPT, on=DAY)
    for level, person in LEVELS[:-1]:
        c.assign_support("2017-V1", level, person, actor=DEPT, on=DAY)
    err = _refused(c, lambda: c.request_verification("2017-V1", actor=DEPT, on=DAY),
                   "2 problem")
    assert "first_secretary not assigned" in str(err)
    assert err.state == "planned"


def test_failed_verification_returns_with_a_new_deadline_and_counts() -> None:
    """Failing sends the case back to supported; a veto by dissatisfaction fails a high score."""
    c = _campaign()
    _verifying(c)
    record = c.record_verification("2017-V1", 95, Votes(4, 3, 8), ["R1"], actor=VER, on=DAY)
    assert (record.state, record.attempts, record.passed) == ("supported", 1, False)
    assert record.deadline == date(2017, 5, 30)
    assert record.unresolved == ("venue_nonstandard", "rules_not_kept")
    assert "veto" in c.history("2017-V1")[-1].reasons[0]  # type: ignore[attr-defined]


def test_verifiers_must_be_independent_and_votes_sane() -> None:
    """Supporters and the organization's own secretaries never verify; votes are checked."""
    c = _campaign()
    _verifying(c)
    _refused(c, lambda: c.record_verification("2017-V1", 90, Votes(10, 0, 0), ["R1", "F1"],
                                              actor=VER, on=DAY), "F1")
    _refused(c, lambda: c.record_verification("2017-V1", 90, Votes(10, 0, 0), ["P-V0"],
                                              actor=VER, on=DAY), "P-V0")
    _refused(c, lambda: c.record_verification("2017-V1", 90, Votes(10, 10, 0), ["R1"],
                                              actor=VER, on=DAY), "panel of 15")
    _refused(c, lambda: c.record_verification("2017-V1", 190, Votes(1, 0, 0), ["R1"],
                                              actor=VER, on=DAY), "outside")
    _refused(c, lambda: c.record_verification("2017-V1", 90, Votes(1, 0, 0), [],
                                              actor=VER, on=DAY), "team is empty")


def test_support_guards() -> None:
    """Unknown levels, releasing nothing and a past verifier as supporter are refused."""
    c = _campaign()
    _refused(c, lambda: c.assign_support("2017-V1", "mayor", "X", actor=DEPT, on=DAY),
             "unknown support level")
    _refused(c, lambda: c.release_support("2017-V1", "paired_unit", actor=DEPT, on=DAY),
             "not assigned")
    _refused(c, lambda: c.assign_support("2017-V1", "paired_unit", "P-V0", actor=DEPT, on=DAY),
             "chain")
    c.assign_support("2017-V1", "paired_unit", "U1", actor=DEPT, on=DAY)
    assert c.release_support("2017-V1", "paired_unit", actor=DEPT, on=DAY).support == ()


def test_reports_are_checked() -> None:
    """Unknown kinds, malformed months and aspects outside the plan are refused."""
    c = _campaign()
    _supported(c)
    _refused(c, lambda: c.record_report("2017-V1", "diary", "2017-4", actor=FS, on=DAY,
                                        resolved=["team_incomplete"]),
             "report kind.*month.*not problems")


def test_permissions_name_the_actor_command_and_right() -> None:
    """Wrong roles and out-of-scope actors are refused; nothing changes."""
    c = _campaign()
    _supported(c)
    before = len(c.store)
    with pytest.raises(PermissionDenied, match="needs one of the roles org_department"):
        c.assign_support("2017-V1", "paired_unit", "U2", actor=FS, on=DAY)
    with pytest.raises(PermissionDenied, match="assigned as first_secretary"):
        c.record_report("2017-V1", "work_plan", "2017-04", actor=FS2, on=DAY)
    with pytest.raises(PermissionDenied, match="unknown actor"):
        c.delist("2017-V1", actor="nobody", on=DAY)
    with pytest.raises(PermissionDenied) as info:
        c.record_verification("2017-V1", 90, Votes(1, 0, 0), ["R1"], actor=DEPT, on=DAY)
    assert (info.value.actor, info.value.command, info.value.case) == (
        "D1", "record_verification", "2017-V1")
    assert len(c.store) == before
    fresh = _campaign()
    fresh.file_plan("2017-V1", PLAN, actor=SEC, on=DAY)
    assert fresh.return_plan("2017-V1", "太笼统", actor=DEPT, on=DAY).state == "identified"
    with pytest.raises(PermissionDenied, match="the secretary"):
        fresh.file_plan("2017-V1", PLAN, actor=Person("P-X", "他人", roles={"secretary"}),
                        on=DAY)


def test_refusals_and_denials_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    """One structured record per refusal and per transition when the host enables logging."""
    c = _campaign()
    with caplog.at_level(logging.INFO, logger="rectify"):
        with pytest.raises(CommandRefused):
            c.delist("2017-V1", actor=DEPT, on=DAY)
        c.file_plan("2017-V1", PLAN, actor=DEPT, on=DAY)
    refused = [r for r in caplog.records if r.getMessage() == "command.refused"]
    moved = [r for r in caplog.records if r.getMessage() == "case.transition"]
    assert [(r.command, r.case, r.levelno) for r in refused] == [  # type: ignore[attr-defined]
        ("delist", "2017-V1", logging.WARNING)]
    assert [(r.triggers, r.dest) for r in moved] == [  # type: ignore[attr-defined]
        (["file_plan"], "planned")]


def test_commands_are_idempotent_by_command_id() -> None:
    """Repeating a command id records nothing more."""
    c = _campaign()
    c.file_plan("2017-V1", PLAN, actor=DEPT, on=DAY, command_id="cmd-1")
    size = len(c.store)
    again = c.file_plan("2017-V1", PLAN, actor=DEPT, on=DAY, command_id="cmd-1")
    assert len(c.store) == size
    assert again.state == "planned"


def test_replay_rebuilds_the_same_state_and_reopen_works() -> None:
    """A campaign built on the same store sees the same cases, follow-up reopens a relapse."""
    store = MemoryStore()
    c = _campaign(store)
    _verifying(c)
    c.record_verification("2017-V1", 85, Votes(10, 4, 1), ["R1"], actor=VER, on=DAY)
    c.delist("2017-V1", actor=DEPT, on=DAY)
    again = _campaign(store)
    assert again.cases() == c.cases()
    _refused(c, lambda: c.reopen("2017-V1", "relapse", actor=DEPT, on=date(2018, 6, 1)),
             "follow-up ended")
    assert c.reopen("2017-V1", "复发", actor=DEPT, on=date(2017, 9, 1)).state == "supported"


def test_one_case_per_organization_and_year() -> None:
    """Opening the same identification twice reports the existing case."""
    c = _campaign()
    rows = [Assessment("V0", 2017, 95.0), Assessment("V1", 2017, 40.0)]
    result = c.open_cases(identify(c.population, rows, c.policy, 2017), actor=DEPT, on=DAY)
    assert result.opened == ()
    assert result.existing == ("2017-V1",)


def test_two_campaigns_share_one_store_and_unknown_cases_are_typed() -> None:
    """A second campaign on the store sees the first one's command at once (no stale copy).

    A stale append straight to the store still gets a ConcurrencyConflict naming
    both versions; unknown ids are typed.
    """
    store = MemoryStore()
    first = _campaign(store)
    second = _campaign(store)
    first.file_plan("2017-V1", PLAN, actor=DEPT, on=DAY)
    assert second.case("2017-V1").state == "planned"
    with pytest.raises(CommandRefused, match="file_plan is not possible in state planned"):
        second.file_plan("2017-V1", PLAN, actor=DEPT, on=DAY, command_id="again")
    # The same plan by the same actor on the same day is the same command: a retry.
    assert second.file_plan("2017-V1", PLAN, actor=DEPT, on=DAY).version == 2
    with pytest.raises(UnknownCaseError, match="2099-X"):
        first.case("2099-X")
    with pytest.raises(ConcurrencyConflict) as info:
        store.append([Append("2017-V1", 0, (CaseOpened(
            stream="2017-V1", version=1, actor="x", on=DAY, policy="p", command="c", org="V1",
            year=2017, kind="village", rules=(), score=1.0),), "c")])
    assert (info.value.expected, info.value.actual) == (0, 2)


def test_the_docs_diagram_is_the_generated_one() -> None:
    """docs/lifecycle.md shows exactly what mermaid() generates."""
    text = (Path(__file__).parent.parent / "docs" / "lifecycle.md").read_text("utf-8")
    block = re.search(r"```mermaid\n(.*?)```", text, re.S)
    assert block is not None
    assert block.group(1) == mermaid()
