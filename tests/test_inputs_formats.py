"""Inputs as counties have them: GBK/GB18030 and BOM CSV, XLSX, TSV, Chinese headers and labels,
column mappings, did-you-mean, and the policy's facts and roles known to the loaders."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

import pytest

from rectify import InputError, load_policy
from rectify.inputs import (
    ColumnMapping,
    find_table,
    load_assessments,
    load_county,
    load_mapping,
    load_organizations,
    load_people,
    policy_roles,
)
from rectify.model import Grade, OrgForm, Tier

ORGS_ZH = [
    ("组织编码", "组织名称", "党建类型", "层级", "组织形式", "上级组织", "书记", "县", "乡镇"),
    ("V1", "东村党总支", "行政村", "直属", "党总支", "", "P1", "北岭县", "城关镇"),
    ("V1-1", "东村第一党支部", "行政村", "二层", "党支部", "V1", "", "北岭县", "城关镇"),
    ("C1", "东街社区党委", "社区", "直属党组织", "党委", "", "", "北岭县", "城关镇"),
]
SCORES_ZH = [
    ("组织编码", "年度", "总分", "等次", "班子配备不齐全", "书记空缺月数"),
    ("V1", "2017", "55", "较差", "40", "4"),
    ("V1-1", "2017", "72.5", "", "", ""),
    ("C1", "2017", "91", "优秀", "88", ""),
]


def _csv(rows: list[tuple[str, ...]], path: Path, encoding: str, delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _xlsx(sheets: dict[str, list[tuple[Any, ...]]], path: Path) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


def _problems(call: Any) -> list[str]:
    with pytest.raises(InputError) as info:
        call()
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig", "utf-16"])
def test_chinese_csv_in_every_usual_encoding(tmp_path: Path, encoding: str) -> None:
    """GBK, GB18030, UTF-8 (with or without BOM) and UTF-16 files with Chinese headers load."""
    orgs = load_organizations(_csv(ORGS_ZH, tmp_path / "organizations.csv", encoding))
    assert [o.code for o in orgs] == ["C1", "V1", "V1-1"]
    v = orgs["V1-1"]
    assert (v.name, v.kind, v.tier, v.form, v.parent) == (
        "东村第一党支部", "village", Tier.SECOND_TIER, OrgForm.BRANCH, "V1")
    assert orgs["C1"].form is OrgForm.COMMITTEE


def test_named_encoding_and_a_wrong_one(tmp_path: Path) -> None:
    """--encoding reads what detection would not; a wrong or unknown name is a typed error."""
    path = _csv(ORGS_ZH, tmp_path / "orgs.csv", "utf-16-le")  # no byte-order mark
    assert len(load_organizations(path, encoding="utf-16-le")) == 3
    assert "expected a known text encoding" in _problems(
        lambda: load_organizations(path, encoding="klingon"))[0]
    assert "expected text in utf-8" in _problems(
        lambda: load_organizations(_csv(ORGS_ZH, tmp_path / "g.csv", "gbk"), encoding="utf-8"))[0]


def test_assessments_with_chinese_headers_policy_labels_and_grades(tmp_path: Path) -> None:
    """总分, 等次, an aspect's Chinese label and a standard fact's Chinese name all map."""
    policy = load_policy()
    path = _csv(SCORES_ZH, tmp_path / "assessments.csv", "gbk")
    rows = load_assessments(path, policy=policy)
    first = rows[0]
    assert (first.org, first.year, first.total, first.grade) == ("V1", 2017, 55.0, Grade.D)
    assert dict(first.aspects) == {"team_incomplete": 40.0}
    assert dict(first.facts) == {"secretary_vacant_months": 4.0}
    assert rows[2].grade is Grade.A


def test_xlsx_workbook_one_sheet_per_table(tmp_path: Path) -> None:
    """A workbook with 组织 and 评定 sheets is a county: numbers and codes come back as text."""
    path = _xlsx({"组织": [*ORGS_ZH], "评定": [SCORES_ZH[0], ("V1", 2017, 55, "较差", 40, 4),
                                           ("V1-1", 2017.0, 72.5, None, None, None),
                                           ("C1", 2017, 91, "优秀", 88, None)]},
                 tmp_path / "北岭县.xlsx")
    county = load_county(path, policy=load_policy())
    assert len(county.population) == 3
    assert [(a.org, a.year, a.total) for a in county.assessments] == [
        ("V1", 2017, 55.0), ("V1-1", 2017, 72.5), ("C1", 2017, 91.0)]
    assert find_table(path, "assessments") == (path, "评定")


def test_xlsx_problems_name_the_excel_row(tmp_path: Path) -> None:
    """Rows are numbered as Excel shows them, even below a blank first row."""
    path = _xlsx({"orgs": [(), ORGS_ZH[0], ("V1", "", "行政村", "直属")]}, tmp_path / "o.xlsx")
    assert _problems(lambda: load_organizations(path))[0].startswith("o.xlsx:row 3:name:")


def test_xlsx_without_calamine_uses_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    """The read-only openpyxl fallback reads the same workbook the same way."""
    path = _xlsx({"organizations": [*ORGS_ZH]}, tmp_path / "organizations.xlsx")
    fast = load_organizations(path)
    monkeypatch.setitem(sys.modules, "python_calamine", None)
    assert list(load_organizations(path)) == list(fast)


def test_damaged_workbook_and_old_xls(tmp_path: Path) -> None:
    """A file that is not a workbook is a typed error naming the fix."""
    bad = tmp_path / "o.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    assert "expected a readable .xlsx workbook" in _problems(lambda: load_organizations(bad))[0]


def test_tsv(tmp_path: Path) -> None:
    """Tab-separated exports load by their suffix."""
    path = _csv(ORGS_ZH, tmp_path / "orgs.tsv", "utf-8", delimiter="\t")
    assert len(load_organizations(path)) == 3


def test_misspelt_fact_is_refused_with_did_you_mean(tmp_path: Path) -> None:
    """fact:secretary_vacant_mnths is refused under a policy, naming the fact meant."""
    path = tmp_path / "a.csv"
    path.write_text("org,year,total,fact:secretary_vacant_mnths\nV1,2017,55,4\n", "utf-8")
    problems = _problems(lambda: load_assessments(path, policy=load_policy()))
    assert problems == ["a.csv:row 1:fact:secretary_vacant_mnths: expected fact:<name> with one "
                        "of mass_incidents, months_without_activity, satisfaction, "
                        "secretary_vacant_months, years_without_candidate, got "
                        "'fact:secretary_vacant_mnths' (did you mean "
                        "'fact:secretary_vacant_months'? correct the name)"]


def test_unknown_column_did_you_mean(tmp_path: Path) -> None:
    """A misspelt header names the closest column."""
    path = tmp_path / "o.csv"
    path.write_text("code,name,kind,teir\nV1,东村,village,direct\n", "utf-8")
    problems = _problems(lambda: load_organizations(path))
    assert any("got 'teir' (did you mean 'tier'?" in p for p in problems)


def test_policy_kinds_by_chinese_label_and_unknown_kind(tmp_path: Path) -> None:
    """With a policy, its kinds' Chinese labels load; an unknown kind is refused with a hint."""
    path = tmp_path / "o.csv"
    path.write_text("code,name,kind,tier\nV1,东村,行政村,direct\nX1,某单位,vilage,direct\n",
                    "utf-8")
    problems = _problems(lambda: load_organizations(path, policy=load_policy()))
    assert problems == ["o.csv:row 3:kind: expected one of the policy's kinds (village, "
                        "community, state_enterprise, non_public, agency, institution, "
                        "township, street), got 'vilage' (did you mean 'village'?)"]


