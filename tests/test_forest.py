"""The organization forest and the records it is built from."""

from __future__ import annotations

import pytest
from hypothesis import given

from rectify import (
    Assessment,
    ForestError,
    Grade,
    InvalidValueError,
    Organization,
    OrgForm,
    Population,
    Tier,
)
from rectify.testing.strategies import populations


def _org(code: str, tier: Tier = Tier.DIRECT, parent: str | None = None,
         form: OrgForm = OrgForm.COMMITTEE) -> Organization:
    return Organization(code, f"组织{code}", "village", tier, form, parent=parent)


@given(populations())
def test_generated_forests_are_consistent(population: Population) -> None:
    """Every branch's chain ends at a direct organization; children mirror parents."""
    for org in population:
        chain = population.ancestors(org.code)
        if org.tier is Tier.DIRECT:
            assert chain == ()
        else:
            assert chain[-1].tier is Tier.DIRECT
            assert org.code in population.children(chain[0].code)
    assert [o.code for o in population] == sorted(o.code for o in population)
    assert sum(population.kind_sizes().values()) == len(population)


def test_every_tree_problem_is_reported_at_once() -> None:
    """Duplicates, stray parents, missing parents, plain-branch parents and cycles together."""
    orgs = [
        _org("A"), _org("A"),
        _org("B", parent="A"),
        _org("C", Tier.SECOND_TIER),
        _org("D", Tier.SECOND_TIER, parent="ZZ"),
        _org("E", form=OrgForm.BRANCH), _org("F", Tier.SECOND_TIER, parent="E"),
        _org("G", Tier.SECOND_TIER, parent="H"), _org("H", Tier.SECOND_TIER, parent="G"),
    ]
    with pytest.raises(ForestError) as info:
        Population(orgs)
    problems = info.value.problems
    got = {(p.location, str(p.got)) for p in problems}
    assert ("organization A", "A") in got
    assert ("organization B.parent", "A") in got
    assert ("organization C.parent", "None") in got
    assert ("organization D.parent", "ZZ") in got
    assert ("organization F.parent", "E is a branch") in got
    assert any("G → H → G" in str(p.got) or "H → G → H" in str(p.got) for p in problems)
    assert all(p.fix for p in problems)


def test_lookups() -> None:
    """Lookups by code, with a clear error for an unknown one."""
    pop = Population([_org("A"), _org("B", Tier.SECOND_TIER, parent="A", form=OrgForm.BRANCH)])
    assert pop["B"].parent == "A"
    assert "A" in pop
    assert pop.get("Z") is None
    assert [o.code for o in pop.ancestors("B")] == ["A"]
    with pytest.raises(KeyError, match="Z"):
        pop["Z"]


def test_records_refuse_bad_values() -> None:
    """Blank codes, out-of-range scores and wrong enum values raise InvalidValueError."""
    with pytest.raises(InvalidValueError, match="code"):
        Organization(" ", "名", "village", Tier.DIRECT)
    with pytest.raises(InvalidValueError, match="Tier"):
        Organization("A", "名", "village", "direct")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match=r"\[0, 100\]"):
        Assessment("A", 2017, 101.0)
    with pytest.raises(InvalidValueError):
        Assessment("A", 2017, float("nan"))
    assert Grade.D.label == "D / 较差"
    assert Tier.SECOND_TIER.zh == "二层党支部"
