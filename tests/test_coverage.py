"""Tests of the coverage graph, its checks, its inputs and the lifecycle guards."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import attrs
import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rectify import Campaign, InputError, load_policy
from rectify.coverage import (
    CHECKS,
    ContactPoint,
    Coverage,
    CrossAssessment,
    build_graph,
    case_subgraph,
    check_all,
    county_subgraph,
    coverage_from_campaign,
    dismissal_cascade,
    load_contact_points,
    load_cross_assessments,
    load_pairings,
    load_units,
    node_link,
    support_conflicts,
    verification_conflicts,
    write_graphml,
    write_node_link,
)
from rectify.identify import identify
from rectify.sample import sample_assessments, sample_people, sample_population
from rectify.testing.strategies import coverages

#: Each example checks a whole generated coverage setup: the ci profile's examples are capped
#: at 100 per test (hypothesis draws a new seed every run); quick runs keep theirs.
COSTLY = settings(max_examples=min(settings().max_examples, 100))


POLICY = load_policy()
CASE = "2016-T04-05"


@pytest.fixture
def campaign() -> Campaign:
    """The sample county with its 2016 cases opened and three levels of T04-05 assigned."""
    population = sample_population()
    c = Campaign(POLICY, population=population, people=sample_people())
    c.open_cases(identify(population, sample_assessments(), POLICY, 2016), actor="P0236",
                 on=date(2016, 2, 15))
    for level, person in [("leader_contact", "P0229"), ("org_guidance", "P0237"),
                          ("paired_unit", "P0242")]:
        c.assign_support(CASE, level, person, actor="P0236", on=date(2016, 3, 5))
    return c


# -- planted violations ------------------------------------------------------------------------


@COSTLY
@given(coverages())
def test_valid_setups_have_no_findings(coverage: Coverage) -> None:
    """The generated setups are valid: no check fires."""
    assert check_all(coverage, POLICY) == []


@COSTLY
@given(coverages(), st.data())
def test_missing_support_is_found(coverage: Coverage, data: st.DataObject) -> None:
    """Removing one required level from one open case gives exactly that finding."""
    candidates = [c for c in coverage.cases.values() if c.is_open and c.support]
    if not candidates:
        return
    case = data.draw(st.sampled_from(candidates))
    dropped = data.draw(st.sampled_from(case.support))
    coverage.cases = {**coverage.cases, case.id: attrs.evolve(
        case, support=tuple(s for s in case.support if s != dropped))}
    findings = check_all(coverage, POLICY)
    assert [(f.check, f.subject) for f in findings] == [("missing_support", case.id)]
    assert findings[0].facts["missing"] == [dropped[0]]


@COSTLY
@given(coverages(min_cases=2, max_load=1), st.data())
def test_overload_is_found(coverage: Coverage, data: st.DataObject) -> None:
    """One person given two open cases under a cap of one is exactly one overload finding."""
    open_cases = [c for c in coverage.cases.values() if c.is_open and c.support]
    if len(open_cases) < 2:
        return
    picked = data.draw(st.lists(st.sampled_from(open_cases), min_size=2, max_size=2,
                                unique_by=lambda c: c.id))
    cases = dict(coverage.cases)
    for case in picked:
        level, _, since = case.support[0]
        cases[case.id] = attrs.evolve(case, support=((level, "X", since), *case.support[1:]))
    coverage.cases = cases
    findings = check_all(coverage, POLICY, max_cases_per_person=1)
    assert [(f.check, f.subject, f.facts["load"]) for f in findings] == [("overload", "X", 2)]


@COSTLY
@given(coverages(), st.data())
def test_verifier_conflict_is_found(coverage: Coverage, data: st.DataObject) -> None:
    """A supporter or a chain secretary put on a case's team is exactly one conflict."""
    case = data.draw(st.sampled_from(sorted(coverage.cases.values(), key=lambda c: c.id)))
    intruders = sorted(coverage.chain_secretaries(case.org) | case.supporters)
    if not intruders:
        return
    person = data.draw(st.sampled_from(intruders))
    coverage.cases = {**coverage.cases,
                      case.id: attrs.evolve(case, verifiers=(*case.verifiers, person))}
    findings = check_all(coverage, POLICY)
    assert [(f.check, f.subject, f.facts["verifier"]) for f in findings] == [
        ("verifier_conflict", case.id, person)]


