"""Examples the invariants judge, as plain data that round-trips through JSON.

An `IdentificationExample` is a population and its assessments for one year;
a `CampaignExample` adds more years and a sequence of `Step`s.  No hypothesis
needed: a saved counterexample can be replayed anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from rectify.forest import Population
from rectify.model import Assessment, Grade, Organization, OrgForm, Tier

__all__ = [
    "ACTIONS",
    "CampaignExample",
    "IdentificationExample",
    "Step",
]


#: What a `Step` does with an organization's case in a year.
ACTIONS: tuple[str, ...] = ("pass", "fail", "fail_then_pass", "plan_only", "reopen")


def _org_json(o: Organization) -> dict[str, Any]:
    return {"code": o.code, "name": o.name, "kind": o.kind, "tier": o.tier.value,
            "form": o.form.value, "parent": o.parent, "secretary": o.secretary}


def _org_from(d: Mapping[str, Any]) -> Organization:
    return Organization(d["code"], d["name"], d["kind"], Tier(d["tier"]), OrgForm(d["form"]),
                        parent=d.get("parent"), secretary=d.get("secretary"))


def _assessment_json(a: Assessment) -> dict[str, Any]:
    d: dict[str, Any] = {"org": a.org, "year": a.year, "total": a.total}
    if a.grade is not None:
        d["grade"] = a.grade.value
    if a.facts:
        d["facts"] = dict(a.facts)
    return d


def _assessment_from(d: Mapping[str, Any]) -> Assessment:
    grade = Grade(d["grade"]) if d.get("grade") is not None else None
    return Assessment(d["org"], int(d["year"]), float(d["total"]), grade,
                      facts=dict(d.get("facts", {})))


@attrs.frozen
class IdentificationExample:
    """A population and its assessments for `year`: the input of an identification."""

    organizations: tuple[Organization, ...]
    assessments: tuple[Assessment, ...]
    year: int = 2017

    @property
    def population(self) -> Population:
        """The organizations as a `Population`."""
        return Population(list(self.organizations))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data; `from_json()` reads it back."""
        return {"year": self.year,
                "organizations": [_org_json(o) for o in self.organizations],
                "assessments": [_assessment_json(a) for a in self.assessments]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IdentificationExample:
        """Read what `to_json()` wrote."""
        return cls(tuple(_org_from(o) for o in data["organizations"]),
                   tuple(_assessment_from(a) for a in data["assessments"]), int(data["year"]))

    def render(self) -> str:
        """A readable listing: one line per organization with its score."""
        scores = {a.org: a for a in self.assessments}
        lines = [f"year {self.year}, {len(self.organizations)} organization(s):"]
        for o in self.organizations:
            a = scores.get(o.code)
            score = "no assessment" if a is None else f"score {a.total:g}" + (
                f" grade {a.grade.value}" if a.grade else "") + (
                f" facts {dict(a.facts)}" if a.facts else "")
            parent = f" under {o.parent}" if o.parent else ""
            lines.append(f"  {o.code} {o.kind} {o.tier.value}{parent}: {score}")
        return "\n".join(lines)


@attrs.frozen
class Step:
    """One command of a campaign example: ``action`` on ``org``'s case in year ``year``.

    Actions (`ACTIONS`): ``pass`` drives the case to delisting with a
    passing verification; ``fail`` drives it to a failed verification;
    ``fail_then_pass`` fails once, then passes and delists; ``plan_only``
    files a plan; ``reopen`` drives to delisting and reopens the case.  A
    step for an organization that has no case that year is skipped.
    """

    year: int
    org: str
    action: str

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"year": self.year, "org": self.org, "action": self.action}


@attrs.frozen
class CampaignExample:
    """A multi-year campaign: a population, one set of assessments per year, the steps."""

    organizations: tuple[Organization, ...]
    assessments: tuple[Assessment, ...]
    years: tuple[int, ...]
    steps: tuple[Step, ...] = ()

    @property
    def population(self) -> Population:
        """The organizations as a `Population`."""
        return Population(list(self.organizations))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data; `from_json()` reads it back."""
        return {"years": list(self.years),
                "organizations": [_org_json(o) for o in self.organizations],
                "assessments": [_assessment_json(a) for a in self.assessments],
                "steps": [s.to_json() for s in self.steps]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CampaignExample:
        """Read what `to_json()` wrote."""
        return cls(tuple(_org_from(o) for o in data["organizations"]),
                   tuple(_assessment_from(a) for a in data["assessments"]),
                   tuple(int(y) for y in data["years"]),
                   tuple(Step(int(s["year"]), s["org"], s["action"]) for s in data["steps"]))

    def render(self) -> str:
        """A readable listing: organizations with their scores per year, then the steps."""
        by = {(a.org, a.year): a.total for a in self.assessments}
        years = ", ".join(map(str, self.years))
        lines = [f"years {years}; {len(self.organizations)} organization(s):"]
        for o in self.organizations:
            parent = f" under {o.parent}" if o.parent else ""
            scores = " ".join(f"{y}:{by.get((o.code, y), float('nan')):g}" for y in self.years)
            lines.append(f"  {o.code} {o.kind} {o.tier.value}{parent}: scores {scores}")
        lines.append("steps:" if self.steps else "steps: none (identification and close_year only)")
        lines += [f"  {s.year} {s.action} {s.org}" for s in self.steps]
        return "\n".join(lines)
