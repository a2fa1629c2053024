"""Rendering bulletins (rectify.reporting.render) and their charts (rectify.reporting.charts)."""

from __future__ import annotations

import functools
import html.parser
import io
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectify import InvalidValueError
from rectify.lifecycle.workflow import WORKFLOW
from rectify.reporting import charts as charts_module
from rectify.reporting.bulletin import Bulletin, Column, bulletin
from rectify.reporting.labels import STATUS_ZH
from rectify.reporting.render import (
    BODY_TABLES,
    SHEET_NAMES,
    bulletin_stem,
    format_value,
    to_html,
    to_markdown,
    to_xlsx,
    write_bulletin,
)
from test_reports import sample_campaign

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
needs_matplotlib = pytest.mark.skipif(
    not charts_module.available(),
    reason="matplotlib is not installed (pip install 'rectify[charts]'): charts are skipped")


@functools.cache
def _bulletin() -> Bulletin:
    return bulletin(sample_campaign(), period="annual", on=date(2016, 12, 31))


class _Page(html.parser.HTMLParser):
    """Collects tags, attributes and text of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def count(self, tag: str) -> int:
        return sum(1 for t, _ in self.tags if t == tag)


def test_markdown_has_every_table_and_chinese_labels() -> None:
    """The Markdown is the document (issuer, number, title, addressees), then a section per
    table, with the states as statuses in Chinese."""
    b = _bulletin()
    text = to_markdown(b)
    assert b.document is not None
    assert text.startswith(f"**{b.document.issuer}**\n\n{b.document.number}\n\n"
                           f"# {b.title('zh')}\n\n{b.document.addressees}:\n")
    for table in b.tables:
        level = "###" if table.name in BODY_TABLES else "##"
        shown = f"\n{level} {table.zh}\n" in text
        assert shown == (bool(table.rows) or table.name not in BODY_TABLES)
    for state in WORKFLOW.states:
        assert f"| {STATUS_ZH[state.name]} |" in text
    assert "| 销号率 | 35.0% |" in text
    assert "2016-T01-02" in text
    assert "行政村" in text


def test_markdown_in_english() -> None:
    """lang='en' gives English titles, headers and identifiers instead of Chinese labels."""
    b = _bulletin()
    text = to_markdown(b, "en")
    for table in b.tables:
        assert f"## {table.en}\n" in text
        assert f"## {table.zh}\n" not in text
    assert f"| identified | {b.state_counts['identified']} |" in text
    assert "已认定" not in text
    assert "| delisting_rate | delisting rate | 35.0% |" in text


def test_empty_tables_say_so() -> None:
    """A table without rows renders as 无 / none rather than an empty grid."""
    b = bulletin(sample_campaign(), period="monthly", on=date(2016, 4, 30))
    assert not b.table("escalations").rows
    assert "## 本期问责 (连续列入)\n\n(无)" in to_markdown(b)
    assert "(none)" in to_markdown(b, "en")


def test_html_is_self_contained_with_tables_and_charts() -> None:
    """One UTF-8 page, lang zh-CN, a table per non-empty table, inline SVG charts, no links out."""
    b = _bulletin()
    page_text = to_html(b)
    page = _Page()
    page.feed(page_text)
    assert page_text.startswith("<!DOCTYPE html>")
    assert ("html", {"lang": "zh-CN"}) in page.tags
    assert ("meta", {"charset": "utf-8"}) in page.tags
    assert page.count("table") == sum(1 for t in b.tables if t.rows)
    sections = {a.get("id") for t, a in page.tags if t == "section"}
    assert {f"table-{t.name}" for t in b.tables
            if t.rows or t.name not in BODY_TABLES} <= sections
    assert not [a for t, a in page.tags if t in ("script", "link", "img")]
    assert "src=" not in page_text
    assert "http://" not in page_text.replace(
        "http://www.w3.org", "")
    text = "".join(page.text)
    for state in WORKFLOW.states:
        assert STATUS_ZH[state.name] in text
    if charts_module.available():
        assert page.count("svg") == 3
        assert {a.get("id") for t, a in page.tags if t == "figure"} == {
            "chart-funnel", "chart-kinds", "chart-overdue_trend"}
        assert "整顿进度漏斗" in text


def test_html_in_english() -> None:
    """lang='en' marks the page English and uses English headers."""
    page = _Page()
    page.feed(to_html(_bulletin(), "en", charts=False))
    assert ("html", {"lang": "en"}) in page.tags
    assert "Cases by state" in "".join(page.text)
    assert page.count("svg") == 0


def test_html_without_matplotlib_keeps_the_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the charts extra the page notes how to get charts and keeps every table."""
    monkeypatch.setattr(charts_module, "available", lambda: False)
    text = to_html(_bulletin())
    assert "<svg" not in text
    assert "rectify[charts]" in text
    assert text.count("<table") == sum(1 for t in _bulletin().tables if t.rows)


