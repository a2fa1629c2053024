"""The exceptions raised by rectify.

Every error is a `RectifyError` and also a subclass of the builtin it
resembles, so callers can catch either.  Errors keep the offending values as
attributes; problems that can occur together (a policy file, a spreadsheet of
organizations) are collected and raised at once as a tuple of `Problem`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "CommandRefused",
    "ConcurrencyConflict",
    "ForestError",
    "IdentificationError",
    "InputError",
    "InvalidValueError",
    "LedgerCorrupt",
    "LedgerError",
    "LedgerFull",
    "LedgerReadOnly",
    "LedgerSchemaError",
    "LedgerUnavailable",
    "LotteryError",
    "PermissionDenied",
    "PolicyConflict",
    "PolicyError",
    "Problem",
    "ProblemsError",
    "RectifyError",
    "RendererMissing",
    "UnknownCaseError",
    "UnknownPresetError",
    "WorkflowDefinitionError",
]


#: How many problems an error message lists before summarising the rest.
SHOWN_PROBLEMS = 20


def _rebuild(cls: type[RectifyError], args: tuple[object, ...],
             state: dict[str, object]) -> RectifyError:
    """Recreate a pickled error without calling its ``__init__`` (see `RectifyError`)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class RectifyError(Exception):
    """Base class of every error raised by rectify.

    Errors pickle with their attributes, so they cross process boundaries (a
    `multiprocessing` pool, a task queue) intact, whatever their constructor's
    arguments.
    """

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


@attrs.frozen
class Problem:
    """One thing wrong with an input, located precisely enough to fix it.

    ``location`` is a key path (``identification.quota.village``) or a file
    position (``orgs.csv:row 12:kind``); ``expected`` says what was wanted,
    ``got`` what was found, ``fix`` how to put it right.
    """

    location: str
    expected: str
    got: object
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: expected {self.expected}, got {self.got!r}"
        return f"{text} ({self.fix})" if self.fix else text


