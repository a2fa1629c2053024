"""What-if reports: a comparison or a simulation as Markdown, HTML or an XLSX workbook.

This is the only module of `rectify.simulate` that writes files.  The
tables come from `comparison_tables` and `simulation_tables`
(plain rows, English with Chinese beside it); the charts are drawn with
matplotlib (the ``charts`` extra) as SVG, whose text stays text so Chinese
labels need no font here: listings per kind under A and B for a
comparison, fan charts (mean, 90% interval, range) of escalations and
listings over the years for a simulation.  The workbook holds one sheet per
table and native spreadsheet charts (openpyxl, the ``xlsx`` extra).
Without matplotlib, Markdown and HTML reports are written without charts
and say so.
"""

from __future__ import annotations

import html
import io
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from rectify.errors import InvalidValueError
from rectify.simulate._text import kind_zh, level_zh, reason_zh
from rectify.simulate.compare import Comparison
from rectify.simulate.montecarlo import METRICS, Simulation

__all__ = [
    "COUNT_LABELS",
    "FORMATS",
    "Table",
    "comparison_tables",
    "simulation_tables",
    "write_report",
]

#: Report formats by file suffix.
FORMATS = ("md", "html", "xlsx")

#: The consequence counts of a comparison with their Chinese names.
COUNT_LABELS: dict[str, str] = {
    "listed": "列为整顿对象",
    "escalations": "问责",
    "dismissals": "免去书记职务",
    "parent_dismissals": "其中上级党组织书记",
    "talks": "约谈",
    "first_secretaries": "选派第一书记",
    "supporters_needed": "所需包扶人员",
    "support_assignments": "包扶任务",
}

_ROLE_ZH = {"secretary": "书记", "parent_secretary": "上级党组织书记"}
_FAN_METRICS = ("escalations", "listings", "carried_over")
_COLOURS = ("#b22222", "#4682b4", "#2e8b57")


@attrs.frozen
class Table:
    """One table of a report: a bilingual title, a header and rows of plain values."""

    name: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def _count_label(key: str, comparison: Comparison) -> str:
    if key in COUNT_LABELS:
        return f"{key} / {COUNT_LABELS[key]}"
    _, level, what = key.split(".")
    zh = level_zh(comparison.policy_b, level) + ("人数" if what == "needed" else "任务")
    return f"{key} / {zh}"


def comparison_tables(comparison: Comparison) -> list[Table]:
    """The tables of a comparison report, in reading order."""
    a, b = comparison.consequences_a.counts(), comparison.consequences_b.counts()
    diff = comparison.difference()
    pa, pb = comparison.policy_a, comparison.policy_b
    tables = [Table("summary", "Consequences / 后果对比",
                    ("measure / 指标", f"A {pa.meta.name} / 甲", f"B {pb.meta.name} / 乙",
                     "difference / 差值"),
                    tuple((_count_label(k, comparison), a.get(k, 0), b.get(k, 0), diff[k])
                          for k in diff))]
    change_zh = {"added": "新增列入", "removed": "不再列入"}
    tables.append(Table("changes", "Changed verdicts / 认定结果变化", (
        "code / 编码", "name / 名称", "kind / 类型", "township / 乡镇", "change / 变化",
        "A reasons / 甲方案理由", "B reasons / 乙方案理由"), tuple(
        (c.org, c.name, f"{c.kind} / {kind_zh(pb, c.kind)}", c.township,
         f"{c.direction} / {change_zh[c.direction]}",
         "; ".join(reason_zh(r, c.a.kind_zh) for r in c.a.reasons),
         "; ".join(reason_zh(r, c.b.kind_zh) for r in c.b.reasons)) for c in comparison.changes)))
    head = ("A / 甲", "B / 乙", "added / 新增", "removed / 减少", "difference / 差值")
    tables.append(Table("kinds", "Listings by kind / 分类型", ("kind / 类型", *head), tuple(
        (f"{g.key} / {kind_zh(pb, g.key)}", g.listed_a, g.listed_b, g.added, g.removed,
         g.difference) for g in comparison.by_kind)))
    tables.append(Table("townships", "Listings by township / 分乡镇", ("township / 乡镇", *head),
                        tuple((g.key, g.listed_a, g.listed_b, g.added, g.removed, g.difference)
                              for g in comparison.by_township)))
    rule_zh = _rule_labels(comparison)
    tables.append(Table("rules", "Listings by rule / 分认定依据", ("rule / 依据", *head), tuple(
        (f"{g.key} / {rule_zh.get(g.key, g.key)}", g.listed_a, g.listed_b, g.added, g.removed,
         g.difference) for g in comparison.by_rule)))
    rows: list[tuple[Any, ...]] = []
    for side, c, policy in (("A / 甲", comparison.consequences_a, pa),
                            ("B / 乙", comparison.consequences_b, pb)):
        for n in c.support:
            rows.append((side, f"{n.level} / {level_zh(policy, n.level)}", n.cases, n.cap,
                         n.needed, "" if n.available is None else n.available,
                         "" if n.per_cadre is None else round(n.per_cadre, 2),
                         "yes / 超限" if n.over_cap else "no / 未超限"))
    tables.append(Table("support", "Support needed per level / 包扶力量需求", (
        "policy / 方案", "level / 包扶层级", "cases / 对象数", "cap / 上限", "needed / 需要",
        "available / 现有", "per person / 人均", "over cap / 是否超限"),
        tuple(rows)))
    rows = []
    population = comparison.a.population
    for side, c in (("A / 甲", comparison.consequences_a), ("B / 乙", comparison.consequences_b)):
        rows += [(side, d.org, d.person or "", f"{d.role} / {_ROLE_ZH.get(d.role, d.role)}",
                  d.reason_zh) for d in c.dismissals]
        rows += [(side, org, population[org].secretary or "", "talk / 约谈",
                  "连续被列为整顿对象, 尚未达到问责年数") for org in c.talks]
    tables.append(Table("accountability", "Dismissals and talks / 免职与约谈", (
        "policy / 方案", "org / 组织", "person / 人员", "role / 职务", "reason / 原因"),
        tuple(rows)))
    return tables


