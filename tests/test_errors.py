"""The one error catalogue: every error is a RectifyError and the builtin it resembles."""

from __future__ import annotations

import inspect

import pytest

from rectify import errors
from rectify.coverage import assignment
from rectify.stores import errors as store_errors

CLASSES = [obj for _, obj in inspect.getmembers(errors, inspect.isclass)
           if issubclass(obj, Exception) and obj.__module__ == errors.__name__]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_error_is_a_rectify_error_and_a_builtin(cls: type[Exception]) -> None:
    """Callers can catch either the library's base class or the builtin it resembles."""
    assert issubclass(cls, errors.RectifyError)
    builtins = [b for b in cls.__mro__ if b.__module__ == "builtins" and b is not object]
    assert any(b not in (Exception, BaseException) for b in builtins) or cls in (
        errors.RectifyError, errors.ProblemsError), cls


def test_every_error_is_listed_once() -> None:
    """__all__ names every error class of the module."""
    assert {c.__name__ for c in CLASSES} <= set(errors.__all__)


def test_ledger_and_lottery_errors_live_in_the_catalogue() -> None:
    """The old import paths give the very same classes."""
    assert store_errors.LedgerError is errors.LedgerError
    assert store_errors.LedgerSchemaError is errors.LedgerSchemaError
    assert assignment.LotteryError is errors.LotteryError


def test_messages_name_the_value_the_expectation_and_the_fix() -> None:
    """InvalidValueError and LedgerSchemaError carry their values as attributes and text."""
    bad = errors.InvalidValueError("year", "a year from 1921 to 2100", 3000, "check the file")
    assert (bad.field, bad.expected, bad.got) == ("year", "a year from 1921 to 2100", 3000)
    assert str(bad) == "year: expected a year from 1921 to 2100, got 3000; check the file"
    newer = errors.LedgerSchemaError("l.db", 1, 2)
    assert "upgrade rectify" in str(newer)
    assert (newer.expected, newer.actual) == (1, 2)


def test_problems_are_listed_with_a_summary_past_the_limit() -> None:
    """A ProblemsError shows at most SHOWN_PROBLEMS problems and counts the rest."""
    problems = [errors.Problem(f"row {i}", "a number", "x") for i in range(30)]
    text = str(errors.InputError("orgs.csv has problems", problems))
    assert "row 0:" in text
    assert f"row {errors.SHOWN_PROBLEMS - 1}:" in text
    assert f"row {errors.SHOWN_PROBLEMS}:" not in text
    assert text.endswith(f"... and {30 - errors.SHOWN_PROBLEMS} more (all are in the error's "
                         ".problems)")
    assert len(errors.InputError("x", problems).problems) == 30


@pytest.mark.parametrize("error", [
    errors.InvalidValueError("year", "a year", 3000, "fix it"),
    errors.CommandRefused("2017-V1", "planned", "delist", ["no passing verification"]),
    errors.PermissionDenied("P1", "delist", "needs org_department", "2017-V1"),
    errors.ConcurrencyConflict("2017-V1", 1, 2),
    errors.UnknownCaseError("2099-X", "see cases()"),
    errors.LedgerError("l.db", "cannot write", "free space"),
    errors.LedgerSchemaError("l.db", 2, 3),
    errors.LotteryError(["A", "B"], "too few"),
    errors.InputError("orgs.csv", [errors.Problem("row 2", "a code", "")]),
    errors.RendererMissing("graphviz", "install it"),
], ids=lambda e: type(e).__name__)
def test_errors_cross_process_boundaries(error: errors.RectifyError) -> None:
    """Every error pickles with its message and attributes (multiprocessing, task queues)."""
    import pickle

    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert str(again) == str(error)
    assert again.__dict__ == error.__dict__
