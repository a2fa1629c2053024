"""The library's logger: structlog around the stdlib ``rectify`` logger.

The library never configures logging.  It attaches a ``NullHandler`` to the
``rectify`` logger and leaves rendering to the host (or to the CLI).  Call
sites check `enabled()` before building a record, so logging costs next
to nothing when the host has not enabled it.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

__all__ = ["enabled", "get_logger"]

_stdlib = logging.getLogger("rectify")
_stdlib.addHandler(logging.NullHandler())


def get_logger(name: str = "rectify") -> Any:
    """A structlog logger bound to the stdlib logger ``name`` (a child of ``rectify``)."""
    return structlog.wrap_logger(
        logging.getLogger(name),
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
    )


def enabled(level: int = logging.INFO, name: str = "rectify") -> bool:
    """Whether a record at ``level`` would be handled: check this before building one."""
    return logging.getLogger(name).isEnabledFor(level)
