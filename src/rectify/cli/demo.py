"""``rectify demo``: two years of the sample county on the embedded SQLite ledger."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from rectify.cli._common import PolicyOption, app, err, fail, load_policy_or_fail, out
from rectify.errors import RectifyError
from rectify.sample.demo import DemoReport, run_demo

__all__ = ["demo_command", "write_outputs"]


@app.command("demo")
def demo_command(
    db: Annotated[Path, typer.Option("--db", help="The SQLite ledger file.")] = Path(
        "rectify-demo/ledger.sqlite3"),
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the bulletin, "
                                          "spreadsheet and diagrams.")] = Path("rectify-demo"),
    policy: PolicyOption = "northern-county",
) -> None:
    """Run two years of the sample county through the whole procedure (演示)."""
    from rectify.stores import SQLiteStore

    chosen = load_policy_or_fail(policy)
    db.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        store = SQLiteStore(db)
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
                "{task.completed}/{task.total}"), TimeElapsedColumn(), console=err,
                transient=True) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=total)
                bar.update(tasks[step], completed=done)

            report = run_demo(chosen, store, progress=progress)
    except RectifyError as exc:
        raise fail(exc) from None
    if report.already_done:
        out.print(f"[yellow]{db} already holds the demo: every step was recorded before; "
                  "nothing was added / 演示数据已存在, 未重复记录[/]")
    table = Table("step / 步骤", "count", "note")
    for step in report.steps:
        table.add_row(step.name, str(step.count), step.note)
    out.print(table)
    try:
        written = write_outputs(report, out_dir)
    except RectifyError as exc:
        raise fail(exc) from None
    out.print(f"ledger / 台账: {db} ({len(store)} events)")
    for path in written:
        out.print(f"wrote {path}")
    out.print(f"done in {time.perf_counter() - started:.1f} s")


def write_outputs(report: DemoReport, out_dir: Path) -> list[Path]:
    """Write the ledger spreadsheet, the diagrams and the ledger's checkpoint line."""
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
    written += _bulletin(report, out_dir)
    head = out_dir / "checkpoint.txt"
    head.write_text(str(checkpoint(campaign.store)) + "\n", encoding="utf-8")
    return [*written, workflow, coverage, head]


def _bulletin(report: DemoReport, out_dir: Path) -> list[Path]:
    """The quarterly bulletin on the demo's last day, printed in brief and written in full."""
    from rectify.reporting.bulletin import bulletin
    from rectify.reporting.render import write_bulletin

    made = bulletin(report.campaign, period="quarterly", on=report.bulletin_on, year=2017)
    summary = made.table("summary")
    table = Table(*(f"{c.zh} / {c.en}" for c in summary.columns),
                  title=f"{made.title('zh')} / {made.title('en')}")
    for row in summary.rows:
        table.add_row(*(summary.fmt(row, i) for i in range(len(row))))
    out.print(table)
    return write_bulletin(made, out_dir)
