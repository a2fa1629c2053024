"""``rectify appoint``, ``rectify vacate`` and ``rectify holder`` over a ledger file."""

from __future__ import annotations

import json
from pathlib import Path

from cli_run import DEPT
from cli_run import run as _run
from rectify.cli import EXIT_REFUSED


def test_appoint_vacate_and_ask_who_held_a_post(tmp_path: Path) -> None:
    """A vacated post is empty from its date; an appointment fills it; retries are safe."""
    db = ["--db", str(tmp_path / "ledger.sqlite3")]
    post = [*db, "--org", "T04-05"]
    code, output = _run("vacate", *post, *DEPT, "--on", "2016-04-01", "--reason", "调离",
                        "--command-id", "v1", "--json")
    assert code == 0, output
    assert json.loads(output)["person"] is None
    code, output = _run("appoint", *post, "--person", "P0230", *DEPT, "--on", "2016-04-10",
                        "--command-id", "a1")
    assert code == 0, output
    assert "P0230" in output
    assert "南沟乡杏树坪村党支部书记" in output
    # The same command id again records nothing new.
    assert _run("appoint", *post, "--person", "P0230", *DEPT, "--on", "2016-04-10",
                "--command-id", "a1")[0] == 0
    for day, expected in (("2016-03-31", "P0190"), ("2016-04-05", None),
                          ("2016-04-10", "P0230")):
        code, output = _run("holder", *post, "--on", day, "--json")
        assert code == 0, output
        assert json.loads(output)["person"] == expected, day
    code, output = _run("holder", *post, "--on", "2016-04-05")
    assert "空缺" in output


def test_refused_post_commands_exit_with_the_refusal_code(tmp_path: Path) -> None:
    """Vacating an empty post, appointing a stranger or acting without the right is refused."""
    db = ["--db", str(tmp_path / "ledger.sqlite3")]
    post = [*db, "--org", "T04-05"]
    assert _run("vacate", *post, *DEPT, "--on", "2016-04-01")[0] == 0
    code, output = _run("vacate", *post, *DEPT, "--on", "2016-04-02")
    assert code == EXIT_REFUSED, output
    code, output = _run("appoint", *post, "--person", "NOBODY", *DEPT, "--on", "2016-04-02")
    assert code == EXIT_REFUSED, output
    code, output = _run("appoint", *post, "--person", "P0230", "--actor", "P0230",
                        "--on", "2016-04-02")
    assert code == EXIT_REFUSED, output


def test_the_cli_names_the_posts_the_library_knows() -> None:
    """The CLI spells the posts as literals (so that help imports nothing): they must agree."""
    from rectify.cli import posts as cli_posts
    from rectify.posts import POST_ROLES, SECRETARY

    assert cli_posts.SECRETARY == SECRETARY
    help_text = cli_posts.RoleOption.__metadata__[0].help
    assert help_text.startswith(f"The post: {', '.join(POST_ROLES)} ")