@COSTLY
@given(coverages(), st.data())
def test_contact_point_violation_is_found(coverage: Coverage, data: st.DataObject) -> None:
    """Too many contact points, too few visits or a standing member's second point is found."""
    point = data.draw(st.sampled_from(coverage.contact_points))
    how = data.draw(st.sampled_from(["visits", "extra"]))
    if how == "visits":
        planted = attrs.evolve(point, visits=data.draw(st.integers(0, 3)))
        points = [planted if p is point else p for p in coverage.contact_points]
    else:
        mine = [p for p in coverage.contact_points if p.person == point.person]
        points = [*coverage.contact_points,
                  *(ContactPoint(point.person, "ELSEWHERE", f"T{i}") for i in range(3 - len(mine)))]
    coverage.contact_points = tuple(points)
    findings = check_all(coverage, POLICY)
    assert [(f.check, f.subject) for f in findings] == [("contact_points", point.person)]


@COSTLY
@given(coverages(), st.data())
def test_cross_assessment_violation_is_found(coverage: Coverage, data: st.DataObject) -> None:
    """A self-assessment or the reverse of a drawn pair is exactly one finding."""
    drawn = data.draw(st.sampled_from(coverage.cross_assessments))
    if data.draw(st.booleans()):
        planted = CrossAssessment(drawn.assessor, drawn.assessor, drawn.period)
        subject = drawn.assessor
    else:
        planted = CrossAssessment(drawn.assessed, drawn.assessor, drawn.period)
        subject = "/".join(sorted([drawn.assessor, drawn.assessed]))
    coverage.cross_assessments = (*coverage.cross_assessments, planted)
    findings = check_all(coverage, POLICY)
    assert [(f.check, f.subject) for f in findings] == [("cross_assessment", subject)]


@COSTLY
@given(coverages(), st.data())
def test_pairing_department_violation_is_found(coverage: Coverage, data: st.DataObject) -> None:
    """A pairing stated for a problem type the unit's department does not serve is found."""
    if not coverage.pairings:
        return
    pairing = data.draw(st.sampled_from(coverage.pairings))
    wrong = data.draw(st.sampled_from(
        [t for t in ("weak", "poor", "disorderly", "specialised") if t != pairing.problem_type]))
    coverage.pairings = tuple(attrs.evolve(p, problem_type=wrong) if p is pairing else p
                              for p in coverage.pairings)
    findings = check_all(coverage, POLICY)
    assert [(f.check, f.subject) for f in findings] == [("pairing_department", pairing.unit)]


def test_check_all_rejects_unknown_checks(campaign: Campaign) -> None:
    """Asking for a check that does not exist names the known ones."""
    with pytest.raises(ValueError, match="missing_support"):
        check_all(coverage_from_campaign(campaign), POLICY, checks=["nope"])


def test_findings_have_both_languages(campaign: Campaign) -> None:
    """Every finding of the sample campaign has English and Chinese text and plain facts."""
    findings = check_all(coverage_from_campaign(campaign), POLICY)
    assert {f.check for f in findings} == {"missing_support"}
    assert len(findings) == 20
    v0103 = next(f for f in findings if f.subject == CASE)
    assert v0103.facts["missing"] == ["committee_supervisor", "first_secretary"]
    assert "直属党委专人督办" in v0103.zh
    json.dumps([f.to_dict() for f in findings], ensure_ascii=False)
    assert set(CHECKS) >= {f.check for f in findings}


# -- graph --------------------------------------------------------------------------------------


