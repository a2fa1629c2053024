"""``rectify identify``: the year's identification with reasons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from rectify.cli._common import (
    JsonOption,
    PolicyOption,
    app,
    escape,
    fail,
    load_policy_or_fail,
    out,
    print_json,
    table,
)
from rectify.cli._inputs import ColumnsOption, EncodingOption, PopulationOption, Sources
from rectify.cli._output import FormatOption, OutOption, write_table_or_fail
from rectify.errors import RectifyError
from rectify.reporting.labels import rules_zh

if TYPE_CHECKING:  # identification is imported by the command, not by `rectify --help`
    from rectify.identify import Decision, Identification

__all__ = ["identify_command"]


@app.command("identify")
def identify_command(
    year: Annotated[int, typer.Option("--year", "-y", help="The assessment year.")],
    population: PopulationOption = "sample",
    assessments: Annotated[str | None, typer.Option(
        "--assessments", help="Assessments file (default: from --population).")] = None,
    policy: PolicyOption = "northern-county",
    show_all: Annotated[bool, typer.Option("--all", help="Show every decision.")] = False,
    encoding: EncodingOption = None,
    columns: ColumnsOption = None,
    fmt: FormatOption = None,
    output: OutOption = None,
    json_out: JsonOption = False,
) -> None:
    """Identify the year's weak and lax organizations, with the reasons (排查认定).

    Reads the organizations and assessments named by --population (a folder, a
    file, or a workbook with a sheet per table; CSV in UTF-8 or GB18030, XLSX or
    JSON; Chinese headers welcome).  --format/--out write the decisions as a
    spreadsheet or a Parquet file; --json prints them.
    """
    from rectify.identify import identify

    chosen = load_policy_or_fail(policy)
    sources = Sources(population, chosen, encoding=encoding, columns=columns)
    try:
        pop = sources.population()
        rows = sources.assessments(pop, assessments)
        result = identify(pop, rows, chosen, year)
    except RectifyError as exc:
        raise fail(exc) from None
    decisions = list(result) if show_all else result.listed() + result.near_misses()
    if fmt is not None:
        from rectify.reporting.frames import DECISION_COLUMNS, decision_rows

        shown = {d.org for d in decisions}
        table_rows = [r for r in decision_rows(result) if r["org_id"] in shown]
        headers = {k: f"{zh} {k}" for k, zh, _ in DECISION_COLUMNS}
        write_table_or_fail(table_rows, fmt, output, headers=headers,
                            sheet=f"{year} 排查认定", json_out=json_out)
        return
    if json_out:
        print_json([_decision_json(d, result) for d in decisions])
        return
    _print_identification(result, decisions)


def _print_identification(result: Identification, decisions: list[Decision]) -> None:
    policy = result.policy
    names = {o.code: o.name for o in result.population}
    listed = [d for d in decisions if d.listed]
    out.print(f"[bold]{result.year} identification / 排查认定[/] — policy "
              f"{escape(policy.meta.name)} ({result.fingerprint[:12]}): "
              f"{len(result.listed_codes)} of {len(result)} listed / 列为整顿对象", markup=True)
    legend: dict[str, str] = {}
    grid = table("code", "name / 名称", "kind", "score", "rank", "reasons / 理由")
    for d in listed:
        grid.add_row(d.org, names[d.org], d.kind, f"{d.score:g}", f"倒数{d.rank}/{d.kind_size}",
                      f"{', '.join(d.rules)} / {rules_zh(d.rules, policy)}")
        legend.update((r.rule, f"{r.zh} / {r.en}") for r in d.reasons)
    others = [d for d in decisions if not d.listed]
    near = table()
    if others:
        title = "not listed / 未列入" + ("" if len(others) > len(listed) else
                                       " (near misses / 临界)")
        near = table("code", "name / 名称", "kind", "score", "rank", "margin", "reason / 理由",
                     title=title)
        for d in others:
            near.add_row(d.org, names[d.org], d.kind, f"{d.score:g}",
                         f"倒数{d.rank}/{d.kind_size}" if d.rank else "—",
                         "" if d.margin is None else f"{d.margin:+g}",
                         f"{', '.join(d.rules)} / {rules_zh(d.rules, policy)}")
            legend.update((r.rule, f"{r.zh} / {r.en}") for r in d.reasons)
    summary = table("kind / 类型", "size", "quota", "count", "direct", "listed", "cut-off",
                    title="per kind / 分类统计")
    for k in result.kinds.values():
        summary.add_row(policy.kind_label(k.kind), str(k.size), f"{k.fraction:.0%}", str(k.quota),
                        str(k.direct), str(k.listed), "" if k.cutoff is None else f"{k.cutoff:g}")
    out.print(grid)
    if others:
        out.print(near)
    out.print(summary)
    for rule, text in sorted(legend.items()):
        out.print(f"  {rule}: {text}", soft_wrap=False)


def _decision_json(d: Decision, result: Identification) -> dict[str, Any]:
    org = result.population[d.org]
    return {
        "org_id": d.org, "name": org.name, "kind": d.kind, "tier": org.tier.value,
        "year": d.year, "listed": d.listed, "score": d.score, "grade": d.grade.value,
        "rank": d.rank, "kind_size": d.kind_size, "cutoff": d.cutoff, "margin": d.margin,
        "near_miss": d.near_miss, "policy": d.policy,
        "reasons": [{"rule": r.rule, "en": r.en, "zh": r.zh, "facts": dict(r.facts)}
                    for r in d.reasons],
    }
