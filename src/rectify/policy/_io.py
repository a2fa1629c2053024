"""Structuring policies from plain data with cattrs, and readable errors when that fails."""

from __future__ import annotations

import difflib
import enum
import functools
import re
import tomllib
import typing
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cattrs
import tomli_w
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_unstructure_fn, override

from rectify.errors import PolicyError, Problem, UnknownPresetError

if TYPE_CHECKING:
    from rectify.policy._model import Policy

__all__ = [
    "checked_policy",
    "converter",
    "deep_merge",
    "dump_toml",
    "load_policy",
    "preset_names",
    "preset_text",
    "structure_policy",
    "toml_position",
    "unstructure_policy",
]


class _Mismatch(TypeError):
    """A scalar of the wrong type; carries the human description of what was expected."""

    def __init__(self, expected: str) -> None:
        self.expected = expected
        super().__init__(expected)


def _strict_float(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Mismatch("a number")
    return float(value)


def _strict_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Mismatch("a whole number")
    return value


def _strict_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise _Mismatch("a text")
    return value


def _strict_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise _Mismatch("true or false")
    return value


def _enum_hook(enum_type: type[enum.Enum]) -> Any:
    choices = ", ".join(repr(m.value) for m in enum_type)

    def structure(value: object, _: type) -> enum.Enum:
        for member in enum_type:
            if member.value == value:
                return member
        raise _Mismatch(f"one of {choices}")

    return structure


def _is_tuple(t: Any) -> bool:
    return typing.get_origin(t) is tuple


def _array_hook(conv: cattrs.Converter, tuple_type: Any) -> Any:
    item_type = typing.get_args(tuple_type)[0]
    item_hook = conv.get_structure_hook(item_type)

    def structure(value: object, _: type) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise _Mismatch("an array")
        items: list[Any] = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                items.append(item_hook(item, item_type))
            except Exception as exc:
                exc.__notes__ = [IterableValidationNote(f"Structuring item @ {index}", index,
                                                        item_type)]
                errors.append(exc)
        if errors:
            raise IterableValidationError("invalid items", errors, tuple_type)
        return tuple(items)

    return structure


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(float, _strict_float)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(bool, _strict_bool)
    conv.register_structure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _enum_hook
    )
    conv.register_structure_hook_factory(_is_tuple, lambda t: _array_hook(conv, t))
    from rectify.policy import Policy

    conv.register_unstructure_hook(
        Policy, make_dict_unstructure_fn(Policy, conv, _fingerprint=override(omit=True))
    )
    return conv


@functools.cache
def converter() -> cattrs.Converter:
    """The one cattrs converter rectify uses for policies (strict, no extra keys)."""
    return _make_converter()


def structure_policy(data: Mapping[str, Any], source: str) -> Any:
    """A `Policy` from plain data, or a PolicyError listing every problem."""
    from rectify.policy import Policy

    if not isinstance(data, Mapping):
        raise PolicyError(f"{source} is not a policy", [Problem("(root)", "a table", data)])
    try:
        return converter().structure(dict(data), Policy)
    except (ClassValidationError, IterableValidationError) as exc:
        raise PolicyError(f"{source} has invalid settings", _problems(exc, [], data)) from None


def checked_policy(data: Mapping[str, Any], source: str) -> Policy:
    """A structured and validated `Policy`, or one PolicyError naming every problem.

    A value of the wrong type does not hide an inconsistency elsewhere: the
    settings that fail to structure are set aside, the rest is structured
    and validated, and both kinds of problem are reported together.
    """
    try:
        policy: Policy = structure_policy(data, source)
    except PolicyError as exc:
        problems = list(exc.problems)
        bad = [p.location for p in problems]
        try:
            rest = structure_policy(_without(data, bad), source).validate()
        except PolicyError:
            rest = []  # what is left does not structure either (a required setting was bad)
        problems += [p for p in rest if not any(_within(p.location, b) for b in bad)]
        raise PolicyError(f"{source} has invalid settings", problems) from None
    found = policy.validate()
    if found:
        raise PolicyError(f"{source} is inconsistent", found)
    return policy


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _steps(location: str) -> list[str | int]:
    return [int(index) if index else key for key, index in _STEP.findall(location)]


def _within(location: str, prefix: str) -> bool:
    """Whether ``location`` is ``prefix`` or a setting inside it."""
    return location == prefix or location.startswith((f"{prefix}.", f"{prefix}["))


def _without(data: Mapping[str, Any], locations: list[str]) -> dict[str, Any]:
    """``data`` without the table keys at ``locations`` (list items are left in place)."""
    result: dict[str, Any] = _copy(data)
    for location in locations:
        steps = _steps(location)
        if not steps or not isinstance(steps[-1], str):
            continue
        node: Any = result
        for step in steps[:-1]:
            node = _child(node, step)
        if isinstance(node, dict):
            node.pop(steps[-1], None)
    return result


def _child(node: Any, step: str | int) -> Any:
    """The table or array at ``step`` inside ``node`` (``None`` when there is none)."""
    if isinstance(node, dict) and isinstance(node.get(step), dict | list):
        return node[step]
    if isinstance(node, list) and isinstance(step, int) and step < len(node):
        return node[step]
    return None


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


def unstructure_policy(policy: Any) -> dict[str, Any]:
    """Plain, JSON- and TOML-ready data for a policy: no ``None`` values, lists not tuples."""
    plain: dict[str, Any] = _plain(converter().unstructure(policy))
    return plain