def test_graph_of_the_sample(campaign: Campaign) -> None:
    """The graph types nodes, dates support edges and scopes them to the case."""
    graph = build_graph(campaign)
    assert isinstance(graph, nx.MultiDiGraph)
    types = {d["type"] for _, d in graph.nodes(data=True)}
    assert types == {"org", "person", "county", "township"}
    support = [d for _, _, d in graph.edges(data=True) if d["type"] == "support"]
    assert {(d["case"], d["level"], d["since"]) for d in support} == {
        (CASE, "leader_contact", "2016-03-05"), (CASE, "org_guidance", "2016-03-05"),
        (CASE, "paired_unit", "2016-03-05")}
    assert graph.nodes["person:P0229"]["label"] == "尹梅"
    assert graph.has_edge("org:T04", "org:T04-05")


def test_case_and_county_subgraphs(campaign: Campaign) -> None:
    """A case's view holds its chain, secretaries and supporters; a county's its open cases."""
    graph = build_graph(campaign)
    view = case_subgraph(graph, CASE)
    assert set(view) == {"org:T04-05", "org:T04", "person:P0190", "person:P0185",
                         "person:P0229", "person:P0237", "person:P0242"}
    county = county_subgraph(graph, "北岭县")
    cases = {d["cases"] for _, d in county.nodes(data=True) if d["type"] == "org" and d["cases"]}
    assert len(cases) == 20
    with pytest.raises(KeyError):
        case_subgraph(graph, "2016-NOPE")
    with pytest.raises(KeyError):
        county_subgraph(graph, "南岭县")


def test_optional_inputs_become_edges(campaign: Campaign) -> None:
    """Contact points, pairings and cross-assessments are typed, dated edges."""
    from rectify.coverage import Pairing, Unit

    graph = build_graph(
        campaign, units=[Unit("U1", "县财政局", "economic", 2)],
        contact_points=[ContactPoint("P0229", "北岭县", "城关镇", date(2016, 1, 5), 6)],
        pairings=[Pairing("U1", "T04-05", "poor", date(2016, 3, 1))],
        cross_assessments=[CrossAssessment("北岭县", "南岭县", "2016Q1")])
    kinds = {d["type"]: (u, v) for u, v, d in graph.edges(data=True)}
    assert kinds["contact_point"] == ("person:P0229", "township:北岭县/城关镇")
    assert kinds["pairing"] == ("unit:U1", "org:T04-05")
    assert kinds["cross_assessment"] == ("county:北岭县", "county:南岭县")


def test_exports(campaign: Campaign, tmp_path: Path) -> None:
    """GraphML and node-link JSON round-trip the graph's nodes and edges."""
    graph = build_graph(campaign, forest="cases")
    write_graphml(graph, tmp_path / "c.graphml")
    back = nx.read_graphml(tmp_path / "c.graphml", force_multigraph=True)
    assert back.number_of_nodes() == graph.number_of_nodes()
    assert back.number_of_edges() == graph.number_of_edges()
    write_node_link(graph, tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text("utf-8"))
    assert len(data["edges"]) == graph.number_of_edges()
    assert node_link(graph)["directed"] is True
    with pytest.raises(ValueError, match="forest"):
        build_graph(campaign, forest="some")


def test_dismissal_cascade_through_the_tree(campaign: Campaign) -> None:
    """A second-tier branch takes its parent's secretary with it; a direct one does not."""
    assert [d.person for d in dismissal_cascade(campaign, "T04-05")] == ["P0190", "P0185"]
    assert [d.person for d in dismissal_cascade(campaign.population, "T04", POLICY)] == ["P0185"]
    with pytest.raises(ValueError, match="policy"):
        dismissal_cascade(campaign.population, "T04")


# -- guards --------------------------------------------------------------------------------------


