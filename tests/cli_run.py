"""Running the command line in the tests: one runner, the organization department's actor."""

from __future__ import annotations

from typer.testing import CliRunner

from rectify.cli import app

runner = CliRunner()
#: The sample county's organization department cadre, who opens and records.
DEPT = ["--actor", "P0236"]


def run(*args: str) -> tuple[int, str]:
    """Exit code and output of ``rectify ARGS``."""
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def opened_ledger(path: str) -> str:
    """A ledger file at ``path`` with the sample county's 2016 cases opened."""
    code, output = run("open", "--db", path, "--year", "2016", *DEPT, "--on", "2016-02-15")
    assert code == 0, output
    return path
