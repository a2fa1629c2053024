"""Fast constructors for the records the command path builds once per command.

A frozen attrs class sets each field through ``object.__setattr__`` in its
``__init__``, and a command's event is called with keyword arguments (its
common fields and the command's own, unpacked from a dictionary).  On a batch
of a hundred thousand commands that costs more than the checks themselves.
`event_builder` generates, once per event class, a function that fills a new
instance through the slots' own setters, exactly as ``__init__`` would: same
type, same field values, equal and hashed alike.  It is generated only for
classes whose fields have no converter, validator or factory default (every
`rectify.events` class); any other class gets its own constructor.

>>> from datetime import date
>>> from rectify.events import ReportRecorded
>>> build = event_builder(ReportRecorded)
>>> common = ("2017-V01", 2, "OD-1", date(2017, 3, 1), "f" * 64, "c1", ())
>>> build(*common, {"kind": "progress", "month": "2017-03"}) == ReportRecorded(
...     stream="2017-V01", version=2, actor="OD-1", on=date(2017, 3, 1), policy="f" * 64,
...     command="c1", kind="progress", month="2017-03")
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import attrs

from rectify.events import Event

__all__ = ["COMMON", "EventBuilder", "event_builder", "positional_builder"]

#: The fields every event takes from the command path, in the builders' argument order.
COMMON = ("stream", "version", "actor", "on", "policy", "command", "transitions")

#: ``(stream, version, actor, on, policy, command, transitions, fields) -> event``.
EventBuilder = Callable[[str, int, str, date, str, str, tuple[str, ...], Mapping[str, Any]],
                        Event]

_BUILDERS: dict[type[Event], EventBuilder] = {}


def event_builder(cls: type[Event]) -> EventBuilder:
    """The fast constructor of event class ``cls`` (generated once, then kept).

    The returned function takes the common fields positionally (`COMMON`) and
    the event's own fields as a mapping; a mapping with a name the class does
    not have, or without a field the class requires, is handed to the class
    itself, which raises `TypeError` as it always did.
    """
    found = _BUILDERS.get(cls)
    if found is None:
        found = _BUILDERS[cls] = _generate(cls)
    return found


def _plain(cls: type[Event]) -> bool:
    """Whether every field of ``cls`` is a plain slot (no converter, validator or factory)."""
    if not attrs.has(cls) or "__slots__" not in cls.__dict__ \
            or hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
        return False
    for field in attrs.fields(cls):
        if field.converter is not None or field.validator is not None or not field.init \
                or isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            return False
    return True


def _slow(cls: type[Event]) -> EventBuilder:
    def build(stream: str, version: int, actor: str, on: date, policy: str, command: str,
              transitions: tuple[str, ...], fields: Mapping[str, Any]) -> Event:
        return cls(stream=stream, version=version, actor=actor, on=on,
                   policy=policy, command=command, transitions=transitions, **fields)
    return build


def _generate(cls: type[Event]) -> EventBuilder:
    slow = _slow(cls)
    if not _plain(cls):
        return slow
    fields = attrs.fields(cls)
    names = [f.name for f in fields]
    if names[:len(COMMON)] != list(COMMON):
        return slow
    own = fields[len(COMMON):]
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls, "slow": slow,
                             "own": frozenset(f.name for f in own), "len": len}
    required = [f.name for f in own if f.default is attrs.NOTHING]
    args = ", ".join(COMMON)
    lines = [f"def build({args}, fields):"]
    # Anything but exactly the class's own names goes to the class, to fail as it does.
    lines.append(f"    if len(fields) > {len(own)} or not own.issuperset(fields)"
                 + "".join(f" or {name!r} not in fields" for name in required) + ":")
    lines.append(f"        return slow({args}, fields)")
    lines.append("    o = new(cls)")
    for index, field in enumerate(fields):
        scope[f"s{index}"] = getattr(cls, field.name).__set__
        if field.name in COMMON:
            value = field.name
        elif field.default is attrs.NOTHING:
            value = f"fields[{field.name!r}]"
        else:
            scope[f"d{index}"] = field.default
            value = f"fields.get({field.name!r}, d{index})"
        lines.append(f"    s{index}(o, {value})")
    lines.append("    return o")
    exec("\n".join(lines), scope)  # the code is built here from the class's own fields
    built: EventBuilder = scope["build"]
    return built


def positional_builder(cls: type[Any]) -> Callable[..., Any]:
    """A fast constructor of the plain frozen attrs class ``cls`` taking every field
    positionally, in order (for `rectify.stores.base.Append`, built once per command).

    Its instances equal those of ``cls(*values)``; a class whose fields are not all
    plain, required slots gets ``cls`` itself.
    """
    fields = attrs.fields(cls) if attrs.has(cls) else ()
    if not fields or not _plain(cls) or any(f.default is not attrs.NOTHING for f in fields):
        return cls
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
    params = ", ".join(f"a{index}" for index in range(len(fields)))
    lines = [f"def build({params}):", "    o = new(cls)"]
    for index, field in enumerate(fields):
        scope[f"s{index}"] = getattr(cls, field.name).__set__
        lines.append(f"    s{index}(o, a{index})")
    lines.append("    return o")
    exec("\n".join(lines), scope)  # the code is built here from the class's own fields
    built: Callable[..., Any] = scope["build"]
    return built