def _rule_labels(comparison: Comparison) -> dict[str, str]:
    labels: dict[str, str] = {}
    for side in (comparison.a, comparison.b):
        for d in side.listed():
            for r in d.reasons:
                labels.setdefault(r.rule, r.zh)
    for c in comparison.changes:
        for r in (*c.a.reasons, *c.b.reasons):
            labels.setdefault(r.rule, r.zh)
    return labels


def simulation_tables(simulation: Simulation) -> list[Table]:
    """The tables of a simulation report, in reading order."""
    years = simulation.years
    settings = Table("settings", "Settings / 模拟设置", ("setting / 项目", "value / 值"), (
        ("policy / 政策", f"{simulation.policy.meta.name} "
                         f"({simulation.policy.fingerprint()[:12]})"),
        ("outcome model / 成效模型", f"{simulation.model.meta.name} "
                                    f"({simulation.model.fingerprint()[:12]})"),
        ("runs / 模拟次数", len(simulation.runs)), ("seed / 随机种子", simulation.seed),
        ("years / 年份", f"{years[0]}-{years[-1]}")))
    header = ("measure / 指标", *(f"{y} mean [90%] / 均值 [90%区间]" for y in years),
              f"{years[0]}-{years[-1]} total / 合计")
    rows = tuple((f"{m} / {zh}", *(simulation.distribution(m, y).render() for y in years),
                  simulation.totals(m).render()) for m, (_, zh) in METRICS.items())
    levels = sorted({lv for run in simulation.runs for s in run for lv in s.support})
    support_rows = []
    for level in levels:
        cells = []
        for i, _ in enumerate(years):
            values = [run[i].support.get(level, 0) for run in simulation.runs]
            cells.append(f"{sum(values) / len(values):.1f}")
        support_rows.append((f"{level} / {level_zh(simulation.policy, level)}", *cells))
    return [settings, Table("distributions", "Distributions over the runs / 模拟结果分布",
                            header, rows),
            Table("support", "Support assignments per level (mean) / 各层级包扶任务 (均值)",
                  ("level / 包扶层级", *(str(y) for y in years)), tuple(support_rows))]


# -- charts ------------------------------------------------------------------------------------


def _charts_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def _rc(name: str) -> Iterator[None]:
    """Local matplotlib settings for one chart; the host's configuration is left alone."""
    import matplotlib

    rc: dict[Any, Any] = {
        "svg.fonttype": "none", "svg.hashsalt": f"rectify-whatif-{name}",
        "font.family": "sans-serif",
        "font.sans-serif": ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "DejaVu Sans"],
        "axes.unicode_minus": False, "axes.spines.top": False, "axes.spines.right": False,
    }
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
        warnings.filterwarnings("ignore", message=r"findfont: Font family")
        yield


