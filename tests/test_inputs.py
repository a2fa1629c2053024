"""Tests of rectify.inputs: CSV/JSON round trips and every kind of bad input."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectify import Assessment, Grade, InputError, Organization, OrgForm, Person, Tier
from rectify.errors import ForestError
from rectify.forest import Population
from rectify.inputs import (
    load_assessments,
    load_organizations,
    load_people,
    write_assessments,
    write_organizations,
    write_people,
)
from rectify.policy import load_policy
from rectify.testing.strategies import populations, scores

ORG_HEADER = "code,name,kind,tier,form,parent,secretary,county,township\n"
GOOD_ORGS = (
    "V01,城关镇东关村党总支,village,direct,general_branch,,P1,北岭县,城关镇\n"
    "V01-01,东关村第一村民小组党支部,village,second_tier,branch,V01,P2,北岭县,城关镇\n"
)
ASPECTS = tuple(load_policy().aspects)

# Text as officials type it: Chinese, commas, quotes; never blank or padded.
texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    min_size=1, max_size=12,
).filter(lambda s: s.strip() == s) | st.sampled_from(["县人民医院党委", '引号"与,逗号', "党支部"])
identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
suffixes = st.sampled_from([".csv", ".json"])


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(load: Callable[[Path], Any], path: Path) -> list[str]:
    """Load, expect one InputError, check every problem is located and complete."""
    with pytest.raises(InputError) as info:
        load(path)
    problems = info.value.problems
    assert problems
    for problem in problems:
        assert problem.location.startswith(path.name) or problem.location == str(path)
        assert problem.expected
        assert problem.fix
    return [str(p) for p in problems]


@st.composite
def organization_lists(draw: st.DrawFn) -> list[Organization]:
    """Valid forests whose names, counties and townships are arbitrary text."""
    population = draw(populations(max_size=15))
    return [Organization(o.code, draw(texts), o.kind, o.tier, o.form, o.parent,
                         draw(st.none() | texts), draw(st.just("") | texts),
                         draw(st.just("") | texts))
            for o in draw(st.permutations(population.organizations))]


@st.composite
def assessment_lists(draw: st.DrawFn) -> list[Assessment]:
    """Assessments with unique (org, year), optional grades, aspects and facts."""
    keys = draw(st.lists(st.tuples(texts, st.integers(1921, 2100)), max_size=12,
                         unique=True))
    fact_names = draw(st.lists(identifiers, max_size=3, unique=True))
    finite = st.floats(allow_nan=False, allow_infinity=False)
    return [Assessment(org, year, draw(scores()), draw(st.none() | st.sampled_from(list(Grade))),
                       aspects=draw(st.dictionaries(st.sampled_from(ASPECTS), scores())),
                       facts={f: draw(finite) for f in fact_names if draw(st.booleans())})
            for org, year in keys]


@given(orgs=organization_lists(), suffix=suffixes, bom=st.booleans())
def test_organizations_round_trip(tmp_path_factory: pytest.TempPathFactory,
                                  orgs: list[Organization], suffix: str, bom: bool) -> None:
    """Organizations written as CSV or JSON (with or without a BOM) load back unchanged."""
    path = tmp_path_factory.mktemp("orgs") / f"organizations{suffix}"
    write_organizations(orgs, path, bom=bom)
    assert load_organizations(path).organizations == Population(orgs).organizations


@given(assessments=assessment_lists(), suffix=suffixes)
def test_assessments_round_trip(tmp_path_factory: pytest.TempPathFactory,
                                assessments: list[Assessment], suffix: str) -> None:
    """Assessments, with their aspects and facts, load back unchanged and in order."""
    path = tmp_path_factory.mktemp("assessments") / f"assessments{suffix}"
    write_assessments(assessments, path)
    assert load_assessments(path, aspects=ASPECTS) == assessments


@given(people=st.lists(st.builds(Person, texts, texts, st.frozensets(identifiers, max_size=4),
                                 st.just("") | texts), max_size=10,
                       unique_by=lambda p: p.id),
       suffix=suffixes)
def test_people_round_trip(tmp_path_factory: pytest.TempPathFactory,
                           people: list[Person], suffix: str) -> None:
    """People, with their roles, load back unchanged and in order."""
    path = tmp_path_factory.mktemp("people") / f"people{suffix}"
    write_people(people, path)
    assert load_people(path) == people


def test_chinese_labels_bom_and_role_separators(tmp_path: Path) -> None:
    """Enum cells take Chinese labels; a BOM is skipped; roles split on ; | and ；."""
    path = tmp_path / "orgs.csv"
    path.write_bytes(("\ufeff" + ORG_HEADER + "A01,县审计局党支部,agency,直属党组织,党支部,,,,\n")
                     .encode())
    org = load_organizations(path)["A01"]
    assert (org.tier, org.form, org.parent, org.secretary) == (
        Tier.DIRECT, OrgForm.BRANCH, None, None)
    people = _write(tmp_path, "people.csv",
                    "id,name,roles,unit\nP1,王建国,verifier|county_leader；paired_unit; ,县委\n")
    assert load_people(people)[0].roles == {"verifier", "county_leader", "paired_unit"}


def test_optional_columns_and_blank_lines(tmp_path: Path) -> None:
    """Only code, name, kind and tier are required; blank lines are skipped, rows keep numbers."""
    path = _write(tmp_path, "orgs.csv", "code,name,kind,tier\n\nA01,审计局党支部,agency,direct\n"
                  "A02,,agency,direct\n")
    assert _problems(load_organizations, path) == [
        "orgs.csv:row 4:name: expected a value for name (required), got '' (fill in the name)"]


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is one located problem, not a FileNotFoundError."""
    problems = _problems(load_organizations, tmp_path / "none.csv")
    assert "no such file" in problems[0]