class ProblemsError(RectifyError):
    """An error carrying every problem found in one input, not just the first."""

    problems: tuple[Problem, ...]

    def __init__(self, summary: str, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        self.summary = summary
        lines = [f"{summary}: {len(self.problems)} problem(s)"]
        lines.extend(f"  - {p}" for p in self.problems[:SHOWN_PROBLEMS])
        if len(self.problems) > SHOWN_PROBLEMS:
            lines.append(f"  ... and {len(self.problems) - SHOWN_PROBLEMS} more "
                         "(all are in the error's .problems)")
        super().__init__("\n".join(lines))


class PolicyError(ProblemsError, ValueError):
    """A policy file or a policy change is malformed or inconsistent."""


class UnknownPresetError(RectifyError, LookupError):
    """A policy was asked for by a name that is neither a preset nor a file."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = tuple(sorted(known))
        super().__init__(
            f"unknown policy {name!r}: expected a preset name ({', '.join(self.known)}) "
            "or the path of a TOML file; run `rectify policy list` to see the presets"
        )


class InputError(ProblemsError, ValueError):
    """Rows of organizations, assessments or people could not be loaded.

    Nothing from the input is kept when this is raised.
    """


class ForestError(ProblemsError, ValueError):
    """The organization tree is inconsistent (unknown parent, cycle, duplicate code...)."""


class IdentificationError(ProblemsError, ValueError):
    """Identification cannot run on the given population and assessments."""


class InvalidValueError(RectifyError, ValueError):
    """A record was built with a value outside its domain."""

    def __init__(self, field: str, expected: str, got: object, fix: str = "") -> None:
        self.field = field
        self.expected = expected
        self.got = got
        message = f"{field}: expected {expected}, got {got!r}"
        super().__init__(f"{message}; {fix}" if fix else message)


class WorkflowDefinitionError(ProblemsError, ValueError):
    """The workflow definition has unreachable states, dead ends or unknown names."""


class CommandRefused(RectifyError, ValueError):
    """A command cannot be carried out in the case's current state; nothing changed.

    ``unmet`` lists every unmet condition, each a readable sentence.
    """

    def __init__(self, case: str, state: str, command: str, unmet: Iterable[str]) -> None:
        self.case = case
        self.state = state
        self.command = command
        self.unmet = tuple(unmet)
        super().__init__(f"case {case} ({state}): cannot {command}: " + "; ".join(self.unmet))


class PermissionDenied(RectifyError, PermissionError):
    """The actor lacks the right to issue the command on this case; nothing changed."""

    def __init__(self, actor: str, command: str, missing: str, case: str | None = None) -> None:
        self.actor = actor
        self.command = command
        self.missing = missing
        self.case = case
        on = f" on case {case}" if case else ""
        super().__init__(f"{actor} may not {command}{on}: {missing}")


class ConcurrencyConflict(RectifyError, RuntimeError):
    """Another writer appended to the stream first; reload and retry the command."""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        self.stream = stream
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream}: expected version {expected}, found {actual}; another writer "
            "changed it: reload the case and retry the command"
        )


class UnknownCaseError(RectifyError, KeyError):
    """No case with this id (or for this organization and year) exists."""

    def __init__(self, case: str, hint: str = "") -> None:
        self.case = case
        super().__init__(f"no case {case!r}" + (f"; {hint}" if hint else ""))

    def __str__(self) -> str:
        return str(self.args[0])


class LotteryError(RectifyError, ValueError):
    """The cross-assessment lottery cannot be drawn; ``counties`` and ``reason`` say why."""

    def __init__(self, counties: Sequence[str], reason: str) -> None:
        self.counties = tuple(counties)
        self.reason = reason
        super().__init__(f"cannot draw a cross-assessment among {len(self.counties)} "
                         f"county(ies) {list(self.counties)}: {reason}")


class LedgerError(RectifyError, OSError):
    """A ledger could not be opened, read or written; nothing was changed."""

    def __init__(self, where: str, problem: str, fix: str = "") -> None:
        self.where = where
        self.problem = problem
        self.fix = fix
        text = f"ledger {where}: {problem}"
        super().__init__(f"{text}; {fix}" if fix else text)

    def __str__(self) -> str:
        return str(self.args[0])


class LedgerCorrupt(LedgerError):
    """The file is not a rectify ledger (corrupt, foreign, or missing its tables)."""


class LedgerSchemaError(LedgerError):
    """The ledger was written with a storage schema this version cannot read."""

    def __init__(self, where: str, expected: int, actual: int, fix: str = "") -> None:
        self.expected = expected
        self.actual = actual
        fix = fix or ("upgrade rectify to read this ledger" if actual > expected
                      else "migrate the ledger with the rectify version that wrote it")
        super().__init__(where, f"expected storage schema version {expected}, found {actual}",
                         fix)


class LedgerReadOnly(LedgerError, PermissionError):
    """The ledger file (or its directory) cannot be written."""


class LedgerFull(LedgerError):
    """The disk (or the database's size limit) is full; the batch was not recorded."""


class LedgerUnavailable(LedgerError, ConnectionError):
    """The database server could not be reached."""


class RendererMissing(RectifyError, ImportError):
    """An optional renderer is not installed (the graphviz package or its programs)."""

    def __init__(self, renderer: str, fix: str) -> None:
        self.renderer = renderer
        self.fix = fix
        super().__init__(f"{renderer} is not installed; {fix}")


class PolicyConflict(RectifyError, ValueError):
    """A command under one policy was refused because the ledger keeps another; nothing changed.

    A ledger is recorded under one policy at a time (its first writer's, or the
    one a recorded policy change adopted).  ``ledger_policy`` and ``policy`` are
    the two fingerprints, ``ledger_name`` and ``name`` their names where known.
    """

    def __init__(self, ledger_policy: str, policy: str, *, ledger_name: str = "",
                 name: str = "", fix: str = "") -> None:
        self.ledger_policy = ledger_policy
        self.policy = policy
        self.ledger_name = ledger_name
        self.name = name
        fix = fix or ("run the command under the ledger's policy, or adopt the new one on "
                      "purpose first (Campaign.change_policy, or rectify policy adopt with "
                      "--reason), which records the change in the ledger")
        ours = f"{name} ({policy[:12]})" if name else policy[:12]
        theirs = f"{ledger_name} ({ledger_policy[:12]})" if ledger_name else ledger_policy[:12]
        super().__init__(f"the ledger is kept under the policy {theirs}; this command runs "
                         f"under {ours}; {fix}")