def dump_toml(data: Mapping[str, Any]) -> str:
    """TOML text for plain data as produced by `unstructure_policy()`."""
    return tomli_w.dumps(dict(data))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _problems(exc: BaseException, path: list[str | int], data: object) -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(exc, ClassValidationError | IterableValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            step: str | int = (note.name if isinstance(note, AttributeValidationNote)
                               else note.index)
            problems.extend(_problems(sub, [*path, step], data))
        for sub in without:
            problems.extend(_problems(sub, path, data))
        return problems
    location = _location(path)
    if isinstance(exc, ForbiddenExtraKeysError):
        known = _known_keys(exc.cl)
        for key in sorted(exc.extra_fields):
            near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            fix = (f"did you mean {near[0]!r}? (the keys here: {', '.join(known)})" if near
                   else f"remove the unknown key {key!r} or correct its spelling")
            problems.append(
                Problem(_location([*path, key]), "a known setting (see docs/policy.md)",
                        _value_at(data, [*path, key]), fix)
            )
    elif isinstance(exc, KeyError):
        problems.append(Problem(location, "a value (this setting is required)", None,
                                "add it (see docs/policy.md)"))
    elif isinstance(exc, _Mismatch):
        problems.append(Problem(location, exc.expected, _value_at(data, path)))
    elif isinstance(exc, AttributeError | TypeError):
        problems.append(Problem(location, "a table", _value_at(data, path)))
    else:
        problems.append(Problem(location, "a valid value", _value_at(data, path), str(exc)))
    return problems


def _known_keys(cls: type) -> list[str]:
    try:
        import attrs

        return [a.alias for a in attrs.fields(cls) if a.init]
    except TypeError:  # pragma: no cover - every policy table is an attrs class
        return []


def _location(path: list[str | int]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text or "(root)"


def _value_at(data: object, path: list[str | int]) -> object:
    for step in path:
        if isinstance(data, Mapping) and isinstance(step, str):
            data = data.get(step)
        elif isinstance(data, list | tuple) and isinstance(step, int) and step < len(data):
            data = data[step]
        else:
            return None
    return data


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``overlay`` merged in: nested tables key by key, other values replaced."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_PRESETS = "policies"


def preset_names() -> list[str]:
    """Names of the policies shipped with rectify, sorted."""
    folder = resources.files("rectify").joinpath(_PRESETS)
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir()
                  if p.name.endswith(".toml"))


def preset_text(name: str) -> str:
    """The TOML text of a preset."""
    if name not in preset_names():
        raise UnknownPresetError(name, preset_names())
    return resources.files("rectify").joinpath(_PRESETS).joinpath(f"{name}.toml").read_text("utf-8")


def load_policy(name_or_path: str | Path = "northern-county", *overlays: str | Path) -> Policy:
    """Load a preset by name, or a TOML file by path, then apply TOML overlay files in order.

    >>> load_policy().meta.name
    'northern-county'
    """
    text, source = _read_policy_text(name_or_path)
    data = _parse_toml(text, source)
    if overlays:
        # Overlays merge into the complete policy, defaults included, as Policy.evolve does:
        # an overlay's [permissions.commands] changes the commands it names, not the table.
        data = unstructure_policy(structure_policy(data, source))
    for overlay in overlays:
        overlay_text, overlay_source = _read_policy_text(overlay)
        data = deep_merge(data, _parse_toml(overlay_text, overlay_source))
        source = f"{source} + {overlay_source}"
    from rectify.policy import Policy

    return Policy.from_dict(data, source=source)


def _read_policy_text(name_or_path: str | Path) -> tuple[str, str]:
    name = str(name_or_path)
    if name in preset_names():
        return preset_text(name), f"preset {name}"
    path = Path(name)
    if path.suffix == ".toml" or path.exists():
        try:
            return path.read_text("utf-8"), str(path)
        except OSError as exc:
            raise PolicyError(
                f"cannot read policy file {path}",
                [Problem(str(path), "a readable UTF-8 TOML file", exc.strerror or str(exc))],
            ) from None
        except UnicodeDecodeError as exc:
            raise PolicyError(
                f"cannot read policy file {path}",
                [Problem(str(path), "UTF-8 text", exc.reason, "save the file as UTF-8")],
            ) from None
    raise UnknownPresetError(name, preset_names())


_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_END = re.compile(r"\s*\(at end of document\)\s*$")


def toml_position(exc: tomllib.TOMLDecodeError, text: str) -> tuple[int, int, str]:
    """``(line, column, message)`` of a TOML syntax error, counted from 1.

    >>> try:
    ...     tomllib.loads("a = 1\\nb = = 2\\n")
    ... except tomllib.TOMLDecodeError as exc:
    ...     toml_position(exc, "a = 1\\nb = = 2\\n")
    (2, 5, 'Invalid value')
    """
    line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    message = getattr(exc, "msg", None) or str(exc)
    found = _POSITION.search(message)
    if found:
        line, column = int(found.group(1)), int(found.group(2))
        message = message[:found.start()]
    elif (end := _END.search(message)) is not None:
        message = message[:end.start()]
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    if line is None or column is None:
        line, column = 1, 1
    return int(line), int(column), message


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, column, message = toml_position(exc, text)
        raise PolicyError(
            f"{source} is not valid TOML",
            [Problem(f"{source}:line {line}:column {column}", "valid TOML", message,
                     "correct the TOML at that line and column (quote text values, one "
                     "key = value per line)")],
        ) from None

