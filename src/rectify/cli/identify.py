"""``rectify identify``: the year's identification with reasons."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from rectify.cli._common import (
    JsonOption,
    PolicyOption,
    app,
    fail,
    load_policy_or_fail,
    out,
    print_json,
)
from rectify.errors import RectifyError
from rectify.identify import Decision, Identification, identify
from rectify.reporting.labels import rules_zh
from rectify.sample import assessments_from, population_from

__all__ = ["identify_command"]


@app.command("identify")
def identify_command(
    year: Annotated[int, typer.Option("--year", "-y", help="The assessment year.")],
    population: Annotated[str, typer.Option(
        "--population", help="'sample', a directory with organizations/assessments files, "
        "or an organizations file.")] = "sample",
    assessments: Annotated[str | None, typer.Option(
        "--assessments", help="Assessments file (default: from --population).")] = None,
    policy: PolicyOption = "northern-county",
    show_all: Annotated[bool, typer.Option("--all", help="Show every decision.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Identify the year's weak and lax organizations, with the reasons (排查认定)."""
    chosen = load_policy_or_fail(policy)
    try:
        pop = population_from(population)
        rows = assessments_from(assessments or population, pop)
        result = identify(pop, rows, chosen, year)
    except RectifyError as exc:
        raise fail(exc) from None
    decisions = list(result) if show_all else result.listed() + result.near_misses()
    if json_out:
        print_json([_decision_json(d, result) for d in decisions])
        return
    _print_identification(result, decisions)


def _print_identification(result: Identification, decisions: list[Decision]) -> None:
    policy = result.policy
    names = {o.code: o.name for o in result.population}
    listed = [d for d in decisions if d.listed]
    out.print(f"[bold]{result.year} identification / 排查认定[/] — policy "
               f"{policy.meta.name} ({result.fingerprint[:12]}): "
               f"{len(result.listed_codes)} of {len(result)} listed / 列为整顿对象")
    legend: dict[str, str] = {}
    table = Table("code", "name / 名称", "kind", "score", "rank", "reasons / 理由")
    for d in listed:
        table.add_row(d.org, names[d.org], d.kind, f"{d.score:g}", f"倒数{d.rank}/{d.kind_size}",
                      f"{', '.join(d.rules)} / {rules_zh(d.rules, policy)}")
        legend.update((r.rule, f"{r.zh} / {r.en}") for r in d.reasons)
    others = [d for d in decisions if not d.listed]
    near = Table()
    if others:
        title = "not listed / 未列入" + ("" if len(others) > len(listed) else
                                       " (near misses / 临界)")
        near = Table("code", "name / 名称", "kind", "score", "rank", "margin", "reason / 理由",
                     title=title)
        for d in others:
            near.add_row(d.org, names[d.org], d.kind, f"{d.score:g}",
                         f"倒数{d.rank}/{d.kind_size}" if d.rank else "—",
                         "" if d.margin is None else f"{d.margin:+g}",
                         f"{', '.join(d.rules)} / {rules_zh(d.rules, policy)}")
            legend.update((r.rule, f"{r.zh} / {r.en}") for r in d.reasons)
    summary = Table("kind / 类型", "size", "quota", "count", "direct", "listed", "cut-off",
                    title="per kind / 分类统计")
    for k in result.kinds.values():
        summary.add_row(policy.kind_label(k.kind), str(k.size), f"{k.fraction:.0%}", str(k.quota),
                        str(k.direct), str(k.listed), "" if k.cutoff is None else f"{k.cutoff:g}")
    out.print(table)
    if others:
        out.print(near)
    out.print(summary)
    for rule, text in sorted(legend.items()):
        out.print(f"  {rule}: {text}")


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