def _svg(draw: Any, name: str) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _rc(name):
        fig = Figure(figsize=(7.2, 4.0), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        draw(fig.add_subplot())
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def kinds_chart_svg(comparison: Comparison) -> str:
    """Listings per kind under A and B (各类型整顿对象: 甲方案与乙方案), as SVG."""
    policy = comparison.policy_b
    groups = comparison.by_kind

    def draw(ax: Any) -> None:
        xs = list(range(len(groups)))
        width = 0.38
        ax.bar([x - width / 2 for x in xs], [g.listed_a for g in groups], width,
               label=f"甲方案 {comparison.policy_a.meta.name}", color=_COLOURS[0])
        ax.bar([x + width / 2 for x in xs], [g.listed_b for g in groups], width,
               label=f"乙方案 {policy.meta.name}", color=_COLOURS[1])
        ax.set_xticks(xs, [kind_zh(policy, g.key) for g in groups])
        ax.set_title(f"{comparison.year}年各类型整顿对象 / listings per kind, A vs B")
        ax.set_ylabel("数量 / organizations")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend(frameon=False)

    return _svg(draw, "kinds")


def fan_chart_svg(simulation: Simulation, metric: str = "escalations") -> str:
    """A fan chart of ``metric`` over the years: mean, 90% interval and range, as SVG."""
    if metric not in METRICS:
        raise InvalidValueError("metric", f"one of {', '.join(METRICS)}", metric)
    en, zh = METRICS[metric]
    years = list(simulation.years)
    dist = [simulation.distribution(metric, y) for y in years]

    def draw(ax: Any) -> None:
        ax.fill_between(years, [d.minimum for d in dist], [d.maximum for d in dist],
                        color=_COLOURS[1], alpha=0.15, label="范围 / range")
        ax.fill_between(years, [d.low for d in dist], [d.high for d in dist],
                        color=_COLOURS[1], alpha=0.35, label="90%区间 / 90% interval")
        ax.plot(years, [d.mean for d in dist], marker="o", color=_COLOURS[0],
                label="均值 / mean")
        ax.set_xticks(years, [str(y) for y in years])
        ax.set_ylim(bottom=0)
        ax.set_title(f"{zh} / {en} ({len(simulation.runs)}次模拟 / runs)")
        ax.set_ylabel("数量 / count")
        ax.legend(frameon=False)

    return _svg(draw, f"fan-{metric}")


def _charts(result: Comparison | Simulation) -> list[tuple[str, str, str]]:
    """``(name, title, svg)`` of the report's charts; empty without matplotlib."""
    if not _charts_available():
        return []
    if isinstance(result, Comparison):
        return [("kinds", "Listings per kind, A vs B / 各类型整顿对象", kinds_chart_svg(result))]
    return [(f"fan-{m}", f"{METRICS[m][1]} / {METRICS[m][0]}", fan_chart_svg(result, m))
            for m in _FAN_METRICS]


# -- writers -------------------------------------------------------------------------------------


def write_report(result: Comparison | Simulation, path: str | Path,
                 fmt: str | None = None) -> list[Path]:
    """Write ``result`` as a report at ``path``; return every file written.

    ``fmt`` is ``md``, ``html`` or ``xlsx`` (default: from the suffix).  A
    Markdown report writes its charts as SVG files beside it
    (``<stem>-<chart>.svg``); HTML embeds them; the workbook has native
    charts.  Raises `InvalidValueError` for another
    format, and `OSError` when the file cannot be written.
    """
    target = Path(path)
    chosen = (fmt or target.suffix.lstrip(".")).lower()
    if chosen == "markdown":
        chosen = "md"
    if chosen not in FORMATS:
        raise InvalidValueError("format", f"one of {', '.join(FORMATS)}", chosen,
                                "name the report file .md, .html or .xlsx")
    tables = comparison_tables(result) if isinstance(result, Comparison) \
        else simulation_tables(result)
    title = _title(result)
    target.parent.mkdir(parents=True, exist_ok=True)
    if chosen == "xlsx":
        _write_xlsx(target, result, tables)
        return [target]
    charts = _charts(result)
    if chosen == "html":
        target.write_text(_html(title, result, tables, charts), encoding="utf-8")
        return [target]
    written = [target]
    images: list[tuple[str, str]] = []
    for name, chart_title, svg in charts:
        image = target.with_name(f"{target.stem}-{name}.svg")
        image.write_text(svg, encoding="utf-8")
        written.append(image)
        images.append((chart_title, image.name))
    target.write_text(_markdown(title, result, tables, images), encoding="utf-8")
    return written


def _title(result: Comparison | Simulation) -> str:
    if isinstance(result, Comparison):
        return (f"What-if: {result.policy_a.meta.name} vs {result.policy_b.meta.name}, "
                f"{result.year} / 政策对比: 甲方案与乙方案 ({result.year}年)")
    years = result.years
    return (f"Simulation of {result.policy.meta.name}, {years[0]}-{years[-1]} / "
            f"多年模拟 ({years[0]}-{years[-1]}年, {len(result.runs)}次)")


def _lead(result: Comparison | Simulation) -> list[str]:
    if isinstance(result, Comparison):
        return [result.summary("zh"), "", result.summary("en")]
    return ["各项指标为多次模拟的均值及90%区间(第5至第95百分位); 成效模型的假设见模型说明。", "",
            "Each measure is the mean over the runs with its 90% interval (5th to 95th "
            "percentile); the outcome model's assumptions are documented with the model."]


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _markdown(title: str, result: Comparison | Simulation, tables: Sequence[Table],
              images: Sequence[tuple[str, str]]) -> str:
    lines = [f"# {title}", "", *_lead(result), ""]
    for chart_title, name in images:
        lines += [f"![{chart_title}]({name})", ""]
    if not images:
        lines += ["(charts need the charts extra / 图表需要安装 charts 扩展)", ""]
    for table in tables:
        lines += [f"## {table.title}", ""]
        if not table.rows:
            lines += ["(none / 无)", ""]
            continue
        lines.append("| " + " | ".join(table.header) + " |")
        lines.append("|" + "---|" * len(table.header))
        lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.rows]
        lines.append("")
    return "\n".join(lines)


