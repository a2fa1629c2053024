"""``rectify check-policy`` and ``rectify replay``: the policy testing kit on the command line.

Both need the ``testing`` extra (hypothesis), imported only when they run.
Exit codes: 0 every invariant held (or the replayed counterexample no longer
fails); `EXIT_VIOLATED` (6) an invariant is violated; 3 bad input.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rectify.cli._common import (
    JsonOption,
    app,
    fail,
    load_policy_or_fail,
    out,
    print_json,
)
from rectify.errors import InvalidValueError

if TYPE_CHECKING:
    from rectify.policy import Policy
    from rectify.testing.check import Counterexample, PolicyReport
    from rectify.testing.invariants import Invariant

__all__ = ["EXIT_VIOLATED", "check_policy_command", "replay_command"]

#: Exit code when an invariant is violated (check-policy) or a counterexample reproduces (replay).
EXIT_VIOLATED = 6


def _bad_input(option: str, expected: str, got: object, fix: str = "") -> typer.Exit:
    return fail(InvalidValueError(option, expected, got, fix))


def _need_hypothesis() -> None:
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise _bad_input("check-policy", "the testing extra (hypothesis)", "not installed",
                         "pip install 'rectify[testing]'") from None


def _user_invariants(spec: str) -> list[Invariant]:
    """The invariants named ``module:name``: an `Invariant`, or a list or dict of them.

    The module is imported with the current directory on the path, as
    ``python -m`` would.
    """
    from rectify.testing.invariants import Invariant

    module_name, _, attribute = spec.partition(":")
    expected = "MODULE:NAME naming an Invariant (or a list or dict of them)"
    if not module_name or not attribute:
        raise _bad_input("--invariants", expected, spec, "e.g. --invariants my_checks:ROOMY")
    added = os.getcwd() not in sys.path
    if added:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # importing user code may raise anything
        raise _bad_input("--invariants", f"an importable module {module_name!r}", spec,
                         f"{type(exc).__name__}: {exc}") from None
    finally:
        if added:
            sys.path.remove(os.getcwd())
    try:
        found: Any = getattr(module, attribute)
    except AttributeError:
        raise _bad_input("--invariants", expected, spec,
                         f"module {module_name} has no {attribute!r}") from None
    if isinstance(found, Invariant):
        return [found]
    items = list(found.values()) if isinstance(found, dict) else found
    if isinstance(items, list | tuple) and items and all(isinstance(i, Invariant)
                                                        for i in items):
        return list(items)
    raise _bad_input("--invariants", expected, f"{spec} ({type(found).__name__})",
                     "build it with rectify.testing.invariants.Invariant(...)")


def settings_turned_on(counterexample: Counterexample) -> list[str]:
    """The policy settings the counterexample's identification exercises.

    For each rule that listed an organization (a direct criterion, a kind's
    quota), the setting that rule comes from, e.g.
    ``identification.direct[0] (grade_d)`` or ``identification.quota.village``.
    Campaign counterexamples are identified year by year.
    """
    from rectify.identify import identify
    from rectify.testing.invariants import IdentificationExample

    example: Any = counterexample.example
    policy = counterexample.policy
    runs: list[tuple[Any, Any, int]] = []
    if isinstance(example, IdentificationExample):
        runs.append((example.population, example.assessments, example.year))
    else:
        from rectify.forest import Population

        orgs = Population(list(getattr(example, "organizations", ())))
        rows = list(getattr(example, "assessments", ()))
        runs += [(orgs, rows, year) for year in getattr(example, "years", ())]
    index = {c.id: i for i, c in enumerate(policy.identification.direct)}
    settings: dict[str, None] = {}
    for population, rows, year in runs:
        try:
            result = identify(population, rows, policy, year)
        except Exception:  # an example the identification refuses turns nothing on
            continue
        for decision in result.listed():
            for rule in decision.rules:
                if rule == "quota":
                    settings[f"identification.quota.{decision.kind}"] = None
                elif rule in index:
                    settings[f"identification.direct[{index[rule]}] ({rule})"] = None
    return list(settings)


def _report_json(report: PolicyReport) -> dict[str, Any]:
    data: dict[str, Any] = report.to_json()
    for result, row in zip(report.results, data["invariants"], strict=True):
        if result.counterexample is not None and row.get("counterexample"):
            row["counterexample"]["settings"] = settings_turned_on(result.counterexample)
    return data


def _render(report: PolicyReport) -> str:
    lines = report.render().splitlines()
    for result in report.violated:
        assert result.counterexample is not None
        turned_on = settings_turned_on(result.counterexample)
        if turned_on:
            lines.append(f"  {result.name}: the counterexample turns on "
                         + ", ".join(turned_on))
    return "\n".join(lines)


def _policy_of(name: str) -> Policy:
    return load_policy_or_fail(name)


@app.command("check-policy")
def check_policy_command(
    name: Annotated[str, typer.Argument(help="A preset name or a TOML policy file.")],
    json_out: JsonOption = False,
    invariant: Annotated[list[str] | None, typer.Option(
        "--invariant", "-i", help="Check only this invariant (repeatable); default: all.")] = None,
    max_examples: Annotated[int, typer.Option(
        "--max-examples", min=1, help="Generated examples per invariant.")] = 100,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Seed for a reproducible run.")] = None,
    invariants: Annotated[list[str] | None, typer.Option(
        "--invariants", help="Your own invariants, MODULE:NAME (an Invariant, or a list or "
        "dict of them; repeatable); checked with the --invariant ones, or alone.")] = None,
) -> None:
    """Check a policy against the invariant catalogue; exit 0 when all hold, 6 otherwise.

    A violated invariant is shown with its shrunk counterexample and the policy
    settings that counterexample turns on.
    """
    _need_hypothesis()
    from rectify.testing.check import check_policy
    from rectify.testing.invariants import names

    policy = _policy_of(name)
    unknown = [i for i in invariant or () if i not in names()]
    if unknown:
        raise _bad_input("--invariant", f"a registered invariant ({', '.join(names())})",
                         ", ".join(unknown), "correct the name, or pass your own with "
                         "--invariants MODULE:NAME")
    chosen: list[str | Invariant] = list(invariant or ())
    for spec in invariants or ():
        chosen += _user_invariants(spec)
    report = check_policy(policy, chosen or None, max_examples=max_examples, seed=seed)
    if json_out:
        print_json(_report_json(report))
    else:
        out.print(_render(report), markup=False)
    if not report.ok:
        raise typer.Exit(EXIT_VIOLATED)


@app.command("replay")
def replay_command(
    counterexample: Annotated[Path, typer.Argument(
        help="A counterexample or a check-policy --json report.")],
    json_out: JsonOption = False,
) -> None:
    """Run a saved counterexample again; exit 6 when the violation reproduces, 0 otherwise."""
    from rectify.testing.replay import load_counterexamples, replay_one

    try:
        data = json.loads(counterexample.read_text("utf-8"))
        found = load_counterexamples(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise _bad_input("COUNTEREXAMPLE", "a saved counterexample or check-policy --json "
                         "report", str(counterexample), f"{type(exc).__name__}: {exc}"
                         ) from None
    except Exception as exc:  # a policy or record in the file that cannot be rebuilt
        from rectify.errors import RectifyError

        if not isinstance(exc, RectifyError):
            raise
        raise fail(exc) from None
    if not found:
        raise _bad_input("COUNTEREXAMPLE", "a file holding a counterexample",
                         str(counterexample), "every invariant held in that report")
    try:
        results = [replay_one(c) for c in found]
    except KeyError as exc:
        raise _bad_input("COUNTEREXAMPLE", "a counterexample of a registered invariant",
                         str(counterexample), str(exc.args[0])) from None
    if json_out:
        print_json([r.to_json() for r in results])
    else:
        out.print("\n".join(r.render() for r in results), markup=False)
    if any(r.reproduced for r in results):
        raise typer.Exit(EXIT_VIOLATED)
