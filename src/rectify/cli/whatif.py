"""``rectify compare`` and ``rectify simulate``: what-if questions on the command line.

``compare A B --year Y`` identifies the year under two policies and prints
every changed verdict with both reasons and the consequences under each;
``simulate POLICY --years 3 --runs 200`` prints the distributions of a
seeded multi-year simulation.  Both take ``--json`` and ``--report FILE``
(``.md``, ``.html`` or ``.xlsx``).  Exit codes as everywhere: 0 success,
3 bad input (policy, model, population, report path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rectify.cli._common import (
    JsonOption,
    app,
    err,
    escape,
    fail,
    load_policy_or_fail,
    out,
    print_json,
)
from rectify.errors import InvalidValueError, RectifyError

__all__ = ["compare_command", "simulate_command"]

PopulationOpt = Annotated[str, typer.Option(
    "--population", help="'sample', a directory with organizations/assessments files, "
    "or an organizations file.")]
ReportOpt = Annotated[Path | None, typer.Option(
    "--report", help="Also write a report: FILE.md, FILE.html or FILE.xlsx (with charts).")]


def _report(result: object, path: Path | None) -> None:
    if path is None:
        return
    from rectify.simulate import write_report

    try:
        written = write_report(result, path)  # type: ignore[arg-type]
    except RectifyError as exc:
        raise fail(exc) from None
    except ImportError as exc:
        raise fail(InvalidValueError("--report", "the extras a report needs installed",
                                     str(exc), "pip install 'rectify[xlsx,charts]'")) from None
    except OSError as exc:
        raise fail(InvalidValueError("--report", "a file that can be written", str(path),
                                     f"check the folder ({exc.strerror or exc})")) from None
    err.print("report / 报告: " + ", ".join(str(p) for p in written), markup=False)


@app.command("compare")
def compare_command(
    policy_a: Annotated[str, typer.Argument(help="Policy A: a preset name or a TOML file.")],
    policy_b: Annotated[str, typer.Argument(help="Policy B: a preset name or a TOML file.")],
    year: Annotated[int, typer.Option("--year", "-y", help="The assessment year.")],
    population: PopulationOpt = "sample",
    ledger: Annotated[str | None, typer.Option(
        "--ledger", help="Replay the year recorded in this ledger (written under policy A) "
        "under policy B; earlier years come from the ledger.")] = None,
    json_out: JsonOption = False,
    report: ReportOpt = None,
) -> None:
    """Compare two policies on one year: every changed verdict, with reasons and consequences."""
    from rectify.sample import assessments_from, people_from, population_from
    from rectify.simulate import compare, replay

    a = load_policy_or_fail(policy_a)
    b = load_policy_or_fail(policy_b)
    try:
        pop = population_from(population)
        rows = assessments_from(population, pop)
        try:
            people = people_from(population)
        except RectifyError:
            people = None
        if ledger is not None:
            from rectify.campaign import Campaign
            from rectify.stores import open_store

            campaign = Campaign(a, open_store(ledger), population=pop, people=people or ())
            result = replay(campaign, b, rows, year)
        else:
            result = compare(a, b, pop, rows, year, people=people)
    except RectifyError as exc:
        raise fail(exc) from None
    if json_out:
        print_json(result.to_json())
    else:
        _print_comparison(result)
    _report(result, report)


def _print_comparison(result: object) -> None:
    from rich.table import Table

    from rectify.simulate import Comparison
    from rectify.simulate.report import comparison_tables

    assert isinstance(result, Comparison)
    out.print(f"[bold]{result.year}: A = {escape(result.policy_a.meta.name)} "
              f"({result.policy_a.fingerprint()[:12]}) / 甲方案, B = "
              f"{escape(result.policy_b.meta.name)} ({result.policy_b.fingerprint()[:12]})"
              " / 乙方案[/]", markup=True)
    out.print(result.summary("en"), markup=False)
    out.print(result.summary("zh"), markup=False)
    if result.ledger is not None:
        led = result.ledger
        out.print(f"ledger / 台账: {len(led.listed)} listed, {led.escalations} escalations, "
                  f"{led.dismissals} dismissals, {led.talks} talks recorded; matches A's "
                  f"identification: "
                  f"{'yes / 一致' if led.matches_identification else 'no / 不一致'}",
                  markup=False)
    if result.unchanged:
        out.print("no verdict differs / 认定结果无变化", markup=False)
    for table in comparison_tables(result):
        if table.name == "changes":
            _print_changes(result)
            continue
        if not table.rows:
            continue
        shown = Table(*table.header, title=table.title)
        for row in table.rows:
            shown.add_row(*(str(v) for v in row))
        out.print(shown)


def _print_changes(result: object) -> None:
    from rich.table import Table

    from rectify.simulate import Comparison

    assert isinstance(result, Comparison)
    if not result.changes:
        return
    table = Table("code / 编码", "name / 名称", "kind / 类型", "change / 变化",
                  "A rules / 甲", "B rules / 乙", title="Changed verdicts / 认定结果变化")
    for c in result.changes:
        change = "added / 新增列入" if c.direction == "added" else "removed / 不再列入"
        table.add_row(c.org, c.name, c.kind, change, ", ".join(c.a.rules), ", ".join(c.b.rules))
    out.print(table)
    for c in result.changes:
        out.print("  " + c.explain("en"), markup=False)
        out.print("  " + c.explain("zh"), markup=False)


@app.command("simulate")
def simulate_command(
    policy: Annotated[str, typer.Argument(help="A preset name or a TOML policy file.")],
    years: Annotated[int, typer.Option("--years", min=1, help="Years to simulate.")] = 3,
    runs: Annotated[int, typer.Option("--runs", min=1, help="Independent runs.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed: the same seed, the same runs.")] = 0,
    model: Annotated[str | None, typer.Option(
        "--model", help="An outcome model TOML file (default: the shipped model).")] = None,
    start: Annotated[int | None, typer.Option(
        "--start", help="First simulated year (default: the latest assessed year).")] = None,
    population: PopulationOpt = "sample",
    json_out: JsonOption = False,
    report: ReportOpt = None,
) -> None:
    """Simulate the years that follow under a policy: distributions, not single numbers."""
    from rectify.sample import assessments_from, population_from
    from rectify.simulate import load_outcome_model, simulate

    chosen = load_policy_or_fail(policy)
    try:
        outcome = load_outcome_model(model)
        pop = population_from(population)
        rows = assessments_from(population, pop)
        result = simulate(chosen, pop, rows, years=years, runs=runs, seed=seed, model=outcome,
                          start=start)
    except RectifyError as exc:
        raise fail(exc) from None
    if json_out:
        data = result.to_json()
        del data["per_run"]
        print_json(data)
    else:
        _print_simulation(result)
    _report(result, report)


def _print_simulation(result: object) -> None:
    from rich.table import Table

    from rectify.simulate import Simulation
    from rectify.simulate.report import simulation_tables

    assert isinstance(result, Simulation)
    out.print(f"[bold]{escape(result.policy.meta.name)}: {len(result.runs)} runs / 次模拟, "
              f"{result.years[0]}-{result.years[-1]}, seed {result.seed}, model "
              f"{escape(result.model.meta.name)}[/]", markup=True)
    out.print("mean [90% interval] / 均值 [90%区间]", markup=False)
    for table in simulation_tables(result)[1:]:
        shown = Table(*table.header, title=table.title)
        for row in table.rows:
            shown.add_row(*(str(v) for v in row))
        out.print(shown)
