"""Tests of the bundled sample county (rectify.sample) and the tool that generates it."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from rectify import Grade, InputError, Tier, load_policy
from rectify.identify import Identification, identify
from rectify.sample import (
    SAMPLE,
    SAMPLE_DIR,
    SAMPLE_YEARS,
    assessments_from,
    people_from,
    population_from,
    sample_assessments,
    sample_people,
    sample_population,
    source_file,
)

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "make_sample_county.py"
FILES = ("organizations.csv", "people.csv", "assessments.csv")


@pytest.fixture(scope="module")
def results() -> dict[int, Identification]:
    """Identification of both sample years under the default policy."""
    policy = load_policy("northern-county")
    return {year: identify(sample_population(), sample_assessments(), policy, year)
            for year in SAMPLE_YEARS}


def test_shape_of_the_county() -> None:
    """228 organizations: 39 direct, 189 second-tier, all six kinds, forms fit the tree."""
    population = sample_population()
    tiers = Counter(o.tier for o in population)
    assert (len(population), tiers[Tier.DIRECT], tiers[Tier.SECOND_TIER]) == (228, 39, 189)
    assert set(population.kind_sizes()) == set(load_policy().kinds)
    for org in population:
        has_branches = bool(population.children(org.code))
        assert org.form.can_have_branches == has_branches or org.tier is Tier.SECOND_TIER
        assert org.county == "北岭县"
        assert org.name.endswith(("党委", "党总支", "党支部"))


def test_people_cover_secretaries_and_cadres() -> None:
    """Every secretary is a person; the cadres later steps need are there."""
    people = {p.id: p for p in sample_people()}
    assert len(people) == len(sample_people())
    secretaries = [o.secretary for o in sample_population()]
    assert None not in secretaries
    assert len(set(secretaries)) == 228
    assert all(s in people and "secretary" in people[s].roles for s in secretaries if s)
    roles = Counter(r for p in people.values() for r in p.roles if r != "secretary")
    for role in ("county_leader", "org_department", "paired_unit", "committee_supervisor",
                 "first_secretary", "verifier"):
        assert roles[role] >= 3, role
    assert 30 <= sum(1 for p in people.values() if "secretary" not in p.roles) <= 60


def test_assessments_cover_both_years() -> None:
    """One assessment per organization and year, with aspects, and a few facts."""
    assessments = sample_assessments()
    assert Counter((a.org, a.year) for a in assessments).most_common(1)[0][1] == 1
    assert Counter(a.year for a in assessments) == dict.fromkeys(SAMPLE_YEARS, 228)
    assert all(set(a.aspects) == set(load_policy().aspects) for a in assessments)
    assert sum(1 for a in assessments if "secretary_vacant_months" in a.facts) >= 2


def test_listings_per_year(results: dict[int, Identification]) -> None:
    """About twenty listed a year, grade D organizations among them."""
    for result in results.values():
        listed = result.listed()
        assert 15 <= len(listed) <= 25
        assert sum(1 for d in listed if d.grade is Grade.D) >= 1
        assert any("grade_d" in d.rules for d in listed)
        assert result.near_misses()


def test_repeat_listings(results: dict[int, Identification]) -> None:
    """Some are listed in both years: a direct organization and second-tier branches
    whose parent committees are listed in neither year."""
    population = sample_population()
    first, second = (set(results[y].listed_codes) for y in SAMPLE_YEARS)
    repeats = first & second
    assert any(population[c].tier is Tier.DIRECT for c in repeats)
    lone_branches = [c for c in repeats if population[c].tier is Tier.SECOND_TIER
                     and population[c].parent not in first | second]
    assert len(lone_branches) >= 2


def test_tie_at_a_cutoff(results: dict[int, Identification]) -> None:
    """In some kind and year two organizations share the cut-off score and both are listed."""
    ties = []
    for result in results.values():
        for kind, summary in result.kinds.items():
            at_cutoff = [d for d in result.listed() if d.kind == kind and d.margin == 0]
            if len(at_cutoff) >= 2:
                ties.append((result.year, kind, summary.listed, summary.quota))
    assert ties
    assert any(listed > quota for _, _, listed, quota in ties)


def test_loading_is_deterministic() -> None:
    """The sample loads the same every time and from every way of naming it."""
    assert population_from(SAMPLE).organizations == sample_population().organizations
    assert population_from(SAMPLE_DIR).organizations == sample_population().organizations
    path = SAMPLE_DIR / "assessments.csv"
    assert assessments_from(path) == assessments_from(SAMPLE) == sample_assessments()
    assert people_from(SAMPLE_DIR) == sample_people()
    assert source_file("sample", "people") == SAMPLE_DIR / "people.csv"
    organizations = SAMPLE_DIR / "organizations.csv"
    assert source_file(organizations, "assessments") == path
    assert source_file(path, "assessments") == path
    assert assessments_from(organizations, population_from(organizations)) == sample_assessments()


def test_resolver_reports_missing_files(tmp_path: Path) -> None:
    """A directory without the file is reported as a missing .csv file."""
    with pytest.raises(InputError, match=r"organizations\.csv"):
        population_from(tmp_path)
    (tmp_path / "people.json").write_text('[{"id": "P1", "name": "王芳"}]', encoding="utf-8")
    assert [p.id for p in people_from(tmp_path)] == ["P1"]


def test_tool_reproduces_the_bundled_files(tmp_path: Path) -> None:
    """Regenerating with tools/make_sample_county.py gives byte-identical files."""
    subprocess.run([sys.executable, str(TOOL), "--out", str(tmp_path)], check=True, cwd=ROOT)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), name
