"""Canonical JSON for events: what the ledger stores and what the hash chain covers.

An event is stored as the canonical JSON of `rectify.events.event_to_dict()`
(keys sorted, no spaces, UTF-8; dates as ``YYYY-MM-DD``), encoded with
orjson.  `encode()` builds the same bytes as
``orjson.dumps(event_to_dict(e), option=OPT_SORT_KEYS)`` without going
through cattrs, and `decode()` reverses it, upcasting entries written
with an older event schema first.

>>> from datetime import date
>>> from rectify.events import PlanReturned
>>> e = PlanReturned(stream="2017-V1", version=2, actor="D1", on=date(2017, 3, 1),
...                  policy="p", command="c1", reason="too vague")
>>> encode(e)[:47]
b'{"actor":"D1","command":"c1","on":"2017-03-01",'
>>> decode(encode(e)) == e
True
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import attrs
import orjson

from rectify.errors import InvalidValueError
from rectify.events import EVENT_TYPES, SCHEMA_VERSION, Event, event_from_dict

__all__ = ["Upcaster", "Upcasters", "compact_json", "decode", "encode", "encode_dict", "upcast"]

#: Turns the dict of an event written at schema ``n`` into its dict at ``n + 1``.
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
#: Upcasters by ``(event type name, schema version they read)``.
Upcasters = Mapping[tuple[str, int], Upcaster]

_OPTS = orjson.OPT_SORT_KEYS


_NAMES: dict[type[Event], tuple[str, ...]] = {}
_PLANS: dict[type[Event], tuple[tuple[str, Callable[[Any], Any]], ...]] = {}


def _names(cls: type[Event]) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in attrs.fields(cls))
    return names


def compact_json(data: Any) -> bytes:
    """``orjson.dumps(data, option=OPT_SORT_KEYS)`` in a bytes object of its own size.

    orjson returns its output in the buffer it wrote it into (4 KB or more,
    whatever the length), so a batch holding many such results holds that much
    per item: 16 KB per case opened on a SQLite store (the payload and the
    case record's JSON).  A copy of the exact size costs a few hundred
    nanoseconds.
    """
    return memoryview(orjson.dumps(data, option=_OPTS)).tobytes()


def encode(event: Event) -> bytes:
    """The canonical JSON bytes of ``event`` (what the ledger stores and hashes)."""
    cls = type(event)
    write = _ENCODERS.get(cls)
    if write is None:
        write = _ENCODERS[cls] = _encoder(cls)
    return write(event)


#: Per event type: a function writing its canonical JSON.
_ENCODERS: dict[type[Event], Callable[[Event], bytes]] = {}


def _encoder(cls: type[Event]) -> Callable[[Event], bytes]:
    """A function writing ``cls``'s canonical JSON with its keys already in sorted order.

    orjson keeps a dict's order, so a dict display listing the fields, ``type``
    and ``schema`` sorted gives the bytes of ``OPT_SORT_KEYS`` without the
    sorting.  Field types that could hold a mapping (whose keys would need
    sorting too) have no fast converter: such a class sorts at run time.
    """
    try:
        _fast_plan(cls)
    except TypeError:  # pragma: no cover - no event has such a field today
        return _encode_sorting
    values = {name: f"e.{name}" for name in _names(cls)}
    values["type"], values["schema"] = repr(cls.__name__), repr(SCHEMA_VERSION)
    items = ", ".join(f"{name!r}: {values[name]}" for name in sorted(values))
    names: dict[str, Any] = {"dumps": orjson.dumps, "view": memoryview}
    # Copied to its own size, as compact_json() does.
    exec(f"def write(e):\n    return view(dumps({{{items}}})).tobytes()", names)  # built here
    write: Callable[[Event], bytes] = names["write"]
    return write


def _encode_sorting(event: Event) -> bytes:
    cls = type(event)
    data = {name: getattr(event, name) for name in _names(cls)}
    data["type"] = cls.__name__
    data["schema"] = SCHEMA_VERSION
    return compact_json(data)


def encode_dict(data: Mapping[str, Any]) -> bytes:
    """Canonical JSON bytes of an already serialised event dict."""
    return compact_json(dict(data))


def _tuple_of_tuples(v: Any) -> Any:
    return tuple(tuple(x) for x in v)


def _opt_date(v: Any) -> Any:
    return None if v is None else date.fromisoformat(v)


def _converter(tp: Any) -> Callable[[Any], Any] | None:
    """A cheap converter from JSON for the field types events use (None: keep as is)."""
    if tp is date:
        return date.fromisoformat  # C code: no Python frame per date
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType) and set(args) == {date, type(None)}:
        return _opt_date
    if origin is tuple:
        inner = args[0] if args else Any
        return _tuple_of_tuples if typing.get_origin(inner) is tuple else tuple
    if tp in (str, int, bool, float) or (
            origin in (typing.Union, types.UnionType) and set(args) <= {str, type(None)}):
        return None
    raise TypeError(f"no fast converter for {tp!r}")  # pragma: no cover - new field types


def _fast_plan(cls: type[Event]) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    known = _PLANS.get(cls)
    if known is not None:
        return known
    hints = typing.get_type_hints(cls)
    plan: list[tuple[str, Callable[[Any], Any]]] = []
    for f in attrs.fields(cls):
        tp = hints[f.name]
        conv = float if tp is float else _converter(tp)
        if conv is not None:
            plan.append((f.name, conv))
    _PLANS[cls] = tuple(plan)
    return _PLANS[cls]


#: Per event type: a function building the event from its complete JSON dict.
_MAKERS: dict[str, Callable[[dict[str, Any]], Event]] = {}


def _maker(cls: type[Event]) -> Callable[[dict[str, Any]], Event]:
    """A function that builds a ``cls`` straight from its decoded JSON, field by field.

    It fills the instance's slots directly (what the attrs ``__init__`` of an
    event does, the events having no validators or converters), converting
    dates and tuples on the way, without the intermediate keyword dict.  It
    raises `KeyError` for a dict that is not exactly the event's fields plus
    ``type`` and ``schema``; `decode` then takes the general path.
    """
    fields = attrs.fields(cls)
    convert = dict(_fast_plan(cls))
    names: dict[str, Any] = {"new": object.__new__, "cls": cls, "size": len(fields) + 2}
    lines = ["def make(d):", "    if len(d) != size:", "        raise KeyError('fields')",
             "    o = new(cls)"]
    for index, f in enumerate(fields):
        slot = getattr(cls, f.name)
        if not isinstance(slot, types.MemberDescriptorType):  # pragma: no cover - not slotted
            raise TypeError(f"{cls.__name__}.{f.name} is not a slot")
        names[f"s{index}"] = slot.__set__
        value = f"d[{f.name!r}]"
        if f.name in convert:
            names[f"c{index}"] = convert[f.name]
            value = f"c{index}({value})"
        lines.append(f"    s{index}(o, {value})")
    lines.append("    return o")
    exec("\n".join(lines), names)  # code built here from the attrs fields
    make: Callable[[dict[str, Any]], Event] = names["make"]
    return make


def _makers() -> dict[str, Callable[[dict[str, Any]], Event]]:
    if not _MAKERS:
        _MAKERS.update({name: _maker(cls) for name, cls in EVENT_TYPES.items()})
    return _MAKERS


def upcast(data: dict[str, Any], upcasters: Upcasters | None) -> dict[str, Any]:
    """Bring an event dict written at an older schema up to `SCHEMA_VERSION`."""
    schema = data.get("schema", SCHEMA_VERSION)
    name = str(data.get("type"))
    while isinstance(schema, int) and schema < SCHEMA_VERSION:
        step = (upcasters or {}).get((name, schema))
        if step is None:
            raise InvalidValueError(
                "schema", f"an upcaster for {name} from schema {schema}", None,
                f"pass upcasters={{({name!r}, {schema}): fn}} to the store")
        data = step(dict(data))
        schema += 1
        data["schema"] = schema
    return data


def decode(payload: bytes | str, upcasters: Upcasters | None = None) -> Event:
    """The event stored as ``payload``; older schema versions go through ``upcasters``."""
    data = orjson.loads(payload)
    if data.get("schema") != SCHEMA_VERSION:
        data = upcast(data, upcasters)
    make = (_MAKERS or _makers()).get(data.get("type"))
    if make is not None:
        try:
            return make(data)
        except (KeyError, TypeError, ValueError):
            pass  # a missing default or a malformed value: the general path below
    return _decode_general(data)


def _decode_general(data: dict[str, Any]) -> Event:
    """Build the event with its ``__init__`` (defaults filled in), else let cattrs say
    exactly what is wrong."""
    cls = EVENT_TYPES.get(str(data.get("type")))
    if cls is not None:
        body = dict(data)
        body.pop("type", None)
        body.pop("schema", None)
        try:
            for name, conv in _fast_plan(cls):
                body[name] = conv(body[name])
            return cls(**body)
        except (KeyError, TypeError, ValueError):
            pass  # malformed: let cattrs say exactly what is wrong
    return event_from_dict(data)
