"""The built-in county of the testing kit: a small forest and its people, importable
without hypothesis.
"""

from __future__ import annotations

from rectify.forest import Population
from rectify.model import Organization, OrgForm, Person, Tier
from rectify.policy import Policy

__all__ = [
    "ALWAYS_LISTED",
    "campaign_forest",
    "campaign_people",
]


#: Organizations of `campaign_forest()` that score 0 every year (grade D, last place):
#: listed every year, they escalate; the second-tier one cascades to its committee.
ALWAYS_LISTED: tuple[str, ...] = ("T1-01", "V01")


#: Verifiers who are never assigned as supporters, so a clean team always exists.
_CLEAN_VERIFIER = "VER-3"


#: People who verify and may also be assigned as supporters (independence conflicts).
_VERIFIERS_TO_BE = ("VER-1", "MIX-1")


def campaign_forest() -> Population:
    """A small county: a township committee and a general branch with second-tier branches.

    Kinds village, community, agency and non_public; every organization has a
    known secretary ``S-<code>`` except the vacant branch ``T1-03``.
    """
    def org(code: str, kind: str, tier: Tier = Tier.DIRECT, form: OrgForm = OrgForm.BRANCH,
            parent: str | None = None, secretary: bool = True) -> Organization:
        return Organization(code, f"{code} 党组织", kind, tier, form, parent=parent,
                            secretary=f"S-{code}" if secretary else None)

    second = Tier.SECOND_TIER
    return Population([
        org("T1", "village", form=OrgForm.COMMITTEE),
        org("T1-01", "village", second, parent="T1"),
        org("T1-02", "village", second, parent="T1"),
        org("T1-03", "village", second, parent="T1", secretary=False),
        org("T2", "community", form=OrgForm.GENERAL_BRANCH),
        org("T2-01", "community", second, parent="T2"),
        org("V01", "village"),
        org("V02", "village"),
        org("V03", "village"),
        org("C01", "community"),
        org("C02", "community"),
        org("A01", "agency"),
        org("N01", "non_public"),
    ])


def campaign_people(population: Population, policy: Policy) -> list[Person]:
    """Everyone who acts in the machine's campaigns, by id.

    Organization department cadres, verifiers (``VER-1`` and ``MIX-1`` are
    also assigned as supporters to provoke independence conflicts), first
    secretaries, committee supervisors, a county leader, a paired unit, a
    person with no role, two successors to appoint to posts, the
    secretaries of ``population``, and two people
    for each support level of ``policy`` that no fixed person covers.
    """
    people = [
        Person("OD-1", "组织部干部甲", {"org_department"}),
        Person("OD-2", "组织部干部乙", {"org_department", "org_guidance"}),
        Person("VER-1", "验收组甲", {"verifier", "paired_unit"}, unit="县审计局"),
        Person("VER-2", "验收组乙", {"verifier"}),
        Person("VER-3", "验收组丙", {"verifier"}),
        Person("MIX-1", "第一书记兼验收", {"verifier", "first_secretary"}),
        Person("FS-1", "第一书记甲", {"first_secretary"}),
        Person("FS-2", "第一书记乙", {"first_secretary"}),
        Person("FS-3", "第一书记丙", {"first_secretary"}),
        Person("CS-1", "督办甲", {"committee_supervisor"}),
        Person("CS-2", "督办乙", {"committee_supervisor"}),
        Person("CS-3", "督办丙", {"committee_supervisor"}),
        Person("LEAD-1", "县级领导甲", {"county_leader", "leader_contact"}),
        Person("LEAD-2", "县级领导乙", {"county_leader", "leader_contact"}),
        Person("LEAD-3", "县级领导丙", {"county_leader", "leader_contact"}),
        Person("PAIR-1", "共建单位甲", {"paired_unit"}, unit="县财政局"),
        Person("PAIR-2", "共建单位乙", {"paired_unit"}, unit="县农业农村局"),
        Person("OD-3", "组织部干部丙", {"org_department", "org_guidance"}),
        Person("NOBODY", "无职务人员"),
        # Successors the machine may appoint to a post (组织调整).
        Person("NEW-1", "继任书记甲", {"secretary"}),
        Person("NEW-2", "继任书记乙", {"secretary"}),
    ]
    people += [Person(o.secretary, f"{o.code} 书记", {"secretary"})
               for o in population if o.secretary]
    covered = {role for p in people for role in p.roles}
    for level in policy.support.levels:
        if level not in covered:
            people += [Person(f"{level}-{n}", f"{level} {n}", {level}) for n in (1, 2)]
    return sorted(people, key=lambda p: p.id)