def test_column_mapping_file(tmp_path: Path) -> None:
    """A TOML mapping renames another system's headers and values; mistakes are located."""
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[organizations.columns]\n"单位编码" = "code"\n"单位名称" = "name"\n'
                       '"单位类别" = "kind"\n"隶属" = "tier"\n'
                       '[organizations.values.kind]\n"农村" = "village"\n', "utf-8")
    path = tmp_path / "o.csv"
    path.write_text("单位编码,单位名称,单位类别,隶属\nV1,东村,农村,直属\n", "utf-8")
    orgs = load_organizations(path, columns=load_mapping(mapping), policy=load_policy())
    assert orgs["V1"].kind == "village"
    broken = tmp_path / "broken.toml"
    broken.write_text('[organizations.columns]\n"单位编码" = code\n', "utf-8")
    assert _problems(lambda: load_mapping(broken))[0].startswith("broken.toml:line 2:column ")
    wrong = ColumnMapping
    with pytest.raises(InputError, match="did you mean 'organizations'"):
        wrong.from_dict({"organisations": {"columns": {"a": "code"}}})
    with pytest.raises(InputError, match="did you mean 'code'"):
        wrong.from_dict({"organizations": {"columns": {"a": "cod"}}})


def test_codes_refuse_control_and_bidi_characters(tmp_path: Path) -> None:
    """NUL, U+202E and zero-width characters are refused in codes, naming the character."""
    path = tmp_path / "o.json"
    path.write_text('[{"code": "V1\\u202e", "name": "东村", "kind": "village", "tier": "direct"},'
                    '{"code": "V2", "name": "西\\u0000村", "kind": "village", "tier": "direct"},'
                    '{"code": "V\\u200b3", "name": "南村", "kind": "village", "tier": "direct"}]',
                    "utf-8")
    problems = _problems(lambda: load_organizations(path))
    assert len(problems) == 3
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in problems[0]
    assert "U+0000" in problems[1]
    assert "U+200B ZERO WIDTH SPACE" in problems[2]


