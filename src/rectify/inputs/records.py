"""Loading organizations, assessments and people from CSV, TSV, XLSX and JSON files.

The format is chosen by the file's suffix (``.csv``, ``.tsv``, ``.xlsx`` or
``.json``); text files are UTF-8 (with or without a byte-order mark) or GB
18030/GBK, detected, or in the encoding the caller names.  Headers may be the
column names, their Chinese names (组织编码, 年度, 总分, ...), the policy's
aspect labels, or whatever a `ColumnMapping` says; coded values (kind, tier,
form, grade, roles) may be written as their Chinese labels (行政村, 直属, ...).

Every loader either returns everything or raises one `InputError` listing
every problem it found, each located as ``file:row N:column`` with what was
expected, what was found and how to fix it (with the closest known name for a
misspelt column).  Tree problems (unknown parent, cycle, ...) are reported the
same way: `load_organizations()` raises ``InputError``, never ``ForestError``
(the ``ForestError`` raised by `Population` is chained as ``__cause__``).

The column schemas are documented in ``docs/inputs.md``.  The writers
(`write_organizations()`, ...) produce files the loaders read back.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rectify.errors import ForestError, InputError, Problem
from rectify.forest import Population
from rectify.inputs._rows import (
    YEARS,
    Schema,
    _build,
    _duplicate,
    _load_rows,
    _raise,
    _Row,
    _table,
    suggest,
)
from rectify.inputs._tables import where, write_table
from rectify.inputs.mapping import ColumnMapping
from rectify.model import Assessment, Grade, Organization, OrgForm, Person, Tier

if TYPE_CHECKING:
    from rectify.policy import Policy

__all__ = [
    "ASSESSMENT_COLUMNS",
    "COLUMN_NAMES_ZH",
    "ORGANIZATION_COLUMNS",
    "PERSON_COLUMNS",
    "ROLE_LABELS",
    "STANDARD_FACTS",
    "YEARS",
    "load_assessments",
    "load_organizations",
    "load_people",
    "policy_facts",
    "policy_roles",
    "write_assessments",
    "write_organizations",
    "write_people",
]

#: Organization columns; ``True`` marks the columns a file must have.
ORGANIZATION_COLUMNS: Mapping[str, bool] = {
    "code": True, "name": True, "kind": True, "tier": True, "form": False,
    "parent": False, "secretary": False, "county": False, "township": False,
    "province": False,
}
#: Assessment columns besides ``aspect:<name>`` and ``fact:<name>``.
ASSESSMENT_COLUMNS: Mapping[str, bool] = {"org": True, "year": True, "total": True,
                                          "grade": False}
#: People columns.
PERSON_COLUMNS: Mapping[str, bool] = {"id": True, "name": True, "roles": False, "unit": False,
                                      "scope": False}

#: The facts every loader knows, with their Chinese names: what the documented direct
#: criteria test.  A policy's own criteria add the facts they name.
STANDARD_FACTS: Mapping[str, str] = {
    "secretary_vacant_months": "书记空缺月数",
    "satisfaction": "群众满意度",
    "mass_incidents": "群体性事件数",
    "months_without_activity": "未开展组织生活月数",
    "years_without_candidate": "未发展党员年数",
}

#: The roles of the people table with their Chinese labels (the ones the presets use).
ROLE_LABELS: Mapping[str, str] = {
    "secretary": "书记",
    "county_leader": "处级领导",
    "org_department": "组织部门",
    "paired_unit": "帮扶单位干部",
    "committee_supervisor": "直属党委督办人",
    "first_secretary": "第一书记",
    "verifier": "考核验收组成员",
}

#: Chinese (and common English) header names the loaders accept for each column.
COLUMN_NAMES_ZH: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "organizations": {
        "code": ("组织编码", "组织代码", "党组织编码", "党组织代码", "编码", "代码", "编号"),
        "name": ("组织名称", "党组织名称", "名称"),
        "kind": ("党建类型", "组织类型", "类型", "类别"),
        "tier": ("层级", "隶属关系", "隶属层级"),
        "form": ("组织形式", "形式"),
        "parent": ("上级组织", "上级党组织", "上级组织编码", "上级编码", "上级"),
        "secretary": ("书记", "书记编号"),
        "county": ("县", "县区", "县(区)", "所属县"),
        "township": ("乡镇", "乡镇(街道)", "乡镇街道", "所属乡镇"),
        "province": ("省", "省份", "所属省"),
    },
    "assessments": {
        "org": ("组织编码", "组织代码", "党组织编码", "党组织代码", "编码", "代码", "code"),
        "year": ("年度", "年份", "评定年度"),
        "total": ("总分", "得分", "综合得分", "评分", "score"),
        "grade": ("等次", "评定等次", "等级"),
    },
    "people": {
        "id": ("人员编号", "编号", "工号"),
        "name": ("姓名",),
        "roles": ("角色", "职责", "role"),
        "unit": ("单位", "工作单位"),
        "scope": ("辖区", "管辖范围"),
    },
}

_KINDS_ZH = {"行政村": "village", "村": "village", "社区": "community",
             "国有企业": "state_enterprise", "国企": "state_enterprise",
             "非公企业": "non_public", "非公有制企业": "non_public", "机关": "agency",
             "事业单位": "institution"}
_VALUES = {
    "tier": {"直属": "direct", "直属党组织": "direct", "二层": "second_tier",
             "二层党支部": "second_tier", "二级": "second_tier", "二级党支部": "second_tier"},
    "form": {"基层党委": "committee", "党委": "committee", "总支": "general_branch",
             "党总支": "general_branch", "支部": "branch", "党支部": "branch"},
    "grade": {"a": "A", "b": "B", "c": "C", "d": "D", "差": "D"},
}
_NESTED = {"aspects": "aspect:", "facts": "fact:"}
_ROLE_SEPARATORS = re.compile(r"[;|；，,、]")
_FOREST_LOCATION = re.compile(r"organization (.*?)(?:\.(parent))?")


def policy_facts(policy: Policy) -> frozenset[str]:
    """The facts an assessment may carry under ``policy``: the standard ones and its own."""
    own = {c.fact for c in policy.identification.direct if c.fact and c.fact != "total"}
    return frozenset(STANDARD_FACTS) | own


def policy_roles(policy: Policy) -> frozenset[str]:
    """The roles ``policy`` knows: those it grants commands, scopes or support levels to."""
    from rectify.policy._checks import known_roles

    return known_roles(policy)


def _aliases(table: str) -> dict[str, str]:
    return {alias: column for column, names in COLUMN_NAMES_ZH[table].items()
            for alias in names}


def _mapping(columns: ColumnMapping | Mapping[str, str] | None,
             table: str) -> tuple[Mapping[str, str], Mapping[str, Mapping[str, str]]]:
    if columns is None:
        return {}, {}
    if isinstance(columns, ColumnMapping):
        return columns.columns_for(table), columns.values_for(table)
    return columns, {}


def _kind_labels(policy: Policy | None) -> dict[str, str]:
    labels = dict(_KINDS_ZH)
    if policy is not None:
        for key, label in policy.kinds.items():
            labels.update({label.zh: key, label.en: key, label.en.casefold(): key})
        labels.pop("", None)
    return labels


def load_organizations(
    path: str | Path,
    *,
    kinds: Collection[str] | None = None,
    policy: Policy | None = None,
    encoding: str | None = None,
    columns: ColumnMapping | Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> Population:
    """Load organizations and check the tree, returning a `Population`.

    Args:
        path: a ``.csv``, ``.tsv``, ``.xlsx`` or ``.json`` file.
        kinds: the allowed kinds (default: the policy's, when ``policy`` is given).
        policy: the policy whose kinds (and their Chinese labels) the file uses.
        encoding: the text encoding of a CSV or JSON file (default: detected).
        columns: a `ColumnMapping`, or a dict from the file's headers to columns.
        sheet: the worksheet of a workbook (default: the first).

    Raises:
        InputError: with every problem, including the tree's (duplicate codes,
            unknown parents, cycles...).
    """
    if kinds is None and policy is not None:
        kinds = tuple(policy.kinds)
    renames, value_maps = _mapping(columns, "organizations")
    schema = Schema("organizations", ORGANIZATION_COLUMNS, aliases=_aliases("organizations"),
                    values={**_VALUES, "kind": _kind_labels(policy)})
    table, problems, absent = _table(path, schema, encoding=encoding, mapping=renames,
                                     value_maps=value_maps, sheet=sheet)
    orgs: list[Organization] = []
    rows: dict[str, int] = {}
    invalid: set[str] = set()
    valid: set[str] = set()
    for number, values in table.rows:
        row = _Row(table, number, values, problems, absent)
        code = row.text("code", required=True, code=True)
        if code:
            _duplicate(row, "code", code, rows, "organization code")
        name = row.text("name", required=True)
        kind = row.text("kind", required=True, code=True)
        if kind and kinds is not None and kind not in kinds:
            near = suggest(kind, kinds)
            row.fail("kind", f"one of the policy's kinds ({', '.join(kinds)})", kind,
                     f"did you mean {near!r}?" if near else
                     "correct the kind, write its Chinese label, or use a policy that "
                     "declares it")
        tier = row.choice("tier", Tier)
        form = row.choice("form", OrgForm, OrgForm.BRANCH, required=False)
        fields = {c: row.text(c, code=c in ("parent", "secretary"))
                  for c in ("parent", "secretary", "county", "township", "province")}
        if not row.ok or tier is None or form is None:
            if code not in valid:
                invalid.add(code)
            continue
        built = _build(row, Organization, code=code, name=name, kind=kind, tier=tier,
                       form=form, parent=fields["parent"] or None,
                       secretary=fields["secretary"] or None, county=fields["county"],
                       township=fields["township"], province=fields["province"])
        if built:
            valid.add(code)
            orgs.extend(built)
        else:
            invalid.add(code)
    population, cause = _forest(table.source, orgs, rows, invalid, problems)
    if problems or population is None:
        raise InputError(f"cannot load organizations from {path}", problems) from cause
    return population


def _forest(source: str, orgs: list[Organization], rows: Mapping[str, int], invalid: set[str],
            problems: list[Problem]) -> tuple[Population | None, ForestError | None]:
    # Leave out branches whose parent (or an ancestor) is on an invalid row:
    # that row's problem is already reported, and "unknown parent" would mislead.
    kept = {o.code: o for o in orgs}
    changed = True
    while changed:
        orphans = [c for c, o in kept.items() if o.parent in invalid]
        invalid.update(orphans)
        changed = bool(orphans)
        for code in orphans:
            del kept[code]
    try:
        return Population(kept.values()), None
    except ForestError as exc:
        for p in exc.problems:
            match = _FOREST_LOCATION.fullmatch(p.location)
            if match and match.group(1) in rows:
                column = "parent" if match.group(2) else "code"
                location = where(source, rows[match.group(1)], column)
            else:  # pragma: no cover - every forest problem names an organization
                location = f"{source}:{p.location}"
            problems.append(Problem(location, p.expected, p.got, p.fix))
        return None, exc


def load_assessments(
    path: str | Path,
    *,
    aspects: Collection[str] | None = None,
    facts: Collection[str] | None = None,
    population: Population | None = None,
    policy: Policy | None = None,
    encoding: str | None = None,
    columns: ColumnMapping | Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> list[Assessment]:
    """Load annual assessments, in file order.

    Args:
        path: a ``.csv``, ``.tsv``, ``.xlsx`` or ``.json`` file.
        aspects: the allowed ``aspect:<name>`` columns (default: the policy's).
        facts: the allowed ``fact:<name>`` columns (default with a policy:
            `policy_facts()`; without: any name).
        population: when given, must contain every assessed organization.
        policy: the policy whose aspects, facts and labels the file uses; a
            header may then be an aspect's Chinese label (班子配备不齐全).
        encoding: the text encoding of a CSV or JSON file (default: detected).
        columns: a `ColumnMapping`, or a dict from the file's headers to columns.
        sheet: the worksheet of a workbook (default: the first).

    Raises:
        InputError: with every problem, including two rows for one
            organization and year, and a misspelt column (with the closest
            known name).
    """
    if policy is not None:
        aspects = tuple(policy.aspects) if aspects is None else aspects
        facts = tuple(sorted(policy_facts(policy))) if facts is None else facts
    aliases = _aliases("assessments")
    aliases.update({zh: f"fact:{key}" for key, zh in STANDARD_FACTS.items()})
    if policy is not None:
        for key, label in policy.aspects.items():
            aliases.update({label.zh: f"aspect:{key}", key: f"aspect:{key}"})
            if label.en:
                aliases[label.en] = f"aspect:{key}"
    hints = [f"fact:{f}" for f in STANDARD_FACTS]
    prefixes: dict[str, Collection[str] | None] = {"aspect:": aspects, "fact:": facts}
    renames, value_maps = _mapping(columns, "assessments")
    schema = Schema("assessments", ASSESSMENT_COLUMNS, prefixes, aliases, _VALUES)
    table, problems, absent = _table(path, schema, nested=_NESTED, encoding=encoding,
                                     mapping=renames, value_maps=value_maps, sheet=sheet,
                                     hints=hints)
    aspect_columns = [c for c in table.columns if c.startswith("aspect:")]
    fact_columns = [c for c in table.columns if c.startswith("fact:")]
    result: list[Assessment] = []
    seen: dict[Any, int] = {}
    for number, values in table.rows:
        row = _Row(table, number, values, problems, absent)
        org = row.text("org", required=True, code=True)
        if org and population is not None and org not in population:
            row.fail("org", "the code of an organization of the population", org,
                     "correct the code or add the organization")
        year = row.year("year")
        if org and year:
            _duplicate(row, "org", f"{org} {year}", seen, "organization and year")
        total = row.number("total", 0, 100, required=True)
        grade = row.choice("grade", Grade, required=False)
        scores = {c[7:]: row.number(c, 0, 100) for c in aspect_columns}
        measured = {c[5:]: row.number(c) for c in fact_columns}
        if not row.ok or total is None:
            continue
        result.extend(_build(
            row, Assessment, org=org, year=year, total=total, grade=grade,
            aspects={k: v for k, v in scores.items() if v is not None},
            facts={k: v for k, v in measured.items() if v is not None}))
    _raise(path, "assessments", problems)
    return result


def load_people(
    path: str | Path,
    *,
    roles: Collection[str] | None = None,
    policy: Policy | None = None,
    encoding: str | None = None,
    columns: ColumnMapping | Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> list[Person]:
    """Load people, in file order.

    ``roles`` are separated by ``;``, ``|``, ``,`` or ``、`` (full-width forms
    too; a JSON list of strings also works) and may be written as their
    Chinese labels (`ROLE_LABELS`: 第一书记 for ``first_secretary``).

    Args:
        path: a ``.csv``, ``.tsv``, ``.xlsx`` or ``.json`` file.
        roles: the allowed roles (default with a policy: `policy_roles()`;
            without: any name).
        policy: the policy whose roles people may hold.
        encoding: the text encoding of a CSV or JSON file (default: detected).
        columns: a `ColumnMapping`, or a dict from the file's headers to columns.
        sheet: the worksheet of a workbook (default: the first).

    Raises:
        InputError: with every problem, including a duplicate id and an
            unknown role (with the closest known one).
    """
    if roles is None and policy is not None:
        roles = sorted(policy_roles(policy))
    labels = {zh: key for key, zh in ROLE_LABELS.items()}
    seen: dict[Any, int] = {}

    def parse(row: _Row) -> Person | None:
        pid = row.text("id", required=True, code=True)
        if pid:
            _duplicate(row, "id", pid, seen, "person id")
        name = row.text("name", required=True)
        raw = row.values.get("roles", "")
        if isinstance(raw, list) and all(isinstance(r, str) for r in raw):
            given = {r.strip() for r in raw} - {""}
        else:
            given = {r.strip() for r in _ROLE_SEPARATORS.split(row.text("roles"))} - {""}
        held = {labels.get(r, r) for r in given}
        for role in sorted(held):
            if roles is not None and role not in roles:
                near = suggest(role, roles)
                row.fail("roles", f"roles the policy knows ({', '.join(roles)})", role,
                         f"did you mean {near!r}?" if near else
                         "correct the role, or grant it something in the policy")
        unit = row.text("unit")
        scope = row.text("scope")
        if not row.ok:
            return None
        built = _build(row, Person, id=pid, name=name, roles=held, unit=unit, scope=scope)
        return built[0] if built else None

    renames, value_maps = _mapping(columns, "people")
    schema = Schema("people", PERSON_COLUMNS, aliases=_aliases("people"))
    return _load_rows(path, schema, PERSON_COLUMNS, parse, encoding=encoding,
                      mapping=renames, value_maps=value_maps, sheet=sheet)


def write_organizations(organizations: Iterable[Organization], path: str | Path, *,
                        bom: bool = False) -> None:
    """Write organizations to a .csv or .json file that `load_organizations()` reads."""
    rows = [{"code": o.code, "name": o.name, "kind": o.kind, "tier": o.tier.value,
             "form": o.form.value, "parent": o.parent, "secretary": o.secretary,
             "county": o.county, "township": o.township, "province": o.province}
            for o in organizations]
    write_table(Path(path), _used(ORGANIZATION_COLUMNS, rows, "province"), rows, {}, bom=bom)


def write_assessments(assessments: Iterable[Assessment], path: str | Path, *,
                      bom: bool = False) -> None:
    """Write assessments to a .csv or .json file that `load_assessments()` reads.

    Aspect and fact columns come in the order they first appear.
    """
    rows: list[dict[str, Any]] = []
    columns: dict[str, None] = dict.fromkeys(ASSESSMENT_COLUMNS)
    facts: dict[str, None] = {}
    for a in assessments:
        row: dict[str, Any] = {"org": a.org, "year": a.year, "total": a.total,
                               "grade": a.grade.value if a.grade else None}
        row.update({f"aspect:{k}": v for k, v in a.aspects.items()})
        columns.update(dict.fromkeys(f"aspect:{k}" for k in a.aspects))
        row.update({f"fact:{k}": v for k, v in a.facts.items()})
        facts.update(dict.fromkeys(f"fact:{k}" for k in a.facts))
        rows.append(row)
    write_table(Path(path), [*columns, *facts], rows, _NESTED, bom=bom)


def write_people(people: Iterable[Person], path: str | Path, *, bom: bool = False) -> None:
    """Write people to a .csv or .json file that `load_people()` reads (roles sorted)."""
    rows = [{"id": p.id, "name": p.name, "roles": ";".join(sorted(p.roles)), "unit": p.unit,
             "scope": p.scope} for p in people]
    write_table(Path(path), _used(PERSON_COLUMNS, rows, "scope"), rows, {}, bom=bom)


def _used(columns: Iterable[str], rows: list[dict[str, Any]], optional: str) -> list[str]:
    """``columns`` without ``optional`` when no row has a value for it, so files of one
    county keep the columns they always had."""
    if any(row.get(optional) for row in rows):
        return list(columns)
    return [c for c in columns if c != optional]
