"""Rendering a bulletin (通报) as Markdown, HTML and XLSX, with its charts.

The rows come from `rectify.reporting.bulletin.bulletin()`; this module only lays
them out.  Chinese labels by default, English with ``lang="en"``.

In Chinese a bulletin is laid out as a document (通报): issuer and number,
title, addressees, 一、总体情况, the league tables by township and by
direct organization, 通报表扬, 点名通报, 存在问题 and 下步要求 (drafts to
edit, marked as such), the signature and date, then the statistics as an
attachment (附件).  In English the header and the statistics are shown.

- `to_markdown()`: the document and one pipe table per table.
- `to_html()`: one self-contained UTF-8 page (``lang="zh-CN"``) laid out
  for A4 print: the document, the tables and the charts as inline SVG (no
  external file, script or font).  Charts need the ``charts`` extra
  (matplotlib); without it the page says so and keeps the tables.
- `to_pdf()`: the HTML printed to an A4 PDF (`rectify.reporting.pdf`) by
  headless Chromium, fonts embedded.
- `to_xlsx()`: a workbook (the ``xlsx`` extra, openpyxl) with an
  information sheet, one sheet per table with Chinese and English header rows
  frozen above the data, and a chart sheet when matplotlib is available.
- `write_bulletin()`: all of these into a directory, with the charts as
  PNG and SVG files.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from rectify.errors import InvalidValueError
from rectify.reporting import charts as _charts
from rectify.reporting.bulletin import AUDIENCES, PERIODS, Bulletin, Column, Table

__all__ = [
    "FORMATS",
    "SHEET_NAMES",
    "bulletin_stem",
    "format_value",
    "to_html",
    "to_markdown",
    "to_pdf",
    "to_xlsx",
    "write_bulletin",
]

#: Output formats `write_bulletin()` knows, with their file suffixes.
FORMATS = {"md": ".md", "html": ".html", "xlsx": ".xlsx", "pdf": ".pdf"}

#: Chinese sheet names of the tables (Excel allows 31 characters); English
#: workbooks use the table names.
SHEET_NAMES = {
    "summary": "总体情况", "states": "按状态统计", "funnel": "整顿进度漏斗",
    "kinds": "按类型统计", "new_listings": "本期新认定", "overdue": "逾期对象",
    "overdue_trend": "逾期趋势", "failed_verifications": "验收不合格",
    "escalations": "问责", "dismissals": "免去书记职务", "support": "包扶覆盖",
    "townships": "乡镇(街道)排名", "units": "直属党组织排名", "named": "点名通报",
    "commended": "按期销号", "carried_over": "上年度未销号",
}

#: Tables the document shows in its body (the rest are attached as statistics).
BODY_TABLES = ("townships", "units", "commended", "named")

_WORDS = {
    "zh": {"on": "截至日期", "period": "通报周期", "county": "县(市、区)", "kind": "党建类型",
           "policy": "政策", "all": "全部", "none": "无", "charts": "图表",
           "no_charts": "图表需要安装 charts 扩展 (pip install 'rectify[charts]')。",
           "info": "通报信息", "year": "整顿年度", "field": "项目", "value": "内容",
           "issued": "印发日期", "number": "文号", "issuer": "发文机关", "to": "主送",
           "edition": "版本", "attachment": "附件: 统计表", "draft": "(草稿, 请审改后印发)",
           "cc": "抄送"},
    "en": {"on": "as of", "period": "period", "county": "county", "kind": "kind",
           "policy": "policy", "all": "all", "none": "none", "charts": "Charts",
           "no_charts": "Charts need the charts extra (pip install 'rectify[charts]').",
           "info": "Bulletin", "year": "listing year", "field": "field", "value": "value",
           "issued": "issued", "number": "number", "issuer": "issuer", "to": "to",
           "edition": "edition", "attachment": "Statistics", "draft": "(draft)", "cc": "cc"},
}


def _lang(lang: str) -> str:
    if lang not in _WORDS:
        raise InvalidValueError("lang", "zh or en", lang)
    return lang


def format_value(value: Any, column: Column | None = None, lang: str = "zh") -> str:
    """A cell as text: rates as percentages, dates in ISO form, floats without noise.

    >>> format_value(0.25, Column("r", "比率", "rate", fmt="percent"))
    '25.0%'
    >>> format_value(82.0), format_value(None), format_value(date(2017, 3, 1))
    ('82', '', '2017-03-01')

    A rate whose denominator is zero is ``None`` and shows as a dash:

    >>> format_value(None, Column("r", "比率", "rate", fmt="percent"))
    '—'
    """
    if value is None:
        return "—" if column is not None and column.fmt == "percent" else ""
    if column is not None and column.fmt == "percent" and isinstance(value, int | float):
        return f"{value * 100:.1f}%"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else str(value).lower()
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _info(bulletin: Bulletin, lang: str) -> list[tuple[str, str]]:
    w = _WORDS[lang]
    en, zh = PERIODS[bulletin.period]
    kind = bulletin.kind or w["all"]
    if lang == "zh" and bulletin.kind:
        kind = bulletin._kind_zh
    doc = bulletin.document
    head: list[tuple[str, str]] = []
    if doc is not None:
        edition = AUDIENCES[bulletin.audience][0 if lang == "en" else 1]
        head = [(w["issuer"], doc.issuer), (w["number"], doc.number),
                (w["issued"], (bulletin.issued or bulletin.on).isoformat()),
                (w["edition"], edition)]
    return head + [
        (w["period"], f"{zh if lang == 'zh' else en}: {bulletin.period_label(lang)} "
                      f"({bulletin.start.isoformat()} – {bulletin.on.isoformat()})"),
        (w["on"], bulletin.on.isoformat()),
        (w["year"], str(bulletin.year)),
        (w["county"], bulletin.county or "、".join(bulletin.counties) or w["all"]),
        (w["kind"], kind),
        (w["policy"], f"{bulletin.policy_name} ({bulletin.policy[:12]})"),
    ][: None if lang == "en" or bulletin.audience == "internal" else -1]


def _shown(table: Table, lang: str) -> list[int]:
    return [i for i, c in enumerate(table.columns) if c.shown(lang)]


def _cell(table: Table, row: tuple[Any, ...], i: int, lang: str) -> str:
    column = table.columns[i]
    fmt = table.fmt(row, i)
    if fmt != column.fmt:
        column = Column(column.key, column.zh, column.en, column.lang, fmt)
    return format_value(row[i], column, lang)


# -- Markdown -------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(table: Table, lang: str, level: str = "##") -> list[str]:
    lines = ["", f"{level} {table.title(lang)}", ""]
    if not table.rows:
        lines.append(f"({_WORDS[lang]['none']})")
        return lines
    idx = _shown(table, lang)
    lines.append("| " + " | ".join(table.columns[i].header(lang) for i in idx) + " |")
    lines.append("| " + " | ".join("---" for _ in idx) + " |")
    for row in table.rows:
        lines.append("| " + " | ".join(_md_escape(_cell(table, row, i, lang))
                                       for i in idx) + " |")
    return lines


#: The sections of the document, in order: (heading, paragraphs attribute, body tables).
_SECTIONS = (
    ("一、总体情况", "overview", ()),
    ("二、各乡镇(街道)和单位整顿进展", "", ("townships", "units")),
    ("三、通报表扬", "commendations", ("commended",)),
    ("四、点名通报", "criticism", ("named",)),
    ("五、存在问题", "problems", ()),
    ("六、下步要求", "requirements", ()),
)


def _document_md(bulletin: Bulletin) -> list[str]:
    doc = bulletin.document
    assert doc is not None
    w = _WORDS["zh"]
    lines = [f"**{doc.issuer}**", "", doc.number, "", f"# {bulletin.title('zh')}", "",
             f"{doc.addressees}:"]
    for heading, attr, tables in _SECTIONS:
        paragraphs = getattr(doc, attr) if attr else ()
        draft = f" {w['draft']}" if doc.drafts and attr in ("problems", "requirements") else ""
        lines += ["", f"## {heading}{draft}", ""]
        lines += [p for text in paragraphs for p in (text, "")][:-1] or []
        present = [bulletin.table(t) for t in tables
                   if _has(bulletin, t) and bulletin.table(t).rows]
        for table in present:
            lines += _md_table(table, "zh", "###")
        if not paragraphs and not present:
            lines.append(f"({w['none']})")
    lines += ["", f"{doc.signature}", "", doc.date_zh]
    if doc.cc:
        lines += ["", f"{w['cc']}: {doc.cc}"]
    return lines


def _has(bulletin: Bulletin, name: str) -> bool:
    return any(t.name == name for t in bulletin.tables)


def to_markdown(bulletin: Bulletin, lang: str = "zh") -> str:
    """The bulletin as Markdown: in Chinese the document, then its statistics as pipe tables.

    In English: the title, the header and the statistics.
    """
    lang = _lang(lang)
    body = lang == "zh" and bulletin.document is not None
    if body:
        lines = [*_document_md(bulletin), "", f"# {_WORDS[lang]['attachment']}", ""]
    else:
        lines = [f"# {bulletin.title(lang)}", ""]
    lines += [f"- {k}: {v}" for k, v in _info(bulletin, lang)]
    for table in bulletin.tables:
        if body and table.name in BODY_TABLES:
            continue
        lines += _md_table(table, lang)
    return "\n".join(lines) + "\n"


# -- HTML -----------------------------------------------------------------------------

_CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
       "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; line-height: 1.5; padding: 0 1em; }
h1 { color: #b22222; font-size: 1.6em; border-bottom: 3px solid #b22222; padding-bottom: .3em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-left: 5px solid #b22222; padding-left: .5em; }
table { border-collapse: collapse; margin: .5em 0; font-size: .92em; }
th, td { border: 1px solid #bbb; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f4e3e3; white-space: nowrap; }
td { word-break: keep-all; overflow-wrap: anywhere; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafafa; }
dl.info { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }
dl.info dt { font-weight: bold; }
dl.info dd { margin: 0; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; border: 1px solid #ddd; padding: .5em; background: #fff; }
figure svg { width: 520px; height: auto; display: block; }
p.empty { color: #777; }
header.doc { text-align: center; margin-bottom: 1.5em; }
header.doc .issuer { color: #c00; font-size: 2em; font-weight: bold; letter-spacing: .15em; }
header.doc .number { margin-top: .6em; }
header.doc hr { border: 0; border-top: 2px solid #c00; margin: .6em 0 1.2em; }
header.doc h1 { border: 0; color: #222; font-size: 1.5em; }
p.to { font-weight: bold; }
section.doc p { text-indent: 2em; margin: .4em 0; }
section.doc h2 { border: 0; padding: 0; font-size: 1.15em; }
.draft { color: #b8860b; font-weight: normal; font-size: .85em; }
footer.doc { text-align: right; margin: 2em 4em 1em 0; }
p.cc { border-top: 1px solid #999; border-bottom: 1px solid #999; padding: .3em 0; }
@page { size: A4; margin: 2.2cm 1.8cm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; }
  table { break-inside: auto; font-size: 9pt; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
  figure svg { width: 100%; }
  section.attachment { break-before: page; }
}
"""


