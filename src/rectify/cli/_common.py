"""Shared pieces of the command line: the app, exit codes, error and JSON output."""

from __future__ import annotations

import json
import logging
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from rectify.errors import RectifyError
from rectify.policy import Policy, load_policy

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CONFLICT",
    "EXIT_REFUSED",
    "JsonOption",
    "PolicyOption",
    "app",
    "err",
    "fail",
    "load_policy_or_fail",
    "main",
    "out",
    "policy_app",
    "print_json",
    "problem_json",
]

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
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

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


def fail(error: RectifyError) -> typer.Exit:
    """Print ``error`` on stderr and return the Exit to raise (re-raise it with --debug)."""
    if _state["debug"]:
        raise error
    err.print(f"[bold red]error:[/] {error}", markup=True)
    return typer.Exit(_exit_code(error))


def load_policy_or_fail(name: str) -> Policy:
    """The policy ``name``, or exit with the error printed."""
    try:
        return load_policy(name)
    except RectifyError as exc:
        raise fail(exc) from None


def problem_json(p: Any) -> dict[str, Any]:
    """A Problem as JSON-ready data."""
    return {"location": p.location, "expected": p.expected, "got": repr(p.got), "fix": p.fix}


def print_json(data: Any) -> None:
    """Write ``data`` as indented UTF-8 JSON on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def main() -> None:
    """Entry point of the ``rectify`` console script."""
    app()
