"""The small county the web example serves: sixteen village branches, their people and
their 2017 assessments.

A real service loads these from its own records (`rectify.inputs` reads CSV,
XLSX and JSON); a fixed county keeps the example self-contained and lets the
test know exactly what to expect.  Every branch is graded D in 2017, so
identification lists all sixteen.
"""

from __future__ import annotations

from rectify import Organization, OrgForm, Person, Population, Tier, load_policy
from rectify.model import Assessment
from rectify.policy import Policy

__all__ = ["ASSESSMENTS", "PEOPLE", "POLICY", "POPULATION", "VILLAGES", "assessments"]

#: How many village branches the county has (``V01`` … ``V16``).
VILLAGES = 16

#: The rules the service applies: the bundled default county profile.
POLICY: Policy = load_policy("northern-county")

#: The organizations: village branches reporting directly to the county.
POPULATION = Population([
    Organization(f"V{i:02d}", f"第{i}村党支部", "village", Tier.DIRECT, OrgForm.BRANCH,
                 secretary=f"SEC-V{i:02d}")
    for i in range(1, VILLAGES + 1)
])

#: Everyone who issues commands or takes a support level, by id.
PEOPLE: tuple[Person, ...] = (
    Person("OD-1", "组织部干部", {"org_department"}),
    Person("OD-2", "组织部业务指导", {"org_department", "org_guidance"}),
    Person("LEAD-1", "县级联系领导", {"county_leader", "leader_contact"}),
    Person("CS-1", "直属党委督办", {"committee_supervisor"}),
    Person("UNIT-1", "共建单位甲", {"paired_unit"}, unit="县财政局"),
    Person("UNIT-2", "共建单位乙", {"paired_unit"}, unit="县农业农村局"),
    Person("NOBODY", "无职务人员"),
    *(Person(f"FS-V{i:02d}", f"第{i}村第一书记", {"first_secretary"})
      for i in range(1, VILLAGES + 1)),
    *(Person(f"SEC-V{i:02d}", f"第{i}村书记", {"secretary"}) for i in range(1, VILLAGES + 1)),
)

#: The annual assessments: every branch graded D (poor) in 2017.
ASSESSMENTS: tuple[Assessment, ...] = tuple(
    Assessment(o.code, 2017, 40.0 + i) for i, o in enumerate(POPULATION))


def assessments(year: int) -> list[Assessment]:
    """The assessments of ``year`` (empty for a year the county has none of)."""
    return [a for a in ASSESSMENTS if a.year == year]
