"""docs/policy.md documents every policy setting, and only settings that exist.

The reference tables in docs/policy.md have ``Key`` as their first column and
hold one full dotted key per row, in backticks.  Placeholders in angle
brackets (``kinds.<kind>.zh``) stand for the keys of a mapping; ``[]`` marks
the entries of an array of tables (``identification.direct[].id``).  A
mapping whose default is long (``permissions.commands``) may give *see
entries* as its default and document each default entry on its own row
(``permissions.commands.open_cases``).  The
key paths expected from the code are derived by walking the attrs classes of
:class:`rectify.policy.Policy`, so a new field without documentation, or a
documented key that no longer exists, fails here.
"""

from __future__ import annotations

import collections.abc
import enum
import re
import tomllib
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from rectify import load_policy
from rectify.policy import Policy

DOC = Path(__file__).resolve().parents[1] / "docs" / "policy.md"

ANY = "<*>"  # a mapping key, whatever the placeholder's name in the docs
REQUIRED = "required"
ABSENT = "absent"
ENTRIES = "see entries"  # the default is given entry by entry, one row per key

_PLACEHOLDER = re.compile(r"<[^<>]+>")
_CODE = re.compile(r"`([^`]*)`")


@attrs.frozen
class Documented:
    """One row of a reference table."""

    key: str
    default: str
    line: int


@attrs.frozen
class Expected:
    """One key path derived from the policy classes, with its attrs default."""

    key: str
    default: Any  # attrs.NOTHING when the key is required
    plain_mapping: bool = False  # a mapping of scalars or arrays, e.g. identification.quota


def _split_row(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def documented_rows(text: str) -> list[Documented]:
    """The rows of every Markdown table whose first header cell is ``Key``."""
    rows: list[Documented] = []
    in_table = False
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.lstrip().startswith("|"):
            in_table = False
            continue
        cells = _split_row(line)
        if not in_table:
            in_table = cells[0] == "Key"
            header = cells
            continue
        if set(cells[0]) <= set("-: "):
            continue  # the separator row
        match = _CODE.fullmatch(cells[0])
        assert match, f"policy.md:{number}: first cell {cells[0]!r} is not a key in backticks"
        rows.append(Documented(match[1], cells[header.index("Default")], number))
    return rows


def _normalise(key: str) -> str:
    return _PLACEHOLDER.sub(ANY, key)


def _mapping_value(tp: Any) -> Any | None:
    """The value type of a ``Mapping[str, V]`` annotation, or None for other types."""
    origin = typing.get_origin(tp)
    if (
        origin is not None
        and isinstance(origin, type)
        and issubclass(origin, collections.abc.Mapping)
    ):
        return typing.get_args(tp)[1]
    return None


def _tuple_item(tp: Any) -> Any | None:
    """The item type of a ``tuple[T, ...]`` annotation, or None for other types."""
    if typing.get_origin(tp) is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
    return None


def walk(cls: type, prefix: str = "") -> Iterator[Expected]:
    """Every key path of ``cls``'s TOML form, recursing into nested attrs classes.

    Private and non-init fields (``_fingerprint``) are skipped.  A mapping
    field yields its own key, and, when its values are attrs classes, the
    fields of a value under an ``<*>`` placeholder.  A tuple of attrs classes
    (an array of tables) yields its key and the item fields under ``[]``.
    """
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):
        if field.name.startswith("_") or not field.init:
            continue
        key = f"{prefix}{field.name}"
        tp = hints[field.name]
        value_type = _mapping_value(tp)
        item_type = _tuple_item(tp)
        if attrs.has(tp):
            yield from walk(tp, f"{key}.")
        elif value_type is not None:
            yield Expected(key, field.default, plain_mapping=not attrs.has(value_type))
            if attrs.has(value_type):
                yield from walk(value_type, f"{key}.{ANY}.")
        elif item_type is not None and attrs.has(item_type):
            yield Expected(key, field.default)
            yield from walk(item_type, f"{key}[].")
        else:
            yield Expected(key, field.default)


def _mapping_keys() -> dict[str, set[str]]:
    """For each mapping of plain values, the keys it has in the default preset.

    ``grades.A`` or ``identification.quota.village`` may be documented as
    concrete entries of a mapping; they are not stale when the default
    preset has them.
    """
    found: dict[str, set[str]] = {}

    def visit(data: Any, path: str) -> None:
        if isinstance(data, dict):
            found[path] = set(data)
            for name, value in data.items():
                visit(value, f"{path}.{name}" if path else name)

    visit(load_policy().to_dict(), "")
    return found


EXPECTED = {e.key: e for e in walk(Policy)}
ROWS = documented_rows(DOC.read_text(encoding="utf-8"))


