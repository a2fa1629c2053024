"""Chinese that reads right: no English identifier inside any Chinese output of the demo.

Every Chinese text the demo produces is scanned: the steps it prints, the
explanations of every identification and escalation, the bulletins
(Markdown, HTML text, the Chinese columns of their workbooks) and the
Chinese columns of the ledger spreadsheet.  Codes (T04-05, 2017-T04-05,
P0190), numbers and dates are allowed; identifiers the engine keeps
(rule ids, kinds, states, levels, aspects, roles, event types, format
names) must have been translated.
"""

from __future__ import annotations

import functools
import html.parser
import re
from pathlib import Path

import pytest

from rectify import load_policy
from rectify.events import EVENT_TYPES
from rectify.identify import RULE_LABELS, identify, rank_phrase
from rectify.lifecycle.workflow import WORKFLOW
from rectify.reporting.bulletin import bulletin
from rectify.reporting.labels import STATUS_ZH
from rectify.sample import sample_assessments, sample_population
from rectify.sample.demo import DemoReport, run_demo

POLICY = load_policy()
#: Identifiers that must never appear inside Chinese text.
VOCABULARY = frozenset({
    *POLICY.kinds, *POLICY.aspects, *POLICY.support.levels, *RULE_LABELS,
    *(c.id for c in POLICY.identification.direct), *(s.name for s in WORKFLOW.states),
    *EVENT_TYPES, "secretary", "parent_secretary", "admonishment", "cautionary", "average",
    "percent", "date", "all_required", "work_plan", "duty_ledger", "progress", "overdue",
    "failed_verification", "listed_again", "unfinished",
})
_WORD = re.compile(r"[A-Za-z][A-Za-z_]*")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def identifiers(text: str) -> list[str]:
    """English identifiers found in ``text``: vocabulary words, snake_case and CamelCase."""
    found = []
    for word in _WORD.findall(text):
        camel = re.fullmatch(r"[A-Z][a-z]+[A-Z][A-Za-z]*", word)
        if word in VOCABULARY or "_" in word or camel:
            found.append(word)
    return found


def test_the_scanner_finds_what_it_must() -> None:
    """The scan catches rule ids, kinds, states and event types, and lets codes through."""
    assert identifiers("quota: 倒序排名 (score=66.9)") == ["quota"]
    assert identifiers("类别 agency; 问题 team_incomplete; 事项 CaseOpened") == [
        "agency", "team_incomplete", "CaseOpened"]
    assert identifiers("南沟乡杏树坪村党支部(T04-05), 2017-T04-05, 丁鑫(P0190), 2016-06-30") == []


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


@functools.cache
def _demo() -> DemoReport:
    return run_demo(POLICY)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's files, as ``rectify demo`` writes them (no PDF: it holds the HTML's text)."""
    from rectify.cli.demo import write_outputs

    out = tmp_path_factory.mktemp("demo")
    write_outputs(_demo(), out)
    return out


def _assert_clean(where: str, texts: list[str]) -> None:
    bad = [(t[:80], identifiers(t)) for t in texts if _CJK.search(t) and identifiers(t)]
    assert not bad, f"{where}: untranslated identifiers in Chinese text: {bad[:5]}"


def test_demo_steps_in_chinese() -> None:
    """The steps the demo prints in Chinese name things in Chinese."""
    steps = _demo().steps
    assert all(s.zh for s in steps)
    _assert_clean("demo steps", [f"{s.zh} {s.note_zh}" for s in steps])


def test_every_explanation_in_chinese() -> None:
    """Every decision of both years, and every escalation, explains itself in Chinese only;
    reverse ranks read 倒数第N."""
    population, assessments = sample_population(), sample_assessments()
    texts = []
    for year in (2016, 2017):
        result = identify(population, assessments, POLICY, year)
        for decision in result:
            text = decision.explain("zh")
            texts.append(text)
            if decision.rank:
                kind = POLICY.kinds[decision.kind].zh
                assert rank_phrase(decision.rank, decision.kind_size, kind) in text
                assert f"排第{decision.rank}" not in text
    opened = _demo().campaign
    from rectify.escalation import escalate

    for decision in escalate(population, opened.listings(), 2017, POLICY):
        texts.append(decision.explain("zh").split(": ", 1)[1])
    _assert_clean("explanations", texts)


def test_bulletins_in_chinese(outputs: Path) -> None:
    """The demo's bulletins (Markdown and HTML text) carry no identifier in Chinese text."""
    files = sorted(outputs.glob("bulletin-*.md")) + sorted(outputs.glob("bulletin-*.html"))
    assert len(files) >= 6
    for path in files:
        text = path.read_text("utf-8")
        if path.suffix == ".html":
            page = _Text()
            page.feed(text)
            lines = "".join(page.parts).splitlines()
        else:
            lines = text.splitlines()
        _assert_clean(path.name, lines)
    q2 = (outputs / "bulletin-2017-Q2.md").read_text("utf-8")
    assert "整顿中(包扶到位)" in q2
    assert "未按期销号转入下年度" in q2


def test_workbooks_in_chinese(outputs: Path) -> None:
    """Sheets written for Chinese readers: every cell of the bulletin workbooks' Chinese
    columns and of the ledger's Chinese columns."""
    openpyxl = pytest.importorskip("openpyxl")
    from rectify.reporting.exports import CASE_COLUMNS, LEDGER_COLUMNS

    for path in sorted(outputs.glob("bulletin-*.xlsx")):
        made = _bulletin_for(path.stem)
        book = openpyxl.load_workbook(path)
        for table in made.tables:
            from rectify.reporting.render import SHEET_NAMES

            sheet = book[SHEET_NAMES[table.name]]
            keep = [j for j, c in enumerate(table.columns) if c.lang != "en"]
            texts = [str(row[j]) for row in sheet.iter_rows(min_row=3, values_only=True)
                     for j in keep if row[j] is not None]
            _assert_clean(f"{path.name}:{sheet.title}", texts)
    book = openpyxl.load_workbook(outputs / "ledger.xlsx", read_only=True)
    for title, columns in (("台账 Ledger", LEDGER_COLUMNS), ("案卷 Cases", CASE_COLUMNS)):
        keys = [k for k, _, _ in columns]
        chinese = [keys.index(k) for k in keys if k.endswith("_zh") or k in ("name",
                                                                             "actor_name")]
        texts = [str(row[j]) for row in book[title].iter_rows(min_row=2, values_only=True)
                 for j in chinese if row[j]]
        assert texts
        _assert_clean(title, texts)


def _bulletin_for(stem: str) -> object:
    report = _demo()
    if stem == "bulletin-2016":
        return bulletin(report.campaign, period="annual", issued=report.annual_on)
    return bulletin(report.campaign, period="quarterly", issued=report.bulletin_on)


def test_statuses_read_as_statuses() -> None:
    """Every state has a status label, none of them a mechanism's name."""
    assert set(STATUS_ZH) == {s.name for s in WORKFLOW.states}
    assert "五级包扶" not in STATUS_ZH.values()


def test_appraisal_restrictions_name_the_appraisal_year() -> None:
    """An appraisal consequence reads 2016年度考核不得评为优秀, not a range of dates."""
    from datetime import date

    from rectify.accountability import Appraisal, appraisal_outcome

    outcome = appraisal_outcome(Appraisal("P0069", 2016, "average"), POLICY, date(2017, 1, 20))
    texts = [r.zh for r in outcome.restrictions if r.kind == "no_excellent_appraisal"]
    assert texts
    assert texts[0].startswith("2016年度考核不得评为优秀")
    assert "至" not in texts[0]