def _html(title: str, result: Comparison | Simulation, tables: Sequence[Table],
          charts: Sequence[tuple[str, str, str]]) -> str:
    esc = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
             f"<title>{esc(title)}</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
             "margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:.25em .5em;"
             "text-align:left}th{background:#f3f3f3}</style></head><body>",
             f"<h1>{esc(title)}</h1>"]
    parts += [f"<p>{esc(line)}</p>" for line in _lead(result) if line]
    for _, chart_title, svg in charts:
        body = svg[svg.index("<svg"):]
        parts.append(f"<figure>{body}<figcaption>{esc(chart_title)}</figcaption></figure>")
    if not charts:
        parts.append("<p>(charts need the charts extra / 图表需要安装 charts 扩展)</p>")
    for table in tables:
        parts.append(f"<h2>{esc(table.title)}</h2>")
        if not table.rows:
            parts.append("<p>(none / 无)</p>")
            continue
        parts.append("<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in table.header)
                     + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>"
                  for row in table.rows]
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _write_xlsx(path: Path, result: Comparison | Simulation, tables: Sequence[Table]) -> None:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference

    book = Workbook()
    first = book.active
    if first is not None:
        book.remove(first)
    for table in tables:
        sheet = book.create_sheet(table.title.split(" / ")[-1][:31])
        sheet.append(list(table.header))
        for row in table.rows:
            sheet.append(list(row))
        sheet.freeze_panes = "A2"
    if isinstance(result, Comparison):
        sheet = book.create_sheet("图表 Charts")
        sheet.append(["kind / 类型", "A / 甲", "B / 乙"])
        for g in result.by_kind:
            sheet.append([kind_zh(result.policy_b, g.key), g.listed_a, g.listed_b])
        bar = BarChart()
        bar.title = "各类型整顿对象 / listings per kind, A vs B"
        data = Reference(sheet, min_col=2, max_col=3, min_row=1, max_row=len(result.by_kind) + 1)
        bar.add_data(data, titles_from_data=True)
        bar.set_categories(Reference(sheet, min_col=1, min_row=2,
                                     max_row=len(result.by_kind) + 1))
        sheet.add_chart(bar, "E2")
    else:
        sheet = book.create_sheet("图表 Charts")
        top = 1
        for metric in _FAN_METRICS:
            en, zh = METRICS[metric]
            sheet.cell(top, 1, f"{metric} / {zh}")
            header = ["year / 年份", "5% / 下限", "mean / 均值", "95% / 上限"]
            for col, text in enumerate(header, 1):
                sheet.cell(top + 1, col, text)
            for i, year in enumerate(result.years):
                d = result.distribution(metric, year)
                for col, value in enumerate((year, d.low, d.mean, d.high), 1):
                    sheet.cell(top + 2 + i, col, value)
            line = LineChart()
            line.title = f"{zh} / {en}"
            last = top + 1 + len(result.years)
            line.add_data(Reference(sheet, min_col=2, max_col=4, min_row=top + 1, max_row=last),
                          titles_from_data=True)
            line.set_categories(Reference(sheet, min_col=1, min_row=top + 2, max_row=last))
            sheet.add_chart(line, f"F{top}")
            top = last + 16
    book.save(path)