def test_unreadable_file(tmp_path: Path) -> None:
    """A path that cannot be read (here a directory) is reported."""
    (tmp_path / "dir.csv").mkdir()
    problems = _problems(load_people, tmp_path / "dir.csv")
    assert "expected a readable file" in problems[0]


def test_undecodable_file(tmp_path: Path) -> None:
    """Bytes that are neither UTF-8 nor GB 18030 text are reported with the offending byte."""
    path = tmp_path / "orgs.csv"
    path.write_bytes(ORG_HEADER.encode() + b"A01,\x81\x20\xff\xfe,agency,direct\n")
    problems = _problems(load_organizations, path)
    assert problems[0].startswith("orgs.csv: expected UTF-8 or GB 18030 (GBK) text, got 'byte 0x")
    assert "--encoding" in problems[0]


def test_unknown_format(tmp_path: Path) -> None:
    """Only .csv, .tsv, .xlsx and .json are accepted; an old .xls is named as such."""
    path = _write(tmp_path, "orgs.txt", ORG_HEADER)
    assert "expected a .csv, .tsv, .xlsx or .json file, got '.txt'" in _problems(
        load_organizations, path)[0]
    old = _write(tmp_path, "orgs.xls", ORG_HEADER)
    assert "save it as .xlsx" in _problems(load_organizations, old)[0]


def test_malformed_csv_and_json(tmp_path: Path) -> None:
    """Broken quoting, broken JSON and a JSON document that is not a list are reported."""
    csv_path = _write(tmp_path, "orgs.csv", ORG_HEADER + 'A01,"unclosed,agency,direct\n')
    assert "expected well-formed CSV" in _problems(load_organizations, csv_path)[0]
    bad = _write(tmp_path, "orgs.json", '[{"code": "A01",}]')
    assert _problems(load_organizations, bad)[0].startswith("orgs.json:line 1:column ")
    obj = _write(tmp_path, "people.json", '{"id": "P1"}')
    assert "expected a JSON list of objects" in _problems(load_people, obj)[0]


def test_missing_required_column(tmp_path: Path) -> None:
    """A missing required column is reported once, at the header, not on every row."""
    path = _write(tmp_path, "orgs.csv", "code,name,kind\nA01,审计局党支部,agency\n"
                  "A02,统计局党支部,agency\n")
    problems = _problems(load_organizations, path)
    assert len(problems) == 1
    assert problems[0].startswith("orgs.csv:row 1:tier: expected a column named 'tier'")


