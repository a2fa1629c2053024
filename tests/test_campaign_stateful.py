"""Stateful tests of the case lifecycle: a hypothesis machine drives whole campaigns.

The machine (:mod:`rectify.testing.machine`) opens cases year after year,
issues every command from actors with and without the right, and checks the
ledger's invariants after every step.  Run with
``--hypothesis-show-statistics`` to see how often each state, refusal and the
escalation paths were reached.
"""

from __future__ import annotations

from datetime import date

import attrs
import pytest
from hypothesis import settings

from rectify import Person, Votes, load_policy
from rectify.errors import PermissionDenied
from rectify.events import CaseDelisted, SecretaryDismissed, SupportAssigned, VerificationRecorded
from rectify.lifecycle.workflow import WORKFLOW
from rectify.testing.machine import (
    ALWAYS_LISTED,
    CampaignMachine,
    check_ledger,
    machine_for,
)

POLICY = load_policy()

# A run of the machine is a whole multi-year campaign (posts, ladders, dates) with the
# ledger checked after every step: the ci profile's 300 examples are capped at 50 and 40
# runs per machine (a new seed every CI run); quick runs keep a third and a quarter of 40.
TestNorthernCounty = machine_for(POLICY).TestCase
TestNorthernCounty.settings = settings(
    stateful_step_count=20, max_examples=max(min(settings().max_examples // 3, 50), 5))

TestThreeYearsNoCascadeOnTransitions = machine_for(
    POLICY.evolve({"escalation": {"consecutive_years": 3, "cascade_to_parent": False}},
                  source="three years, no cascade"),
    engine="transitions",
).TestCase
TestThreeYearsNoCascadeOnTransitions.settings = settings(
    stateful_step_count=15, max_examples=max(min(settings().max_examples // 4, 40), 5))

TestVillage10Community5 = machine_for(load_policy("village10-community5")).TestCase
TestVillage10Community5.settings = settings(
    stateful_step_count=15, max_examples=max(min(settings().max_examples // 4, 40), 5))


def _finished_machine() -> CampaignMachine:
    machine = machine_for(POLICY)()
    machine._open_year(None, machine.first_year)
    machine.teardown()
    return machine


def test_teardown_reaches_every_state_escalation_and_cascade() -> None:
    """Without random steps the machine still reaches every state, an escalation and the cascade.

    This is the deterministic floor under the stateful tests: if steering
    ever stopped reaching these paths the teardown's assertions would fail here.
    """
    machine = _finished_machine()
    assert machine.reached == {s.name for s in WORKFLOW.states}
    facts = check_ledger(machine.store.replay(), machine.population, machine.policy,
                         machine.people)
    years = sorted(facts.listings)
    # 2019: the cases not delisted when 2018 closed go on, and their organizations are listed.
    assert years == [2017, 2018, 2019]
    assert set(ALWAYS_LISTED) <= facts.listings[2017] & facts.listings[2018]
    assert {("T1-01", 2018), ("V01", 2018)} <= facts.escalations
    assert ("T1", "S-T1", "parent_secretary", "2018-T1-01") in facts.dismissals
    assert ("V01", "S-V01", "secretary", "2018-V01") in facts.dismissals
    # A direct organization never cascades.
    assert not any(cause == "2018-V01" and role == "parent_secretary"
                   for _, _, role, cause in facts.dismissals)


def test_check_ledger_catches_a_planted_dismissal() -> None:
    """The invariant checker is not vacuous: a dismissal without a streak is reported."""
    machine = _finished_machine()
    events = list(machine.store.replay())
    bogus = SecretaryDismissed(stream="org:C01", version=1, actor="OD-1", on=date(2017, 3, 1),
                               policy=POLICY.fingerprint(), command="bogus", org="C01",
                               person="S-C01", role="secretary", year=2017, cause="2017-C01")
    # Either finding is right: S-C01 is dismissed without a streak, and (the machine's
    # C01 escalates later) dismissed twice from the same post.
    with pytest.raises(AssertionError, match=r"not justified|dismissed twice"):
        check_ledger([*events, bogus], machine.population, POLICY, machine.people)


def test_check_ledger_catches_a_delisting_by_a_supporter() -> None:
    """A ledger where a supporter verified the case and it was delisted breaks the invariant.

    The campaign refuses such a verification, so the ledger is tampered with by
    hand to show that the check bites.
    """
    machine = _finished_machine()
    events = list(machine.store.replay())
    delisted = next(e for e in events if isinstance(e, CaseDelisted))
    passed = next(e for e in reversed(events[:events.index(delisted)])
                  if isinstance(e, VerificationRecorded) and e.stream == delisted.stream)
    supporter = next(e.person for e in events
                     if isinstance(e, SupportAssigned) and e.stream == delisted.stream)
    tampered = [attrs.evolve(e, team=(supporter,)) if e is passed else e for e in events]
    with pytest.raises(AssertionError, match="support"):
        check_ledger(tampered, machine.population, POLICY, machine.people)


def test_actor_without_the_right_changes_nothing() -> None:
    """A county leader (no command rights) is refused every command and the ledger stays as is."""
    machine = _finished_machine()
    campaign = machine.campaign
    leader = machine.people["LEAD-1"]
    size = len(machine.store)
    cases = campaign.cases()
    case = cases[0].id
    attempts = [
        lambda: campaign.delist(case, actor=leader, on=date(2019, 1, 5)),
        lambda: campaign.reopen(case, "x", actor=leader, on=date(2019, 1, 5)),
        lambda: campaign.close_year(2018, actor=leader, on=date(2019, 1, 5)),
        lambda: campaign.record_verification(case, 90, Votes(15, 0, 0), ["VER-3"], actor=leader,
                                             on=date(2019, 1, 5)),
        lambda: campaign.assign_support(case, "paired_unit", "PAIR-1", actor=Person(
            "ghost", "无名"), on=date(2019, 1, 5)),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert len(machine.store) == size
    assert campaign.cases() == cases
