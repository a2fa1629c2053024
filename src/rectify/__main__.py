"""``python -m rectify``: the command line, or one line naming the extra it needs."""

from __future__ import annotations

import sys

_CLI_MODULES = frozenset({"typer", "rich", "click", "shellingham"})


def main() -> None:
    """Run the ``rectify`` command line; without the ``cli`` extra, say how to install it."""
    try:
        from rectify.cli import main as cli_main
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in _CLI_MODULES:
            raise
        sys.stderr.write(f"rectify: the command line needs the cli extra ({exc.name} is not "
                         "installed): pip install 'rectify[cli]'\n")
        raise SystemExit(1) from None
    cli_main()


if __name__ == "__main__":
    main()