def test_support_conflicts(campaign: Campaign) -> None:
    """Chain secretaries, verifiers, load caps and (optionally) roles are refused with reasons."""
    assert support_conflicts(campaign, CASE, "first_secretary", "P0267") == []
    assert "P0190 is the secretary of T04-05, the case's organization" in \
        support_conflicts(campaign, CASE, "first_secretary", "P0190")[0]
    assert "above T04-05" in support_conflicts(campaign, CASE, "first_secretary", "P0185")[0]
    over = support_conflicts(campaign, CASE, "first_secretary", "P0267", loads={"P0267": 5})
    assert over == ["P0267 already supports 5 open cases (cap 5, max_cases_per_person)"]
    from rectify.coverage import DEFAULT_LEVEL_ROLES

    assert support_conflicts(campaign, CASE, "first_secretary", "P0279",
                             level_roles=DEFAULT_LEVEL_ROLES) == [
        "P0279 lacks the role first_secretary needed for first_secretary"]


def test_verification_conflicts(campaign: Campaign) -> None:
    """Current and former supporters and chain secretaries may not verify."""
    campaign.release_support(CASE, "paired_unit", actor="P0236", on=date(2016, 4, 1))
    reasons = verification_conflicts(campaign, CASE, ["P0279", "P0229", "P0242", "P0185"])
    assert reasons == [
        "P0229 supports the case as leader_contact (separation of duties)",
        "P0242 supported the case earlier as paired_unit (separation of duties)",
        "P0185 is the secretary of T04, above T04-05 in its chain (separation of duties)"]
    assert verification_conflicts(campaign, CASE, ["P0279", "P0280"]) == []


# -- inputs --------------------------------------------------------------------------------------


def test_inputs_load(tmp_path: Path) -> None:
    """The four coverage inputs load from CSV and JSON."""
    (tmp_path / "units.csv").write_text("id,name,department,capacity\nU1,县财政局,economic,3\n",
                                        encoding="utf-8")
    (tmp_path / "cp.json").write_text(json.dumps([{"person": "P1", "county": "北岭县",
                                                   "since": "2017-01-05", "visits": 5}]),
                                      encoding="utf-8")
    (tmp_path / "pairs.csv").write_text("unit,org,problem_type\nU1,T04-05,poor\n", encoding="utf-8")
    (tmp_path / "cross.csv").write_text("assessor,assessed,period\n东区,西区,2017Q1\n",
                                        encoding="utf-8")
    assert load_units(tmp_path / "units.csv")[0].capacity == 3
    assert load_contact_points(tmp_path / "cp.json")[0].since == date(2017, 1, 5)
    assert load_pairings(tmp_path / "pairs.csv")[0].problem_type == "poor"
    assert load_cross_assessments(tmp_path / "cross.csv")[0].assessed == "西区"


def test_bad_rows_are_located(tmp_path: Path) -> None:
    """Bad rows raise InputError naming file, row, column, value and fix."""
    units = tmp_path / "units.csv"
    units.write_text("id,name,department,capacity\nU1,财政局,finance,x\nU1,,economic,2\n",
                     encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_units(units)
    where = [p.location for p in info.value.problems]
    assert where == ["units.csv:row 2:department", "units.csv:row 2:capacity",
                     "units.csv:row 3:id", "units.csv:row 3:name"]
    cp = tmp_path / "cp.csv"
    cp.write_text("person,county,since,visits\nP9,北岭县,2017-13-01,-1\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_contact_points(cp, people={"P1"})
    assert [(p.location, p.got) for p in info.value.problems] == [
        ("cp.csv:row 2:person", "P9"), ("cp.csv:row 2:since", "2017-13-01"),
        ("cp.csv:row 2:visits", "-1")]
    cross = tmp_path / "cross.csv"
    cross.write_text("assessor,assessed\n东区,东区\n", encoding="utf-8")
    with pytest.raises(InputError, match="no county assesses itself"):
        load_cross_assessments(cross)
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("unit,problem_type\nU1,lazy\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_pairings(pairs, population=sample_population())
    assert [p.location for p in info.value.problems] == [
        "pairs.csv:row 1:org", "pairs.csv:row 2:problem_type"]
