"""``rectify demo``: two years of the sample county on the embedded SQLite ledger."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import attrs
import typer

from rectify.cli._common import (
    JsonOption,
    PolicyOption,
    app,
    err,
    escape,
    fail,
    load_policy_or_fail,
    out,
    print_json,
    rich_console,
)
from rectify.errors import InvalidValueError, RectifyError

if TYPE_CHECKING:  # the demo and rich's widgets load with the command, not with --help
    from rich.progress import TaskID

    from rectify.reporting.bulletin import Bulletin
    from rectify.sample.demo import DemoReport

__all__ = ["demo_command", "write_outputs"]


@app.command("demo")
def demo_command(
    db: Annotated[Path, typer.Option("--db", help="The SQLite ledger file.")] = Path(
        "rectify-demo/ledger.sqlite3"),
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the bulletin, "
                                          "spreadsheet and diagrams.")] = Path("rectify-demo"),
    policy: PolicyOption = "northern-county",
    lang: Annotated[str, typer.Option("--lang", help="zh (default) or en.")] = "zh",
    json_out: JsonOption = False,
) -> None:
    """Run two years of the sample county through the whole procedure (演示)."""
    if lang not in ("zh", "en"):
        raise fail(InvalidValueError("--lang", "zh or en", lang))
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from rectify.sample.demo import run_demo
    from rectify.stores import SQLiteStore

    chosen = load_policy_or_fail(policy)
    db.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        store = SQLiteStore(db)
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
                "{task.completed}/{task.total}"), TimeElapsedColumn(), console=rich_console(err),
                transient=True) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=total)
                bar.update(tasks[step], completed=done)

            report = run_demo(chosen, store, progress=progress)
    except RectifyError as exc:
        raise fail(exc) from None
    if json_out:
        try:
            written = write_outputs(report, out_dir, lang=lang, quiet=True)
        except RectifyError as exc:
            raise fail(exc) from None
        print_json({"db": str(db), "events": len(store), "already_done": report.already_done,
                    "steps": [{"name": s.name, "count": s.count, "note": s.note, "zh": s.zh,
                               "note_zh": s.note_zh} for s in report.steps],
                    "written": [str(path) for path in written],
                    "seconds": round(time.perf_counter() - started, 2)})
        return
    if report.already_done:
        out.print(f"[yellow]{escape(str(db))} already holds the demo: every step was recorded "
                  "before; nothing was added / 演示数据已存在, 未重复记录[/]", markup=True)
    if lang == "zh":
        table = Table(title="演示: 北岭县两年整顿工作")
        for header in ("步骤", "数量", "说明"):
            table.add_column(header, overflow="fold")
        for step in report.steps:
            table.add_row(step.zh or step.name, str(step.count), step.note_zh or step.note)
    else:
        table = Table(title="demo: two years of 北岭县")
        for header in ("step", "count", "note"):
            table.add_column(header, overflow="fold")
        for step in report.steps:
            table.add_row(step.name, str(step.count), step.note)
    out.print(table)
    try:
        written = write_outputs(report, out_dir, lang=lang)
    except RectifyError as exc:
        raise fail(exc) from None
    out.print(f"ledger / 台账: {db} ({len(store)} events)")
    for path in written:
        out.print(f"wrote {path}", markup=False)
    out.print(f"done in {time.perf_counter() - started:.1f} s")


def write_outputs(report: DemoReport, out_dir: Path, lang: str = "zh", *,
                  quiet: bool = False) -> list[Path]:
    """Write the ledger spreadsheet, the bulletins, the diagrams and the checkpoint line.

    ``quiet`` prints nothing (the JSON output prints the summary instead).
    """
    from rectify.coverage import build_graph
    from rectify.reporting.diagrams import county_mermaid, workflow_mermaid
    from rectify.reporting.exports import export
    from rectify.stores.chain import checkpoint

    campaign = report.campaign
    out_dir.mkdir(parents=True, exist_ok=True)
    written = export(campaign.store, out_dir / "ledger.xlsx", "xlsx", campaign=campaign)
    workflow = out_dir / "workflow.mmd"
    workflow.write_text(workflow_mermaid(), encoding="utf-8")
    coverage = out_dir / "coverage.mmd"
    county = sorted({o.county for o in campaign.population})[0]
    coverage.write_text(county_mermaid(build_graph(campaign), county), encoding="utf-8")
    written += _bulletins(report, out_dir, lang, quiet)
    head = out_dir / "checkpoint.txt"
    head.write_text(str(checkpoint(campaign.store)) + "\n", encoding="utf-8")
    return [*written, workflow, coverage, head]


def _bulletins(report: DemoReport, out_dir: Path, lang: str, quiet: bool) -> list[Path]:
    """The bulletins the schedule issues in the demo, the quarterly one printed in brief.

    The second-quarter bulletin issued on 10 July 2017 (internal, with its PDF
    where Chromium is installed), the first-half public edition, and the
    annual bulletin for 2016 issued on 10 January 2017.
    """
    from rectify.reporting.bulletin import bulletin
    from rectify.reporting.pdf import find_chromium
    from rectify.reporting.render import write_bulletin

    campaign = report.campaign
    quarterly = bulletin(campaign, period="quarterly", issued=report.bulletin_on)
    if not quiet:
        _print_summary(quarterly, lang)
    pdf = ("pdf",) if find_chromium() else ()
    if not pdf and not quiet:
        out.print("[yellow]no Chromium found: the PDF bulletins are skipped (install chromium "
                  "and fonts-noto-cjk, or set RECTIFY_CHROMIUM)[/]", markup=True)
        out.print("[yellow]未找到Chromium浏览器, 未生成PDF通报 (安装chromium后重新运行即可)[/]",
                  markup=True)
    written = write_bulletin(quarterly, out_dir, ("md", "html", "xlsx", *pdf))
    public = bulletin(campaign, period="half_yearly", issued=report.bulletin_on,
                      audience="public")
    written += write_bulletin(public, out_dir, ("md", "html", *pdf), charts=False,
                              stem="bulletin-2017-H1-public")
    annual = bulletin(campaign, period="annual", issued=report.annual_on)
    written += write_bulletin(annual, out_dir, ("md", "html", "xlsx"), charts=False)
    return written


def _print_summary(made: Bulletin, lang: str) -> None:
    """The bulletin's headline figures, every value shown."""
    from rich.table import Table

    from rectify.reporting.render import format_value

    summary = made.table("summary")
    value = summary.columns[summary.keys.index("value")]
    doc = made.document
    number = f" {doc.number}" if doc else ""
    if lang == "zh":
        table = Table("指标", "数值", title=f"{made.title('zh')}{number}")
        label = summary.keys.index("zh")
    else:
        table = Table("metric", "value", title=f"{made.title('en')}{number}")
        label = summary.keys.index("en")
    for row in summary.rows:
        shown = attrs.evolve(value, fmt=summary.fmt(row, summary.keys.index("value")))
        table.add_row(str(row[label]), format_value(row[-1], shown, lang))
    out.print(table)