def test_unknown_roles_are_refused_with_the_policy(tmp_path: Path) -> None:
    """A role the policy grants nothing is refused; Chinese role labels are understood."""
    path = tmp_path / "people.csv"
    path.write_text("id,name,roles\nP1,王一,第一书记;org_department\nP2,李二,first_secretry\n",
                    "utf-8")
    policy = load_policy()
    problems = _problems(lambda: load_people(path, policy=policy))
    assert problems == [f"people.csv:row 3:roles: expected roles the policy knows "
                        f"({', '.join(sorted(policy_roles(policy)))}), got 'first_secretry' "
                        "(did you mean 'first_secretary'?)"]
    path.write_text("id,name,roles\nP1,王一,第一书记、组织部门\n", "utf-8")
    assert load_people(path, policy=policy)[0].roles == {"first_secretary", "org_department"}


@pytest.mark.parametrize(("year", "expected"), [("²⁰¹⁷", None), ("２０１７", 2017),
                                                ("2017年", 2017), ("99999", None), ("", None)])
def test_years_in_odd_digits(tmp_path: Path, year: str, expected: int | None) -> None:
    """Superscript digits are refused (not a crash); full-width digits and 年 are read."""
    path = tmp_path / "a.csv"
    path.write_text(f"org,year,total\nV1,{year},60\n", "utf-8")
    if expected is None:
        assert ":row 2:year: expected a year" in _problems(lambda: load_assessments(path))[0]
    else:
        assert load_assessments(path)[0].year == expected


@pytest.mark.parametrize("number", ["1e400", "-1e309", "9" * 5000, "18446744073709551616999"])
def test_json_numbers_out_of_range(tmp_path: Path, number: str) -> None:
    """Numbers beyond a double or 64 bits are reported at their line and column."""
    path = tmp_path / "a.json"
    path.write_text(f'[{{"org": "V1", "year": 2017, "total": {number}}}]', "utf-8")
    problems = _problems(lambda: load_assessments(path))
    assert problems[0].startswith(("a.json:line 1:column", "a.json:row 1:total"))


def test_json_nested_too_deep(tmp_path: Path) -> None:
    """A document nested 100,000 levels deep is refused, not a RecursionError."""
    path = tmp_path / "a.json"
    path.write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    assert "depth" in _problems(lambda: load_assessments(path))[0]
