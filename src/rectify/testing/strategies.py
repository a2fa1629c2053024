"""Hypothesis strategies for rectify's domain: policies, populations, assessments.

Every strategy builds valid values by construction (a population is a
consistent forest, a policy passes validation) so that tests spend their
examples on the rules, not on rejected inputs.  Scores are drawn so that ties
and grade boundaries come up often.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from rectify.forest import Population
from rectify.model import Assessment, Grade, Organization, OrgForm, Tier
from rectify.policy import Policy, Rounding, TieRule, load_policy

__all__ = [
    "assessments_for",
    "policies",
    "populations",
    "scores",
]

DEFAULT_KINDS: tuple[str, ...] = (
    "village", "community", "state_enterprise", "non_public", "agency", "institution",
)

_BOUNDARIES = (0.0, 59.5, 60.0, 69.5, 70.0, 79.5, 80.0, 89.5, 90.0, 100.0)


def scores() -> st.SearchStrategy[float]:
    """Scores in [0, 100]: grade boundaries, a coarse grid (many ties) and arbitrary values."""
    return st.one_of(
        st.sampled_from(_BOUNDARIES),
        st.integers(min_value=40, max_value=100).map(float),
        st.floats(min_value=0, max_value=100, allow_nan=False),
    )


@st.composite
def populations(
    draw: st.DrawFn,
    kinds: Sequence[str] = DEFAULT_KINDS,
    min_size: int = 1,
    max_size: int = 40,
) -> Population:
    """Valid organization forests: direct organizations, some with second-tier branches."""
    size = draw(st.integers(min_value=max(min_size, 1), max_value=max(max_size, min_size, 1)))
    orgs: list[Organization] = []
    parents: list[Organization] = []
    for n in range(size):
        code = f"O{n:05d}"
        kind = draw(st.sampled_from(list(kinds)))
        second_tier = bool(parents) and draw(st.booleans())
        if second_tier:
            parent = draw(st.sampled_from(parents))
            org = Organization(code, f"第{n}党支部", parent.kind if draw(st.booleans()) else kind,
                               Tier.SECOND_TIER, OrgForm.BRANCH, parent=parent.code,
                               secretary=f"P{n:05d}")
        else:
            form = draw(st.sampled_from(list(OrgForm)))
            org = Organization(code, f"第{n}党组织", kind, Tier.DIRECT, form,
                               secretary=f"P{n:05d}")
            if form.can_have_branches:
                parents.append(org)
        orgs.append(org)
    shuffled = draw(st.permutations(orgs))
    return Population(shuffled)


@st.composite
def assessments_for(
    draw: st.DrawFn,
    population: Population,
    year: int = 2017,
    facts: Sequence[str] = (),
    with_grades: bool = False,
) -> list[Assessment]:
    """One assessment per organization of ``population`` for ``year``.

    ``facts`` names facts to draw (each present or absent at random, values
    in [0, 24]); ``with_grades`` sometimes sets an explicit grade instead of
    leaving it to the policy's bands.
    """
    result: list[Assessment] = []
    for org in population:
        total = draw(scores())
        grade = draw(st.none() | st.sampled_from(list(Grade))) if with_grades else None
        drawn: dict[str, float] = {}
        for fact in facts:
            if draw(st.booleans()):
                drawn[fact] = float(draw(st.integers(min_value=0, max_value=24)))
        result.append(Assessment(org.code, year, total, grade, facts=drawn))
    return result


@st.composite
def policies(draw: st.DrawFn, /, base: str = "northern-county", **overrides: Any) -> Policy:
    """Valid variations of a preset: quotas, rounding, ties and group-size settings.

    Keyword ``overrides`` are applied last, as an overlay (nested mappings).
    """
    policy = load_policy(base)
    quota = {kind: draw(st.sampled_from([0.0, 0.05, 0.1, 0.15, 0.2, 0.33, 0.5]))
             for kind in policy.kinds}
    overlay: dict[str, Any] = {
        "identification": {
            "quota": quota,
            "rounding": draw(st.sampled_from(list(Rounding))).value,
            "ties": draw(st.sampled_from(list(TieRule))).value,
            "count_direct_in_quota": draw(st.booleans()),
            "min_group_size": draw(st.integers(min_value=1, max_value=5)),
            "min_per_kind": draw(st.integers(min_value=0, max_value=2)),
            "near_miss_ranks": draw(st.integers(min_value=0, max_value=4)),
        },
        "escalation": {"consecutive_years": draw(st.integers(min_value=1, max_value=3))},
    }
    policy = policy.evolve(overlay, source="generated policy")
    if overrides:
        policy = policy.evolve(overrides, source="overrides")
    return policy
