"""Command ids derived from content: equal content, equal id; any difference, another id."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rectify import Campaign, Person, Plan, load_policy
from rectify.identify import identify
from rectify.lifecycle.commands import FilePlan, RecordReport
from rectify.lifecycle.ids import canonical, content_id
from rectify.sample import sample_assessments, sample_people, sample_population

FP = "0" * 64
texts = st.text(max_size=8)
fields = st.dictionaries(st.sampled_from(["kind", "month", "note", "resolved", "deadline"]),
                         st.one_of(texts, st.lists(texts, max_size=3).map(tuple), st.dates(),
                                   st.integers(), st.frozensets(texts, max_size=3)),
                         max_size=5)


@given(st.sampled_from(["record_report", "file_plan"]), texts, fields, texts, st.dates())
def test_the_id_depends_on_content_not_on_key_order(name: str, subject: str,
                                                    values: dict[str, Any], actor: str,
                                                    on: date) -> None:
    """Reordering the fields (and a set's members) keeps the id; the id is 32 hex digits."""
    reordered = dict(reversed(list(values.items())))
    a = content_id(name, subject, values, actor=actor, on=on, policy=FP)
    assert a == content_id(name, subject, reordered, actor=actor, on=on, policy=FP)
    assert len(a) == 32
    assert int(a, 16) >= 0
    assert canonical(values) == canonical(reordered)


@given(fields, st.dates(), st.sampled_from(["name", "subject", "actor", "on", "policy",
                                            "field"]))
def test_any_difference_gives_another_id(values: dict[str, Any], on: date, what: str) -> None:
    """Another command, case, actor, date, policy or field value: another id."""
    base = {"name": "record_report", "subject": "2017-V1", "actor": "P1", "on": on,
            "policy": FP}
    changed = dict(base)
    other = dict(values)
    if what == "name":
        changed["name"] = "file_plan"
    elif what == "subject":
        changed["subject"] = "2017-V2"
    elif what == "actor":
        changed["actor"] = "P2"
    elif what == "on":
        changed["on"] = date(on.year - 1 if on.year > 1 else 2, on.month, 1)
    elif what == "policy":
        changed["policy"] = "1" * 64
    else:
        other["note"] = [values.get("note"), "changed"]

    def cid(spec: dict[str, Any], payload: dict[str, Any]) -> str:
        return content_id(spec["name"], spec["subject"], payload, actor=spec["actor"],
                          on=spec["on"], policy=spec["policy"])

    assert cid(base, values) != cid(changed, other)


def test_the_campaign_default_id_is_the_content_id() -> None:
    """Campaign.command_id is content_id over the command; plans hash their attrs fields."""
    population = sample_population()
    campaign = Campaign(load_policy(), population=population, people=sample_people())
    campaign.open_cases(identify(population, sample_assessments(), campaign.policy, 2016),
                        actor="P0236", on=date(2016, 2, 15))
    report = RecordReport("2016-T04-05", "progress", "2016-03")
    expected = content_id("record_report", "2016-T04-05", report.arguments(), actor="P0236",
                          on=date(2016, 3, 1), policy=campaign.policy.fingerprint())
    dept = Person("P0236", "组织部干部", roles={"org_department"})
    assert campaign.command_id(report, actor=dept, on=date(2016, 3, 1)) == expected
    plan = Plan(problems=[("rules_not_kept", "x")], measures=["m"], responsible=["P0190"],
                deadline=date(2016, 6, 30))
    later = Plan(problems=[("rules_not_kept", "x")], measures=["m"], responsible=["P0190"],
                 deadline=date(2016, 7, 1))
    assert campaign.command_id(FilePlan("2016-T04-05", plan), actor="P0236",
                               on=date(2016, 3, 1)) != campaign.command_id(
        FilePlan("2016-T04-05", later), actor="P0236", on=date(2016, 3, 1))


def test_values_json_cannot_hold_natively_still_get_an_id_and_a_typed_refusal() -> None:
    """Votes beyond 64 bits: the id is still derived, and the command is refused typed."""
    import pytest

    from rectify import RectifyError, Votes

    population = sample_population()
    campaign = Campaign(load_policy(), population=population, people=sample_people())
    campaign.open_cases(identify(population, sample_assessments(), campaign.policy, 2016),
                        actor="P0236", on=date(2016, 2, 15))
    huge = Votes(10**30, 0, 0)
    with pytest.raises(RectifyError):
        campaign.record_verification("2016-T04-05", 80.0, huge, ["P0279"], actor="P0279",
                                     on=date(2016, 6, 1))
    assert content_id("x", "y", {"n": 10**30}, actor="a", on=date(2016, 1, 1), policy=FP) \
        != content_id("x", "y", {"n": 10**30 + 1}, actor="a", on=date(2016, 1, 1), policy=FP)
