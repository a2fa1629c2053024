"""Command ids derived from a command's content, so reruns give byte-identical ledgers.

A command given no id gets `content_id()`: a SHA-256 over the canonical JSON
of what the command says (its name, its case or subject, its arguments), who
issues it, its date and the policy's fingerprint.  The same command on the
same inputs therefore gets the same id in every run, and issuing it again is
an idempotent retry: the ledger records it once.  Two commands that differ in
anything (a report of the same month filed on another day, another actor)
get different ids.  Two truly identical commands are one command; to record
a deliberate repeat (assign, release and assign the same person on one day),
pass an explicit command id.

>>> from datetime import date
>>> a = content_id("record_report", "2017-V01-03", {"kind": "progress", "month": "2017-03"},
...                actor="P1", on=date(2017, 3, 31), policy="f" * 64)
>>> b = content_id("record_report", "2017-V01-03", {"month": "2017-03", "kind": "progress"},
...                actor="P1", on=date(2017, 3, 31), policy="f" * 64)
>>> a == b, len(a)
(True, 32)
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs
import orjson

__all__ = ["canonical", "content_id"]


def canonical(value: Any) -> Any:
    """``value`` as plain JSON data, the same for equal values whatever their order.

    attrs records become tables of their fields, dates ISO text, enums their
    values, sets sorted lists, tuples lists.
    """
    result: Any = value
    if attrs.has(type(value)):
        result = {a.name: canonical(getattr(value, a.name)) for a in attrs.fields(type(value))}
    elif isinstance(value, enum.Enum):
        result = canonical(value.value)
    elif isinstance(value, date):
        result = value.isoformat()
    elif isinstance(value, Mapping):
        result = {str(k): canonical(v) for k, v in value.items()}
    elif isinstance(value, frozenset | set):
        result = sorted((canonical(v) for v in value), key=orjson.dumps)
    elif isinstance(value, list | tuple):
        result = [canonical(v) for v in value]
    return result


def _default(value: Any) -> Any:
    """What orjson cannot write itself: attrs records, sets, mappings that are not dicts."""
    if attrs.has(type(value)):
        return {a.name: getattr(value, a.name) for a in attrs.fields(type(value))}
    if isinstance(value, frozenset | set):
        return canonical(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot write {type(value).__name__} in a command id")


_OPTIONS = orjson.OPT_SORT_KEYS


def content_id(name: str, subject: str, fields: Mapping[str, Any], *, actor: str, on: date,
               policy: str) -> str:
    """The id of the command ``name`` on ``subject`` with ``fields``, by ``actor`` on ``on``.

    ``policy`` is the policy's fingerprint.  32 hex digits (128 bits of SHA-256
    over the canonical JSON of all of it, as `canonical()` writes it).
    """
    payload = {"command": name, "subject": subject, "fields": fields, "actor": actor,
               "on": on, "policy": policy}
    try:
        text = orjson.dumps(payload, default=_default, option=_OPTIONS)
    except TypeError:  # what orjson cannot write (an integer beyond 64 bits, say)
        text = json.dumps(canonical(payload), sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"), default=repr).encode("utf-8")
    return hashlib.sha256(text).hexdigest()[:32]