def test_xlsx_sheets_headers_and_frozen_panes(tmp_path: Path) -> None:
    """Every table is a sheet with Chinese then English headers frozen above its rows."""
    openpyxl = pytest.importorskip("openpyxl", reason="openpyxl (the xlsx extra) is missing")
    b = _bulletin()
    path = tmp_path / "b.xlsx"
    data = to_xlsx(b, path)
    assert path.read_bytes() == data
    book = openpyxl.load_workbook(path)
    names = book.sheetnames
    assert names[0] == "通报信息"
    assert names[1 : 1 + len(b.tables)] == [SHEET_NAMES[t.name] for t in b.tables]
    for table in b.tables:
        sheet = book[SHEET_NAMES[table.name]]
        assert sheet.freeze_panes == "A3"
        assert [c.value for c in sheet[1]] == [c.zh for c in table.columns]
        assert [c.value for c in sheet[2]] == [c.en for c in table.columns]
        assert sheet.max_row == 2 + len(table.rows)
    states = book[SHEET_NAMES["states"]]
    assert [states.cell(row=r, column=2).value for r in range(3, 10)] == [
        STATUS_ZH[s.name] for s in WORKFLOW.states]
    summary = book[SHEET_NAMES["summary"]]
    rate = next(r for r in summary.iter_rows(min_row=3) if r[0].value == "delisting_rate")
    assert rate[3].number_format == "0.0%"
    assert rate[3].value == pytest.approx(7 / 20)
    new = book[SHEET_NAMES["new_listings"]]
    assert new.cell(row=3, column=6).value.date() == date(2016, 2, 15)
    if charts_module.available():
        assert names[-1] == "图表"
        assert len(book["图表"]._images) == 3


def test_xlsx_in_english() -> None:
    """An English workbook names sheets after the tables and puts English headers first."""
    openpyxl = pytest.importorskip("openpyxl", reason="openpyxl (the xlsx extra) is missing")
    b = _bulletin()
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(b, lang="en", charts=False)))
    assert book.sheetnames == ["Bulletin", *(t.name for t in b.tables)]
    assert [c.value for c in book["states"][1]] == [c.en for c in b.table("states").columns]
    assert book["states"].freeze_panes == "A3"


def test_write_bulletin_writes_every_file(tmp_path: Path) -> None:
    """write_bulletin writes the documents and, with matplotlib, PNG and SVG charts."""
    pytest.importorskip("openpyxl", reason="openpyxl (the xlsx extra) is missing")
    b = _bulletin()
    paths = write_bulletin(b, tmp_path / "out")
    stem = bulletin_stem(b)
    assert stem == "bulletin-2016"
    assert [p.name for p in paths[:3]] == [f"{stem}.md", f"{stem}.html", f"{stem}.xlsx"]
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
    assert (tmp_path / "out" / f"{stem}.md").read_text("utf-8") == to_markdown(b)
    if charts_module.available():
        assert sorted(p.name for p in paths[3:]) == sorted(
            f"{stem}-{name}.{fmt}" for name in charts_module.CHARTS for fmt in ("png", "svg"))
    again = write_bulletin(b, tmp_path / "out", formats=("md",), charts=False, stem="x")
    assert [p.name for p in again] == ["x.md"]


def test_write_bulletin_refuses_unknown_format_or_language(tmp_path: Path) -> None:
    """An unknown format or language raises InvalidValueError before anything is written."""
    with pytest.raises(InvalidValueError, match="formats"):
        write_bulletin(_bulletin(), tmp_path, formats=("doc",))
    with pytest.raises(InvalidValueError, match="lang"):
        to_markdown(_bulletin(), "fr")
    assert not list(tmp_path.iterdir())


def test_stems_name_period_kind_and_county() -> None:
    """File stems carry the period label and the filters."""
    c = sample_campaign()
    b = bulletin(c, period="quarterly", on=date(2017, 3, 31), kind="village", county="北岭县")
    assert bulletin_stem(b) == "bulletin-2017-Q1-village-北岭县"
    assert bulletin_stem(bulletin(c, period="monthly", on=date(2017, 3, 3))) == "bulletin-2017-03"


@given(st.floats(min_value=0, max_value=1))
def test_rates_render_as_percentages(rate: float) -> None:
    """A percent column renders any rate in [0, 1] as a percentage with one decimal."""
    text = format_value(rate, Column("r", "比率", "rate", fmt="percent"))
    assert text.endswith("%")
    assert float(text[:-1]) == pytest.approx(rate * 100, abs=0.05)


@given(st.integers(min_value=0, max_value=10**6))
def test_counts_render_as_integers(count: int) -> None:
    """Counts render as plain integers."""
    assert format_value(count) == str(count)