def test_unknown_extra_column(tmp_path: Path) -> None:
    """Unknown columns (CSV header, JSON key, aspect not in the policy) are reported."""
    path = _write(tmp_path, "orgs.csv", ORG_HEADER.rstrip() + ",colour\n" + GOOD_ORGS)
    assert _problems(load_organizations, path)[0].startswith("orgs.csv:row 1:colour:")
    people = _write(tmp_path, "people.json",
                    json.dumps([{"id": "P1", "name": "王芳"},
                                {"id": "P2", "name": "李强", "age": 3}]))
    assert _problems(load_people, people)[0].startswith("people.json:row 2:age:")
    scores_csv = _write(tmp_path, "a.csv", "org,year,total,aspect:weather\nA01,2017,80,3\n")
    problems = _problems(lambda p: load_assessments(p, aspects=ASPECTS), scores_csv)
    assert problems[0].startswith("a.csv:row 1:aspect:weather: expected aspect:<name> with one of")


def test_empty_required_value(tmp_path: Path) -> None:
    """Every empty required cell is reported, row by row, column by column."""
    path = _write(tmp_path, "orgs.csv", ORG_HEADER + ",,village,direct,,,,,\nA02,x,,,,,,,\n")
    assert [p.split(":")[1:3] for p in _problems(load_organizations, path)] == [
        ["row 2", "code"], ["row 2", "name"], ["row 3", "kind"], ["row 3", "tier"]]
    people = _write(tmp_path, "people.json", json.dumps([{"name": "王芳"}, {"id": "P2"}]))
    assert [p.split(":")[1:3] for p in _problems(load_people, people)] == [
        ["row 1", "id"], ["row 2", "name"]]


def test_bad_enum_value(tmp_path: Path) -> None:
    """Tier, form and grade must be identifiers or Chinese labels; kinds may be checked too."""
    path = _write(tmp_path, "orgs.csv", ORG_HEADER + "A01,x,agency,third,branchy,,,,\n"
                  "A02,y,agencies,direct,,,,,\n")
    problems = _problems(lambda p: load_organizations(p, kinds=load_policy().kinds), path)
    assert [p.split(":")[1:3] for p in problems] == [
        ["row 2", "tier"], ["row 2", "form"], ["row 3", "kind"]]
    assert "direct (直属党组织)" in problems[0]
    grades = _write(tmp_path, "a.csv", "org,year,total,grade\nA01,2017,80,E\n")
    assert "a.csv:row 2:grade: expected one of A (优秀)" in _problems(load_assessments, grades)[0]


@pytest.mark.parametrize(
    ("row", "column"),
    [("A01,2017,eighty,,", "total"), ("A01,2017,100.5,,", "total"), ("A01,2017,-1,,", "total"),
     ("A01,2017,nan,,", "total"), ("A01,2017,80,x,", "aspect:team_incomplete"),
     ("A01,2017,80,101,", "aspect:team_incomplete"), ("A01,2017,80,,inf", "fact:satisfaction"),
     ("A01,2017,,,", "total")],
)
def test_bad_score(tmp_path: Path, row: str, column: str) -> None:
    """Non-numeric, non-finite and out-of-range scores and facts are reported."""
    path = _write(tmp_path, "a.csv", "org,year,total,aspect:team_incomplete,fact:satisfaction\n"
                  f"{row}\n")
    problems = _problems(load_assessments, path)
    assert [p.split(": expected")[0] for p in problems] == [f"a.csv:row 2:{column}"]


@pytest.mark.parametrize("year", ["17", "2017.0", "二〇一七", "1900", "2101", ""])
def test_bad_year(tmp_path: Path, year: str) -> None:
    """Years are four digits between 1921 and 2100."""
    path = _write(tmp_path, "a.csv", f"org,year,total\nA01,{year},80\n")
    assert _problems(load_assessments, path)[0].startswith("a.csv:row 2:year: expected a year")


def test_bad_json_types(tmp_path: Path) -> None:
    """JSON values of the wrong type are reported like bad cells."""
    path = _write(tmp_path, "a.json", json.dumps([
        {"org": 1001, "year": True, "total": "80", "aspects": [1, 2]},
        "not an object",
        {"org": "A02", "year": 2017, "total": False, "facts": {"satisfaction": "high"}},
    ]))
    problems = _problems(load_assessments, path)
    assert [p.split(": expected")[0] for p in problems] == [
        "a.json:row 1:aspects", "a.json:row 2", "a.json:row 1:org", "a.json:row 1:year",
        "a.json:row 3:total", "a.json:row 3:fact:satisfaction"]