_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)


def _svg_inline(svg: str) -> str:
    """An SVG document without its XML prolog and metadata, for embedding in HTML."""
    start = svg.find("<svg")
    return _METADATA.sub("", svg[start:] if start >= 0 else svg)


def _html_table(table: Table, lang: str, level: str = "h2") -> list[str]:
    idx = _shown(table, lang)
    out = [f'<section class="table" id="table-{table.name}">',
           f"<{level}>{html.escape(table.title(lang))}</{level}>"]
    if not table.rows:
        out += [f'<p class="empty">{html.escape(_WORDS[lang]["none"])}</p>', "</section>"]
        return out
    out.append(f'<table data-table="{table.name}">')
    out.append("<thead><tr>" + "".join(
        f'<th data-key="{c.key}">{html.escape(c.header(lang))}</th>'
        for c in (table.columns[i] for i in idx)) + "</tr></thead>")
    out.append("<tbody>")
    for row in table.rows:
        cells = []
        for i in idx:
            numeric = isinstance(row[i], int | float) and not isinstance(row[i], bool)
            cls = ' class="num"' if numeric else ""
            cells.append(f"<td{cls}>{html.escape(_cell(table, row, i, lang))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out += ["</tbody>", "</table>", "</section>"]
    return out


def _document_html(bulletin: Bulletin) -> list[str]:
    doc = bulletin.document
    assert doc is not None
    w = _WORDS["zh"]
    esc = html.escape
    out = ['<header class="doc">', f'<div class="issuer">{esc(doc.issuer)}</div>',
           f'<div class="number">{esc(doc.number)}</div>', "<hr>",
           f"<h1>{esc(bulletin.title('zh'))}</h1>", "</header>",
           f'<p class="to">{esc(doc.addressees)}:</p>']
    for heading, attr, tables in _SECTIONS:
        paragraphs = getattr(doc, attr) if attr else ()
        draft = (f' <span class="draft">{esc(w["draft"])}</span>'
                 if doc.drafts and attr in ("problems", "requirements") else "")
        out += [f'<section class="doc" id="doc-{attr or "league"}">',
                f"<h2>{esc(heading)}{draft}</h2>"]
        out += [f"<p>{esc(text)}</p>" for text in paragraphs]
        present = [bulletin.table(t) for t in tables
                   if _has(bulletin, t) and bulletin.table(t).rows]
        for table in present:
            out += _html_table(table, "zh", "h3")
        if not paragraphs and not present:
            out.append(f'<p class="empty">{esc(w["none"])}</p>')
        out.append("</section>")
    out += ['<footer class="doc">', f"<div>{esc(doc.signature)}</div>",
            f"<div>{esc(doc.date_zh)}</div>", "</footer>"]
    if doc.cc:
        out.append(f'<p class="cc">{esc(w["cc"])}: {esc(doc.cc)}</p>')
    return out


def to_html(bulletin: Bulletin, lang: str = "zh", charts: bool = True) -> str:
    """The bulletin as one self-contained HTML page with inline SVG charts, ready for A4 print.

    In Chinese the page is the document followed by its statistics (附件);
    ``charts=False`` leaves the charts out; without matplotlib the page
    carries a note instead of them.
    """
    lang = _lang(lang)
    title = html.escape(bulletin.title(lang))
    body = lang == "zh" and bulletin.document is not None
    out = ["<!DOCTYPE html>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', "<head>",
           '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{title}</title>", f"<style>{_CSS}</style>", "</head>", "<body>"]
    if body:
        out += _document_html(bulletin)
        out += ['<section class="attachment">',
                f"<h1>{html.escape(_WORDS[lang]['attachment'])}</h1>"]
    else:
        out.append(f"<h1>{title}</h1>")
    out.append('<dl class="info">')
    for key, value in _info(bulletin, lang):
        out.append(f"<dt>{html.escape(key)}</dt><dd>{html.escape(value)}</dd>")
    out.append("</dl>")
    if charts:
        out += ['<section id="charts">', f"<h2>{html.escape(_WORDS[lang]['charts'])}</h2>"]
        if _charts.available():
            out.append('<div class="charts">')
            for name, (en, zh) in _charts.CHARTS.items():
                svg = _svg_inline(_charts.chart_svg(bulletin, name, lang))
                label = html.escape(zh if lang == "zh" else en, quote=True)
                out += [f'<figure id="chart-{name}" aria-label="{label}">', svg, "</figure>"]
            out.append("</div>")
        else:
            out.append(f'<p class="empty">{html.escape(_WORDS[lang]["no_charts"])}</p>')
        out.append("</section>")
    for table in bulletin.tables:
        if body and table.name in BODY_TABLES:
            continue
        out += _html_table(table, lang)
    if body:
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


# -- XLSX -----------------------------------------------------------------------------


def _sheet_name(table: Table, lang: str) -> str:
    return SHEET_NAMES.get(table.name, table.name)[:31] if lang == "zh" else table.name[:31]


def _width(values: Iterable[str]) -> float:
    # East Asian characters take about two columns.
    longest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in v) for v in values), default=8)
    return float(min(max(longest + 2, 8), 60))