def _is_known(key: str, mapping_keys: dict[str, set[str]]) -> bool:
    """Whether a documented key is a key path of the classes or an entry of a plain mapping.

    An entry of a plain mapping is written as a placeholder (``<kind>``) or as a
    key the default preset has (``grades.A``).
    """
    if _normalise(key) in EXPECTED:
        return True
    parent, _, leaf = key.rpartition(".")
    table = EXPECTED.get(parent)
    if table is None or not table.plain_mapping:
        return False
    return _normalise(leaf) == ANY or leaf in mapping_keys.get(parent, set())


def _default_literal(cell: str) -> Any:
    match = _CODE.search(cell)
    assert match, f"default {cell!r} is neither {REQUIRED!r}, {ABSENT!r} nor a `literal`"
    return tomllib.loads(f"value = {match[1]}")["value"]


def _as_toml(value: Any) -> Any:
    if attrs.has(type(value)):  # a table of a mapping's default, e.g. escalation.findings
        return _as_toml(attrs.asdict(value, recurse=False))
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, collections.abc.Mapping):
        return {k: _as_toml(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_as_toml(v) for v in value]
    return value


def test_walk_finds_the_nested_policy_classes() -> None:
    """The walk reaches nested classes, mappings and arrays, and skips private fields."""
    assert "identification.rounding" in EXPECTED
    assert "identification.direct[].threshold" in EXPECTED
    assert f"kinds.{ANY}.zh" in EXPECTED
    assert f"support.levels.{ANY}.en" in EXPECTED
    assert "support.required" in EXPECTED
    assert "escalation.cascade_to_parent" in EXPECTED
    assert "meta.name" in EXPECTED
    assert not any("fingerprint" in key for key in EXPECTED)


def test_reference_tables_are_found() -> None:
    """docs/policy.md has reference tables, and each key is documented only once."""
    assert len(ROWS) >= len(EXPECTED)
    keys = [row.key for row in ROWS]
    duplicates = sorted(k for k in set(keys) if keys.count(k) > 1)
    assert not duplicates, f"documented more than once: {duplicates}"


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_every_setting_is_documented(key: str) -> None:
    """Each key path of the Policy classes has a row in a reference table."""
    documented = {_normalise(row.key) for row in ROWS}
    assert key in documented, f"{key} is missing from docs/policy.md (add a row to its table)"


def test_no_stale_keys_in_the_docs() -> None:
    """Each documented key exists in the Policy classes (or in the default preset's mapping)."""
    mapping_keys = _mapping_keys()
    stale = [f"line {row.line}: {row.key}" for row in ROWS if not _is_known(row.key, mapping_keys)]
    assert not stale, f"documented keys that the Policy classes do not have: {stale}"


def test_documented_defaults_match_the_classes() -> None:
    """Each documented default equals the attrs default; ``required`` where there is none."""
    wrong: list[str] = []
    for row in ROWS:
        expected = EXPECTED.get(_normalise(row.key))
        if expected is None:
            continue  # a concrete entry of a mapping, such as grades.A
        cell = row.default.strip("*_ ").lower()
        if expected.default is attrs.NOTHING:
            if cell != REQUIRED:
                wrong.append(f"{row.key}: documented {row.default!r}, but it is required")
            continue
        default = _as_toml(expected.default)
        if cell == REQUIRED:
            wrong.append(f"{row.key}: documented as required, but defaults to {default!r}")
        elif cell == ABSENT:
            if default is not None:
                wrong.append(f"{row.key}: documented as absent, but defaults to {default!r}")
        elif cell == ENTRIES:
            entries = _documented_entries(row.key)
            if entries != default:
                wrong.append(f"{row.key}: entries documented as {entries!r}, but the default "
                             f"is {default!r}")
        elif _default_literal(row.default) != default:
            wrong.append(f"{row.key}: documented {row.default}, but the default is {default!r}")
    assert not wrong, "\n".join(wrong)


def _documented_entries(table: str) -> dict[str, Any]:
    """The default of each concrete entry row of ``table`` (placeholder rows are skipped)."""
    return {
        leaf: _default_literal(row.default)
        for row in ROWS
        for parent, _, leaf in [row.key.rpartition(".")]
        if parent == table and not _PLACEHOLDER.fullmatch(leaf)
    }


def test_default_checker_reads_literals() -> None:
    """The default column's literals parse as TOML values comparable with attrs defaults."""
    assert _default_literal('`"up"`') == "up"
    assert _default_literal("`70.0`") == 70.0
    assert _default_literal("`[]`") == _as_toml(())
    assert _default_literal("`true`") is True
    assert _as_toml({"a": ("x",)}) == tomllib.loads('value = { a = ["x"] }')["value"]
