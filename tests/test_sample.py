"""Tests of the bundled sample county (rectify.sample) and the tool that generates it."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from rectify import Grade, InputError, Tier, load_policy
from rectify.escalation import cascade
from rectify.identify import Identification, identify, ranked_indices
from rectify.sample import (
    FORESTRY,
    FORESTRY_DIR,
    SAMPLE,
    SAMPLE_DIR,
    SAMPLE_YEARS,
    assessments_from,
    forestry_assessments,
    forestry_people,
    forestry_population,
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
    """228 organizations: 39 direct, 189 second-tier, every kind, forms fit the tree."""
    population = sample_population()
    tiers = Counter(o.tier for o in population)
    assert (len(population), tiers[Tier.DIRECT], tiers[Tier.SECOND_TIER]) == (228, 39, 189)
    assert set(population.kind_sizes()) == set(load_policy().kinds)
    for org in population:
        has_branches = bool(population.children(org.code))
        assert org.form.can_have_branches == has_branches or org.tier is Tier.SECOND_TIER
        assert org.county == "北岭县"
        assert org.name.endswith(("党委", "党总支", "党支部", "委员会"))


def test_villages_sit_under_townships_and_communities_under_streets() -> None:
    """8 township committees over 56 villages (most one branch, a few with group branches);
    2 street committees over 14 communities; group branches are outside the village ranking."""
    population = sample_population()
    towns = [o for o in population if o.kind == "township"]
    streets = [o for o in population if o.kind == "street"]
    assert len(towns) == 8
    assert all(o.tier is Tier.DIRECT for o in towns)
    assert len(streets) == 2
    assert all(o.tier is Tier.DIRECT for o in streets)
    units = dict(zip((o.code for o in population),
                     ranked_indices(population, load_policy()), strict=True))
    villages = [o for o in population if o.kind == "village" and units[o.code]]
    groups = [o for o in population if o.kind == "village" and not units[o.code]]
    assert len(villages) == 56
    assert all(population[o.parent or ""].kind == "township" for o in villages)
    assert sum(1 for o in villages if population.children(o.code)) == 4
    assert all(population[o.parent or ""].kind == "village" for o in groups)
    assert all("村民小组" in o.name for o in groups)
    communities = [o for o in population if o.kind == "community" and units[o.code]]
    assert len(communities) == 14
    assert all(population[o.parent or ""].kind == "street" for o in communities)
    kinds = population.kind_sizes()
    assert kinds["agency"] >= 40
    assert kinds["institution"] >= 25
    assert kinds["state_enterprise"] >= 15
    assert kinds["non_public"] >= 25


def test_a_village_listed_twice_costs_the_township_secretary_the_post() -> None:
    """The cascade from a village branch reaches the township committee's secretary."""
    population = sample_population()
    dismissed = cascade(population, "T04-05", load_policy())
    assert [(d.org, d.role) for d in dismissed] == [("T04-05", "secretary"),
                                                    ("T04", "parent_secretary")]
    assert population["T04"].name == "中共北岭县南沟乡委员会"


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
    """Three are listed in both years: a village under its township, a state-enterprise
    branch and a direct agency branch; no parent committee is listed itself."""
    population = sample_population()
    first, second = (set(results[y].listed_codes) for y in SAMPLE_YEARS)
    repeats = first & second
    assert repeats == {"T04-05", "S02-03", "A10"}
    assert population["A10"].tier is Tier.DIRECT
    assert population[population["T04-05"].parent or ""].kind == "township"
    assert not {population[c].parent for c in repeats} & (first | second)


def test_group_branches_are_not_ranked(results: dict[int, Identification]) -> None:
    """A villagers'-group branch scoring below the village cut-off is not listed: its
    village is ranked instead (the unit of ranking)."""
    decision = results[2017].decision("T03-04-02")
    village = results[2017].kinds["village"]
    assert village.cutoff is not None
    assert decision.score < village.cutoff
    assert not decision.listed
    assert decision.rules == ("not_ranked",)
    assert (village.size, village.unranked) == (56, 15)
    assert "不单独参加排名" in decision.explain("zh")


def test_the_forestry_sample_lists_14_of_228() -> None:
    """青松林区 in the documented mix lists exactly 14 of 228 each year under the default."""
    population = forestry_population()
    assert len(population) == 228
    assert population.kind_sizes() == {"village": 13, "community": 10, "state_enterprise": 70,
                                       "non_public": 15, "agency": 80, "institution": 40}
    policy = load_policy("northern-county")
    for year in SAMPLE_YEARS:
        result = identify(population, forestry_assessments(), policy, year)
        assert len(result.listed_codes) == 14, year
        assert {k: s.quota for k, s in result.kinds.items() if s.quota} == {
            "village": 2, "community": 1, "state_enterprise": 4, "non_public": 1, "agency": 4,
            "institution": 2}
    assert population_from(FORESTRY).organizations == population.organizations
    assert assessments_from(FORESTRY) == forestry_assessments()
    secretaries = {o.secretary for o in population}
    assert secretaries <= {p.id for p in forestry_people()}
    assert source_file(FORESTRY, "people") == FORESTRY_DIR / "people.csv"


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
        forestry = tmp_path / "forestry" / name
        assert forestry.read_bytes() == (FORESTRY_DIR / name).read_bytes(), name