def to_xlsx(bulletin: Bulletin, path: str | Path | None = None, lang: str = "zh",
            charts: bool = True) -> bytes:
    """The bulletin as an XLSX workbook; written to ``path`` when given, returned as bytes.

    The first sheet holds the bulletin's header; then one sheet per table
    (named in ``lang``: `SHEET_NAMES` in Chinese, the table names in
    English) whose first two rows are the headers in ``lang`` and in the
    other language, frozen above the data; dates are date cells and rates
    percentage cells.  With ``charts`` and matplotlib available, a last sheet
    shows the PNG charts.  Requires openpyxl (the ``xlsx`` extra).
    """
    lang = _lang(lang)
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    other = "en" if lang == "zh" else "zh"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F4E3E3")
    book = Workbook()
    info = book.active
    info.title = _WORDS[lang]["info"]
    info.append([_WORDS[lang]["field"], _WORDS[lang]["value"]])
    info.append([_WORDS[other]["field"], _WORDS[other]["value"]])
    info.append([_WORDS[lang]["info"], bulletin.title(lang)])
    for key, value in _info(bulletin, lang):
        info.append([key, value])
    info.freeze_panes = "A3"
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 90
    for cell in (*info[1], *info[2]):
        cell.font, cell.fill = bold, fill
    for table in bulletin.tables:
        sheet = book.create_sheet(_sheet_name(table, lang))
        sheet.append([c.header(lang) for c in table.columns])
        sheet.append([c.header(other) for c in table.columns])
        percent = [c.fmt == "percent" or (table.name == "summary" and c.key == "value")
                   for c in table.columns]
        for row in table.rows:
            sheet.append(["—" if v is None and percent[j] else v for j, v in enumerate(row)])
        for cell in (*sheet[1], *sheet[2]):
            cell.font, cell.fill = bold, fill
        for j, column in enumerate(table.columns, start=1):
            letter = get_column_letter(j)
            texts = [column.header(lang), column.header(other)]
            texts += [_cell(table, r, j - 1, lang) for r in table.rows]
            sheet.column_dimensions[letter].width = _width(texts)
            for r, values in enumerate(table.rows, start=3):
                cell = sheet.cell(row=r, column=j)
                if table.fmt(values, j - 1) == "percent":
                    cell.number_format = "0.0%"
                elif isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "A3"
    if charts and _charts.available():
        _chart_sheet(book, bulletin, lang)
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _chart_sheet(book: Any, bulletin: Bulletin, lang: str) -> None:
    from openpyxl.drawing.image import Image

    sheet = book.create_sheet("图表" if lang == "zh" else "charts")
    row = 1
    for name in _charts.CHARTS:
        image = Image(io.BytesIO(_charts.chart_png(bulletin, name, lang, dpi=80)))
        sheet.add_image(image, f"A{row}")
        row += int(image.height / 20) + 2


