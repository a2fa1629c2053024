"""Typed case commands: one record per command, used by the facade, the bulk path and files."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from rectify import (
    Campaign,
    Organization,
    OrgForm,
    Person,
    Plan,
    Population,
    Tier,
    Votes,
    load_policy,
)
from rectify.bulk import BulkCommand, run_bulk
from rectify.errors import CommandRefused, InvalidValueError
from rectify.identify import identify
from rectify.lifecycle.commands import (
    COMMANDS,
    AssignSupport,
    FilePlan,
    RecordVerification,
    command_from,
)
from rectify.model import Assessment

POLICY = load_policy()
DAY = date(2017, 3, 1)
DEPT = Person("D1", "组织部干部", roles={"org_department"})
PLAN = Plan(problems=[("venue_nonstandard", "场所")], measures=["修缮"], responsible=["P-V1"],
            deadline=date(2017, 6, 30))


def _campaign() -> Campaign:
    population = Population([
        Organization("V1", "村党支部", "village", Tier.DIRECT, OrgForm.BRANCH, secretary="P-V1")])
    campaign = Campaign(POLICY, population=population, people=[DEPT])
    campaign.open_cases(identify(population, [Assessment("V1", 2017, 40.0)], POLICY, 2017),
                        actor=DEPT, on=DAY)
    return campaign


def test_every_case_command_has_a_permission_entry() -> None:
    """Each command's name is one the policy's permissions know."""
    assert set(COMMANDS) <= set(POLICY.permissions.commands)
    assert all(cls.name == name for name, cls in COMMANDS.items())


def test_commands_are_frozen_records() -> None:
    """A command cannot be changed after it is made, and compares by value."""
    command = AssignSupport("2017-V1", "first_secretary", "F1")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        command.person = "F2"  # type: ignore[misc]
    assert command == AssignSupport("2017-V1", "first_secretary", "F1")
    assert command.arguments() == {"level": "first_secretary", "person": "F1"}


def test_team_and_resolved_become_tuples() -> None:
    """Lists given for a team are stored as tuples, so events never hold lists."""
    command = RecordVerification("2017-V1", 80.0, Votes(10, 3, 2), ["R1", "R2"])
    assert command.team == ("R1", "R2")


def test_execute_equals_the_facade_method() -> None:
    """Campaign.execute(FilePlan(...)) and Campaign.file_plan(...) record the same state."""
    by_record, by_method = _campaign(), _campaign()
    one = by_record.execute(FilePlan("2017-V1", PLAN), actor=DEPT, on=DAY, command_id="x")
    two = by_method.file_plan("2017-V1", PLAN, actor=DEPT, on=DAY, command_id="x")
    assert one == two
    assert [type(e) for e in by_record.history("2017-V1")] == [
        type(e) for e in by_method.history("2017-V1")]


def test_a_refused_command_names_every_unmet_condition_and_changes_nothing() -> None:
    """A vague plan is refused with its gaps; the ledger keeps its size."""
    campaign = _campaign()
    size = len(campaign.store)
    vague = Plan(problems=(), measures=(), responsible=(), deadline=None)
    with pytest.raises(CommandRefused) as caught:
        campaign.execute(FilePlan("2017-V1", vague), actor=DEPT, on=DAY)
    assert "the plan names no problem" in caught.value.unmet
    assert len(campaign.store) == size


def test_command_from_builds_the_typed_record() -> None:
    """A bulk row or a file entry becomes the typed command of that name."""
    assert command_from("assign_support", "2017-V1", {"level": "org_guidance", "person": "D1"}) \
        == AssignSupport("2017-V1", "org_guidance", "D1")


def test_command_from_refuses_unknown_names_and_wrong_arguments() -> None:
    """Unknown command names and misspelled arguments are typed errors naming what fits."""
    with pytest.raises(InvalidValueError, match="one of file_plan"):
        command_from("assign", "2017-V1", {})
    with pytest.raises(InvalidValueError, match="exactly: level, person") as caught:
        command_from("assign_support", "2017-V1", {"level": "x", "persn": "D1"})
    assert caught.value.got == ["level", "persn"]


def test_bulk_rows_with_wrong_arguments_record_nothing() -> None:
    """run_bulk checks every row's shape before anything is recorded."""
    campaign = _campaign()
    size = len(campaign.store)
    rows = [BulkCommand("assign_support", "2017-V1", "c1", {"level": "org_guidance",
                                                            "person": "D1"}),
            BulkCommand("assign_support", "2017-V1", "c2", {"lvl": "paired_unit"})]
    with pytest.raises(InvalidValueError):
        run_bulk(campaign, rows, actor=DEPT, on=DAY)
    assert len(campaign.store) == size


def test_run_bulk_takes_typed_commands() -> None:
    """Campaign.run_bulk accepts (command, id) pairs and reports each outcome."""
    campaign = _campaign()
    result = campaign.run_bulk([(AssignSupport("2017-V1", "org_guidance", "D1"), "a"),
                                (AssignSupport("2017-V1", "no_level", "D1"), "b"),
                                (AssignSupport("2017-V1", "org_guidance", "D1"), "a")],
                               actor=DEPT, on=DAY)
    assert result.accepted == ("a",)
    assert set(result.refused) == {"b"}
    assert result.repeated == ("a",)
    assert campaign.case("2017-V1").holder("org_guidance") == "D1"
