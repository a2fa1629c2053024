"""``rectify check-policy`` and ``rectify replay``: the policy testing kit on the command line.

Both need the ``testing`` extra (hypothesis), imported only when they run.
Exit codes: 0 every invariant held (or the replayed counterexample no longer
fails); `EXIT_VIOLATED` (6) an invariant is violated; 3 bad input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from rectify.cli._common import (
    EXIT_BAD_INPUT,
    JsonOption,
    app,
    err,
    load_policy_or_fail,
    out,
    print_json,
)

__all__ = ["EXIT_VIOLATED", "check_policy_command", "replay_command"]

#: Exit code when an invariant is violated (check-policy) or a counterexample reproduces (replay).
EXIT_VIOLATED = 6


def _bad_input(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", markup=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _need_hypothesis() -> None:
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise _bad_input("this command needs the testing extra: "
                         "pip install 'rectify[testing]'") from None


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
) -> None:
    """Check a policy against the invariant catalogue; exit 0 when all hold, 6 otherwise."""
    _need_hypothesis()
    from rectify.testing.check import check_policy
    from rectify.testing.invariants import names

    policy = load_policy_or_fail(name)
    unknown = [i for i in invariant or () if i not in names()]
    if unknown:
        raise _bad_input(f"unknown invariant {', '.join(unknown)}; known: {', '.join(names())}")
    report = check_policy(policy, invariant or None, max_examples=max_examples, seed=seed)
    if json_out:
        print_json(report.to_json())
    else:
        out.print(report.render(), markup=False)
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
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise _bad_input(f"cannot read counterexample {counterexample}: {exc}") from None
    if not found:
        raise _bad_input(f"{counterexample} holds no counterexample (every invariant held)")
    try:
        results = [replay_one(c) for c in found]
    except KeyError as exc:
        raise _bad_input(f"{counterexample}: {exc.args[0]}") from None
    if json_out:
        print_json([r.to_json() for r in results])
    else:
        out.print("\n".join(r.render() for r in results), markup=False)
    if any(r.reproduced for r in results):
        raise typer.Exit(EXIT_VIOLATED)