# -- files ----------------------------------------------------------------------------


def bulletin_stem(bulletin: Bulletin) -> str:
    """The default file stem: ``bulletin-2017-Q1``, ``bulletin-2017-03``, ``bulletin-2017``.

    The kind and the county are appended when the bulletin is filtered.
    """
    parts = ["bulletin", bulletin.period_label("en").replace(" ", "-")]
    if bulletin.kind:
        parts.append(bulletin.kind)
    if bulletin.county:
        parts.append(bulletin.county)
    return "-".join(parts)


def write_bulletin(bulletin: Bulletin, out_dir: str | Path,
                   formats: Iterable[str] = ("md", "html", "xlsx"), lang: str = "zh", *,
                   charts: bool = True, stem: str | None = None) -> list[Path]:
    """Write the bulletin in ``formats`` into ``out_dir``, and its charts as PNG and SVG.

    Files are named ``<stem>.md``, ``<stem>.html``, ``<stem>.xlsx`` and
    ``<stem>-<chart>.png``/``.svg`` (``stem`` defaults to
    `bulletin_stem()`); existing files are replaced.  Charts are written
    only when ``charts`` is true and matplotlib (the ``charts`` extra) is
    installed.  ``pdf`` prints the HTML with headless Chromium
    (`to_pdf()`).  Returns the paths written, in that
    order.

    Raises:
        InvalidValueError: an unknown format or language.
        PrintError: ``pdf`` was asked for and no Chromium is installed, or it failed.
    """
    lang = _lang(lang)
    wanted = list(formats)
    for fmt in wanted:
        if fmt not in FORMATS:
            raise InvalidValueError("formats", f"some of {', '.join(FORMATS)}", fmt)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = stem or bulletin_stem(bulletin)
    paths: list[Path] = []
    for fmt in wanted:
        path = out / f"{stem}{FORMATS[fmt]}"
        if fmt == "md":
            path.write_text(to_markdown(bulletin, lang), encoding="utf-8")
        elif fmt == "html":
            path.write_text(to_html(bulletin, lang, charts=charts), encoding="utf-8")
        elif fmt == "pdf":
            to_pdf(bulletin, path, lang, charts=charts)
        else:
            to_xlsx(bulletin, path, lang, charts=charts)
        paths.append(path)
    if charts and _charts.available():
        paths += _charts.write_charts(bulletin, out, lang=lang, stem=stem)
    return paths


def to_pdf(bulletin: Bulletin, path: str | Path, lang: str = "zh", *,
           charts: bool = True, timeout: float = 120.0) -> Path:
    """Print ``bulletin`` to an A4 PDF at ``path`` with headless Chromium; returns the path.

    Raises:
        PrintError: no Chromium is installed, it failed, or it wrote no PDF.
        InvalidValueError: an unknown language.
    """
    from rectify.reporting.pdf import print_html

    return print_html(to_html(bulletin, lang, charts=charts), path, timeout=timeout)
