"""The ``rectify`` command line: the only place that configures logging and output.

Exit codes: 0 success; 1 unexpected failure; 2 usage error; 3 bad input
(file, policy, population, ledger); 4 a command refused by the workflow or
for lack of a right; 5 a concurrent change conflicted.  Errors print one
block on stderr that names the problem and the fix; ``--debug`` shows the
traceback as well.

Each command group lives in its own module and registers itself on
`app` when imported; `main()` imports them all.
"""

from __future__ import annotations

# Importing a command module registers its commands on ``app``.
from rectify.cli import bulletin as _bulletin
from rectify.cli import cases as _cases
from rectify.cli import check as _check
from rectify.cli import coverage as _coverage
from rectify.cli import demo as _demo
from rectify.cli import identify as _identify
from rectify.cli import ladder as _ladder
from rectify.cli import ledger as _ledger
from rectify.cli import people as _people
from rectify.cli import policy as _policy
from rectify.cli import posts as _posts
from rectify.cli import whatif as _whatif
from rectify.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_CONFLICT,
    EXIT_REFUSED,
    app,
    main,
)

__all__ = ["EXIT_BAD_INPUT", "EXIT_CONFLICT", "EXIT_REFUSED", "app", "main"]
_COMMAND_MODULES = (_bulletin, _cases, _check, _coverage, _demo, _identify, _ledger, _people,
                    _policy, _whatif, _ladder, _posts)
