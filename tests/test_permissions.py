"""Who may issue which command on which case: roles and their scopes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectify import Organization, OrgForm, Person, Population, Tier, load_policy
from rectify.lifecycle.case import CaseRecord
from rectify.lifecycle.permissions import missing_right

POLICY = load_policy()
POPULATION = Population([
    Organization("V1", "村党支部", "village", Tier.DIRECT, OrgForm.BRANCH, secretary="P-V1")])
CASE = CaseRecord(id="2017-V1", org="V1", year=2017, kind="village", state="planned", version=2,
                  opened_on=date(2017, 2, 1), support=(("first_secretary", "F1"),))
ROLES = sorted({r for roles in POLICY.permissions.commands.values() for r in roles})


@given(st.sampled_from(sorted(POLICY.permissions.commands)),
       st.sets(st.sampled_from(ROLES), max_size=3))
def test_a_right_needs_an_allowed_role(command: str, roles: set[str]) -> None:
    """Without any role the policy lists for the command, the right is missing and named."""
    actor = Person("X", "某人", roles=roles)
    missing = missing_right(actor, command, None, POPULATION, POLICY)
    allowed = set(POLICY.permissions.commands[command])
    assert (missing is None) == bool(roles & allowed)
    if missing is not None:
        assert missing.startswith("needs one of the roles")


@pytest.mark.parametrize(("person", "allowed"), [("F1", True), ("F2", False)])
def test_an_assigned_scope_needs_the_assignment(person: str, allowed: bool) -> None:
    """A first secretary reports only on a case they are assigned to."""
    actor = Person(person, "第一书记", roles={"first_secretary"})
    missing = missing_right(actor, "record_report", CASE, POPULATION, POLICY)
    assert (missing is None) is allowed


@pytest.mark.parametrize(("person", "allowed"), [("P-V1", True), ("P-V2", False)])
def test_an_own_organization_scope_needs_the_secretary(person: str, allowed: bool) -> None:
    """A secretary files the plan of their own organization only."""
    actor = Person(person, "书记", roles={"secretary"})
    missing = missing_right(actor, "file_plan", CASE, POPULATION, POLICY)
    assert (missing is None) is allowed
    if not allowed:
        assert missing == "secretary only for cases where the actor is the secretary"
