"""Shared pieces of the command line: the app, exit codes, error and JSON output."""

from __future__ import annotations

import json
import logging
import sys
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from typer.core import TyperGroup

from rectify.errors import InvalidValueError, RectifyError

if TYPE_CHECKING:  # loaded by the commands that use them, not by `rectify --help`
    from rich.console import Console
    from rich.table import Table

    from rectify.policy import Policy

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CONFLICT",
    "EXIT_REFUSED",
    "JsonOption",
    "PolicyOption",
    "app",
    "err",
    "escape",
    "fail",
    "load_policy_or_fail",
    "main",
    "out",
    "policy_app",
    "print_json",
    "problem_json",
    "rich_console",
    "table",
    "version",
]

EXIT_BAD_INPUT = 3
EXIT_REFUSED = 4
EXIT_CONFLICT = 5


def version() -> str:
    """The installed version of rectify."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("rectify")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.1.0"


class _Group(TyperGroup):
    """The root group: refuses arguments that are not valid text before parsing them.

    A byte that is not UTF-8 reaches Python as a lone surrogate, and a NUL
    cannot be stored; both would otherwise fail deep inside a command.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # click's Context
        for position, arg in enumerate(args, start=1):
            problem = _bad_argument(arg)
            if problem is not None:
                shown = arg.encode("utf-8", "backslashreplace").decode("ascii",
                                                                      "backslashreplace")
                err.print(f"[bold red]error:[/] argument {position} ({escape(shown)}): "
                          f"{escape(problem)}", markup=True)
                ctx.exit(EXIT_BAD_INPUT)
        return super().parse_args(ctx, args)


def _bad_argument(arg: str) -> str | None:
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"expected UTF-8 text, got the byte 0x{ord(arg[exc.start]) & 0xFF:02x} at "
                f"character {exc.start + 1} (the terminal's encoding is not UTF-8: "
                "set LANG=zh_CN.UTF-8 or C.UTF-8, or retype the text)")
    if "\x00" in arg:
        return "expected text without NUL characters, got a NUL (remove it)"
    return None


app = typer.Typer(
    name="rectify",
    cls=_Group,
    help="Rectify weak and lax grassroots party organizations (整顿软弱涣散基层党组织).",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
policy_app = typer.Typer(help="List, show and validate policies (政策).", no_args_is_help=True)
app.add_typer(policy_app, name="policy")

_state: dict[str, bool] = {"debug": False, "json": False}


class _LazyConsole:
    """A rich `Console` made on first use: `rectify --help` prints without importing rich.

    Reading or setting an attribute (``out.print``, ``out.width = 100``) makes
    the console and forwards to it.
    """

    def __init__(self, **options: Any) -> None:
        object.__setattr__(self, "_options", options)
        object.__setattr__(self, "_console", None)

    def _get(self) -> Console:
        console: Console | None = object.__getattribute__(self, "_console")
        if console is None:
            from rich.console import Console

            console = Console(**object.__getattribute__(self, "_options"))
            object.__setattr__(self, "_console", console)
        return console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._get(), name, value)


out = cast("Console", _LazyConsole(highlight=False, soft_wrap=True, markup=False, emoji=False))
err = cast("Console", _LazyConsole(stderr=True, highlight=False, soft_wrap=True, markup=False,
                                   emoji=False))


def rich_console(console: Console) -> Console:
    """The rich `Console` behind `out` or `err`, for rich objects that take one (`Progress`)."""
    if isinstance(console, _LazyConsole):
        return console._get()
    return console


def escape(text: str) -> str:
    """``text`` with rich markup escaped (rich's `escape`, imported when first needed)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _json_mode(value: bool) -> bool:
    _state["json"] = bool(value) or _state["json"]
    return value


PolicyOption = Annotated[
    str, typer.Option("--policy", "-p", envvar="RECTIFY_POLICY",
                      help="A preset name or a TOML file.")
]
JsonOption = Annotated[bool, typer.Option(
    "--json", callback=_json_mode, help="Print JSON instead of tables (errors too, on stderr).")]


def _print_version(value: bool) -> None:
    if value:
        out.print(f"rectify {version()}")
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step.")] = False,
    _version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print the version and exit.")] = False,
) -> None:
    _state["debug"] = debug
    _state["json"] = False
    if debug or verbose:
        logging.basicConfig(stream=sys.stderr, format="%(message)s",
                            level=logging.DEBUG if debug else logging.INFO)
        logging.getLogger("transitions").setLevel(logging.WARNING)


def _exit_code(error: RectifyError) -> int:
    from rectify.errors import CommandRefused, ConcurrencyConflict, PermissionDenied

    # A PolicyConflict (the ledger keeps another policy) is a wrong --policy: exit 3.
    if isinstance(error, CommandRefused | PermissionDenied):
        return EXIT_REFUSED
    if isinstance(error, ConcurrencyConflict):
        return EXIT_CONFLICT
    return EXIT_BAD_INPUT


def fail(error: RectifyError) -> typer.Exit:
    """Print ``error`` on stderr and return the Exit to raise (re-raise it with --debug).

    With ``--json`` the error is one JSON object: ``error`` (the class name),
    ``message``, ``problems`` (when the error lists them) and ``exit_code``.
    """
    if _state["debug"]:
        raise error
    code = _exit_code(error)
    if _state["json"]:
        data: dict[str, Any] = {"error": type(error).__name__, "message": str(error),
                                "exit_code": code}
        problems = getattr(error, "problems", None)
        if problems is not None:
            data["message"] = getattr(error, "summary", str(error))
            data["problems"] = [problem_json(p) for p in problems]
        sys.stderr.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    else:
        err.print(f"[bold red]error:[/] {escape(str(error))}", markup=True)
    return typer.Exit(code)


def bad_value(option: str, expected: str, got: object, fix: str = "") -> typer.Exit:
    """`fail()` for one bad option value."""
    return fail(InvalidValueError(option, expected, got, fix))


def load_policy_or_fail(name: str) -> Policy:
    """The policy ``name``, or exit with the error printed."""
    from rectify.policy import load_policy

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


def table(*headers: str, title: str | None = None) -> Table:
    """A rich table whose cells wrap (Chinese included) instead of being cut with ``…``.

    Cells are shown literally: text in square brackets is not read as markup.
    """
    from rich.table import Table

    grid = Table(title=title)
    for header in headers:
        grid.add_column(header, overflow="fold")
    return grid


def main() -> None:
    """Entry point of the ``rectify`` console script and of ``python -m rectify``."""
    try:
        app(prog_name="rectify")
    except RectifyError as exc:  # a command that let a typed error through
        err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True)
        raise SystemExit(_exit_code(exc)) from None
