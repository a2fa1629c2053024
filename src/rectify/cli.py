"""The ``rectify`` command line: the only place that configures logging and output.

Exit codes: 0 success; 1 unexpected failure; 2 usage error; 3 bad input
(file, policy, population); 4 a command refused by the workflow; 5 a
concurrent change conflicted.  Errors print one block on stderr that names
the problem and the fix; ``--debug`` shows the traceback as well.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from rectify.errors import RectifyError
from rectify.identify import Decision, Identification, identify
from rectify.policy import Policy, load_policy, preset_names, preset_text
from rectify.sample import assessments_from, population_from

__all__ = ["EXIT_BAD_INPUT", "EXIT_CONFLICT", "EXIT_REFUSED", "app", "main"]

EXIT_BAD_INPUT = 3
EXIT_REFUSED = 4
EXIT_CONFLICT = 5

app = typer.Typer(
    name="rectify",
    help="Rectify weak and lax grassroots party organizations (整顿软弱涣散基层党组织).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
policy_app = typer.Typer(help="List, show and validate policies (政策).", no_args_is_help=True)
app.add_typer(policy_app, name="policy")

_state: dict[str, bool] = {"debug": False}
_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)

PolicyOption = Annotated[
    str, typer.Option("--policy", "-p", help="A preset name or a TOML file.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step.")] = False,
) -> None:
    _state["debug"] = debug
    if debug or verbose:
        logging.basicConfig(stream=sys.stderr, format="%(message)s",
                            level=logging.DEBUG if debug else logging.INFO)
        logging.getLogger("transitions").setLevel(logging.WARNING)


def _exit_code(error: RectifyError) -> int:
    refused = {"CommandRefused", "PermissionDenied"}
    names = {cls.__name__ for cls in type(error).__mro__}
    if names & refused:
        return EXIT_REFUSED
    if "ConcurrencyConflict" in names:
        return EXIT_CONFLICT
    return EXIT_BAD_INPUT


def _fail(error: RectifyError) -> typer.Exit:
    if _state["debug"]:
        raise error
    _err.print(f"[bold red]error:[/] {error}", markup=True)
    return typer.Exit(_exit_code(error))


def _policy(name: str) -> Policy:
    try:
        return load_policy(name)
    except RectifyError as exc:
        raise _fail(exc) from None


@policy_app.command("list")
def policy_list(json_out: JsonOption = False) -> None:
    """List the presets shipped with rectify."""
    rows = []
    for name in preset_names():
        p = load_policy(name)
        rows.append({"name": name, "title": p.meta.title, "version": p.meta.version,
                     "fingerprint": p.fingerprint(), "description": p.meta.description})
    if json_out:
        _print_json(rows)
        return
    table = Table("name", "title", "version", "fingerprint")
    for row in rows:
        table.add_row(row["name"], row["title"], row["version"], row["fingerprint"][:12])
    _out.print(table)


@policy_app.command("show")
def policy_show(name: Annotated[str, typer.Argument(help="A preset name or a TOML file.")]) -> None:
    """Print a policy as TOML (a preset's own file, comments included)."""
    if name in preset_names():
        _out.print(preset_text(name), markup=False, end="")
        return
    _out.print(_policy(name).to_toml(), markup=False, end="")


@policy_app.command("validate")
def policy_validate(
    name: Annotated[str, typer.Argument(help="A preset name or a TOML file.")],
    json_out: JsonOption = False,
) -> None:
    """Check a policy; exit 0 when valid, 3 with every problem listed otherwise."""
    try:
        policy = load_policy(name)
    except RectifyError as exc:
        if json_out:
            problems = getattr(exc, "problems", ())
            _print_json({"valid": False, "error": str(exc).splitlines()[0],
                         "problems": [_problem_json(p) for p in problems]})
            raise typer.Exit(EXIT_BAD_INPUT) from None
        raise _fail(exc) from None
    if json_out:
        _print_json({"valid": True, "name": policy.meta.name,
                     "fingerprint": policy.fingerprint()})
    else:
        _out.print(f"{name}: valid (fingerprint {policy.fingerprint()[:12]})")


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
    chosen = _policy(policy)
    try:
        pop = population_from(population)
        rows = assessments_from(assessments or population, pop)
        result = identify(pop, rows, chosen, year)
    except RectifyError as exc:
        raise _fail(exc) from None
    decisions = list(result) if show_all else result.listed() + result.near_misses()
    if json_out:
        _print_json([_decision_json(d, result) for d in decisions])
        return
    _print_identification(result, decisions)


def _print_identification(result: Identification, decisions: list[Decision]) -> None:
    policy = result.policy
    names = {o.code: o.name for o in result.population}
    listed = [d for d in decisions if d.listed]
    _out.print(f"[bold]{result.year} identification / 排查认定[/] — policy "
               f"{policy.meta.name} ({result.fingerprint[:12]}): "
               f"{len(result.listed_codes)} of {len(result)} listed / 列为整顿对象")
    legend: dict[str, str] = {}
    table = Table("code", "name / 名称", "kind", "score", "rank", "reasons / 理由")
    for d in listed:
        table.add_row(d.org, names[d.org], d.kind, f"{d.score:g}", f"{d.rank}/{d.kind_size}",
                      ", ".join(d.rules))
        legend.update((r.rule, f"{r.zh} / {r.en}") for r in d.reasons)
    others = [d for d in decisions if not d.listed]
    near = Table()
    if others:
        title = "not listed / 未列入" + ("" if len(others) > len(listed) else
                                       " (near misses / 临界)")
        near = Table("code", "name / 名称", "kind", "score", "rank", "margin", "reason / 理由",
                     title=title)
        for d in others:
            near.add_row(d.org, names[d.org], d.kind, f"{d.score:g}", f"{d.rank}/{d.kind_size}",
                         "" if d.margin is None else f"{d.margin:+g}", ", ".join(d.rules))
            legend.update((r.rule, f"{r.zh} / {r.en}") for r in d.reasons)
    summary = Table("kind / 类型", "size", "quota", "count", "direct", "listed", "cut-off",
                    title="per kind / 分类统计")
    for k in result.kinds.values():
        summary.add_row(policy.kind_label(k.kind), str(k.size), f"{k.fraction:.0%}", str(k.quota),
                        str(k.direct), str(k.listed), "" if k.cutoff is None else f"{k.cutoff:g}")
    _out.print(table)
    if others:
        _out.print(near)
    _out.print(summary)
    for rule, text in sorted(legend.items()):
        _out.print(f"  {rule}: {text}")


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


def _problem_json(p: Any) -> dict[str, Any]:
    return {"location": p.location, "expected": p.expected, "got": repr(p.got), "fix": p.fix}


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def main() -> None:
    """Entry point of the ``rectify`` console script."""
    app()