@needs_matplotlib
@pytest.mark.parametrize("name", list(charts_module.CHARTS))
def test_svg_charts_keep_chinese_text(name: str) -> None:
    """Each SVG chart parses as XML and keeps its Chinese title as text (svg.fonttype none)."""
    svg = charts_module.chart_svg(_bulletin(), name)
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag.endswith("svg")
    texts = "".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    assert charts_module.CHARTS[name][1] in texts
    english = charts_module.chart_svg(_bulletin(), name, "en")
    assert charts_module.CHARTS[name][0] in english


@needs_matplotlib
@pytest.mark.parametrize("name", list(charts_module.CHARTS))
def test_png_charts_are_images(name: str) -> None:
    """Each PNG chart is a real, non-blank image."""
    from PIL import Image

    data = charts_module.chart_png(_bulletin(), name)
    assert data.startswith(PNG_MAGIC)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size[0] > 400
    assert image.size[1] > 200
    assert len(image.getcolors(maxcolors=1 << 24) or ()) > 10


@needs_matplotlib
def test_png_without_cjk_font_is_labelled_in_english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a CJK font a Chinese PNG falls back to English labels (and warns about nothing)."""
    monkeypatch.setattr(charts_module, "cjk_font", lambda: None)
    assert charts_module.chart_png(_bulletin(), "kinds").startswith(PNG_MAGIC)
    assert "整顿进度漏斗" in charts_module.chart_svg(_bulletin(), "funnel")


@needs_matplotlib
def test_charts_leave_matplotlib_settings_alone() -> None:
    """Drawing charts does not change matplotlib's global rcParams."""
    import matplotlib

    before = dict(matplotlib.rcParams)
    charts_module.chart_svg(_bulletin(), "funnel")
    charts_module.chart_png(_bulletin(), "overdue_trend")
    assert dict(matplotlib.rcParams) == before


def test_unknown_chart_is_refused() -> None:
    """Asking for a chart that does not exist raises InvalidValueError."""
    with pytest.raises(InvalidValueError, match="chart"):
        charts_module.chart_svg(_bulletin(), "pie")


def test_cjk_font_found_when_installed() -> None:
    """When fc-list knows a Noto CJK or WenQuanYi font, cjk_font() finds one too."""
    if not charts_module.available():
        pytest.skip("matplotlib is not installed (pip install 'rectify[charts]')")
    fonts = [p for d in ("/usr/share/fonts",) if Path(d).exists()
             for p in Path(d).rglob("*") if "cjk" in p.name.lower() or "wqy" in p.name.lower()]
    if not fonts:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    assert charts_module.cjk_font()


def test_pdf_without_chromium_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    """Without a browser, PrintError names what was tried and how to install one."""
    from rectify.errors import RectifyError
    from rectify.reporting.pdf import PrintError, find_chromium
    from rectify.reporting.render import to_pdf

    monkeypatch.setenv("RECTIFY_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert find_chromium() is None
    with pytest.raises(PrintError, match="apt-get install chromium") as info:
        to_pdf(_bulletin(), tmp_path / "b.pdf")
    assert isinstance(info.value, RectifyError)
    assert isinstance(info.value, RuntimeError)
    assert info.value.browser is None
    assert not (tmp_path / "b.pdf").exists()


def test_public_edition_names_no_one() -> None:
    """The public edition carries no person's name, no score and no internal reason."""
    c = sample_campaign()
    internal = bulletin(c, period="half_yearly", on=date(2016, 12, 31))
    public = bulletin(c, period="half_yearly", on=date(2016, 12, 31), audience="public")
    names = {p.name for p in c.people.values()}
    text = to_markdown(public)
    assert not [n for n in names if n in text]
    assert [n for n in names if n in to_markdown(internal)]
    assert "dismissals" not in [t.name for t in public.tables]
    for table in public.tables:
        assert not {"person", "person_name", "secretary", "score", "reasons"} & set(table.keys)
    assert "公开版" in public.title()


def test_zero_denominators_print_as_a_dash() -> None:
    """A rate over nothing is None in the rows and a dash in every rendering."""
    b = bulletin(sample_campaign(), period="quarterly", on=date(2016, 3, 31))
    township = next(r for r in b.table("kinds").dicts() if r["kind"] == "township")
    assert township["delisting_rate"] is None
    assert "| 乡镇党委 | 8 | 8 | 0 | 0.0% | 0 | 0 | 0 | — |" in to_markdown(b)


@given(st.dates(min_value=date(2016, 1, 2), max_value=date(2018, 12, 31)),
       st.sampled_from(["monthly", "quarterly", "half_yearly", "annual"]))
def test_scheduled_period_ends_before_the_issue_date(issued: date, period: str) -> None:
    """The period a bulletin covers ended before it was issued and is the latest such."""
    from rectify.reporting.bulletin import covered_period, period_bounds

    start, end = covered_period(period, issued)
    assert start <= end < issued
    assert period_bounds(period, end) == (start, end)
    assert period_bounds(period, issued)[0] > end