def test_duplicates(tmp_path: Path) -> None:
    """Duplicate organization codes, (org, year) pairs and person ids name the first row."""
    orgs = _write(tmp_path, "orgs.csv", ORG_HEADER + GOOD_ORGS + "V01,重复,village,direct,,,,,\n")
    assert _problems(load_organizations, orgs) == [
        "orgs.csv:row 4:code: expected one row per organization code, got 'V01' "
        "(row 2 has the same organization code; keep one of them)"]
    a = _write(tmp_path, "a.csv", "org,year,total\nA01,2017,80\nA01,2016,80\nA01,2017,81\n")
    assert _problems(load_assessments, a)[0].startswith("a.csv:row 4:org: expected one row per")
    people = _write(tmp_path, "p.csv", "id,name\nP1,王芳\nP1,李强\n")
    assert _problems(load_people, people)[0].startswith("p.csv:row 3:id:")


def test_forest_errors_are_input_errors(tmp_path: Path) -> None:
    """Tree problems are located at the row's parent column; the ForestError is the cause."""
    path = _write(tmp_path, "orgs.csv", ORG_HEADER + GOOD_ORGS
                  + "V02,杏树坪村党支部,village,direct,branch,V01,,,\n"
                  + "V02-01,第一党支部,village,second_tier,branch,V02,,,\n"
                  + "V03-01,第二党支部,village,second_tier,branch,V99,,,\n"
                  + "V04-01,第三党支部,village,second_tier,branch,,,,\n")
    with pytest.raises(InputError) as info:
        load_organizations(path)
    assert isinstance(info.value.__cause__, ForestError)
    assert sorted(p.location for p in info.value.problems) == [
        "orgs.csv:row 4:parent", "orgs.csv:row 5:parent", "orgs.csv:row 6:parent",
        "orgs.csv:row 7:parent"]
    cycle = _write(tmp_path, "cycle.csv", ORG_HEADER
                   + "A,a,agency,second_tier,committee,B,,,\n"
                   + "B,b,agency,second_tier,committee,A,,,\n")
    assert any("cycles" in p for p in _problems(load_organizations, cycle))


def test_branch_under_invalid_row_is_not_an_unknown_parent(tmp_path: Path) -> None:
    """A branch whose parent row is invalid is not also blamed for an unknown parent."""
    path = _write(tmp_path, "orgs.csv", ORG_HEADER + "V01,,village,direct,committee,,,,\n"
                  "V01-01,第一党支部,village,second_tier,branch,V01,,,\n")
    assert len(_problems(load_organizations, path)) == 1


def test_unknown_organization_in_assessments(tmp_path: Path) -> None:
    """With a population, every assessed code must belong to it."""
    population = load_organizations(_write(tmp_path, "orgs.csv", ORG_HEADER + GOOD_ORGS))
    path = _write(tmp_path, "a.csv", "org,year,total\nV01,2017,80\nV09,2017,70\n")
    problems = _problems(lambda p: load_assessments(p, population=population), path)
    assert problems[0].startswith("a.csv:row 3:org: expected the code of an organization")


def test_every_problem_at_once(tmp_path: Path) -> None:
    """Many bad rows yield one error listing them all, and nothing is returned."""
    rows = "".join(f"A{n:02d},单位{n},agency,{'direct' if n % 2 else 'bad'},,,,,\n"
                   for n in range(1, 21))
    path = _write(tmp_path, "orgs.csv", ORG_HEADER + rows)
    problems = _problems(load_organizations, path)
    assert len(problems) == 10
    assert all(re.match(r"orgs\.csv:row \d+:tier: expected one of", p) for p in problems)


def test_writers_reject_unknown_formats(tmp_path: Path) -> None:
    """Writers choose the format by suffix too."""
    with pytest.raises(InputError, match=r"\.csv, \.tsv, \.xlsx or \.json"):
        write_people([], tmp_path / "people.txt")
