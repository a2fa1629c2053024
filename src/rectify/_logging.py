"""The library's logger: structlog around the stdlib ``rectify`` loggers.

The library never configures logging: it attaches a ``NullHandler`` to the
``rectify`` logger and sets no level on any logger, its own or another
library's.  Records reach the host's handlers as stdlib records whose message
is the event name (``"case.transition"``) and whose structured fields are
record attributes (``record.case``, ``record.dest``), through structlog's
``render_to_log_kwargs``; the host renders them as it likes.  Call sites check
``isEnabledFor`` before building a record, so logging costs next to nothing
when the host has not enabled it.

The events (all on ``rectify.campaign``):

- ``case.transition`` (INFO): ``case``, ``triggers``, ``source``, ``dest``,
  ``actor``, ``on``, ``command``;
- ``command.refused`` (WARNING): ``command``, ``case``, ``state``, ``actor``,
  ``unmet``;
- ``command.denied`` (WARNING): ``command``, ``actor``, ``case``, ``missing``.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["EVENTS", "get_logger"]

#: Every event name the library logs, with its level.
EVENTS = {
    "case.transition": logging.INFO,
    "command.refused": logging.WARNING,
    "command.denied": logging.WARNING,
}

logging.getLogger("rectify").addHandler(logging.NullHandler())


class _Deferred:
    """Stands in for the structlog logger and builds it on first use.

    Importing structlog loads its console and asyncio support (about 100 ms),
    which a host that never enables the library's logging should not pay.
    """

    __slots__ = ("_logger", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def __getattr__(self, attr: str) -> Any:
        logger = self._logger
        if logger is None:
            logger = self._logger = _wrap(self._name)
        return getattr(logger, attr)


def get_logger(name: str = "rectify") -> Any:
    """A structlog logger bound to the stdlib logger ``name`` (a child of ``rectify``).

    structlog is imported when the logger is first used, not before.
    """
    return _Deferred(name)


def _wrap(name: str) -> Any:
    import structlog

    return structlog.wrap_logger(
        logging.getLogger(name),
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.render_to_log_kwargs,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
    )
