"""Frozen records of the domain: organizations, people and assessments.

Kinds (村, 社区, ...) and problem aspects are open sets defined by the policy,
so they are plain strings here; what is fixed for every locality (tiers,
organizational forms, grades) is an enumeration with an English identifier
and a Chinese label.
"""

from __future__ import annotations

import enum
import math
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from rectify.errors import InvalidValueError

__all__ = [
    "Assessment",
    "Grade",
    "OrgForm",
    "Organization",
    "Person",
    "Tier",
    "describe_character",
    "in_scope",
    "scope_key",
    "unsafe_character",
]


class _Labelled(enum.Enum):
    """An enumeration whose members carry an English and a Chinese label."""

    @property
    def zh(self) -> str:
        """The Chinese label used in reports."""
        return _ZH[self]

    @property
    def label(self) -> str:
        """``english / 中文``, the form used in reports and messages."""
        return f"{self.value} / {self.zh}"


class Tier(_Labelled):
    """Where an organization sits in the tree."""

    DIRECT = "direct"
    SECOND_TIER = "second_tier"


class OrgForm(_Labelled):
    """The organizational form; only committees and general branches have branches under them."""

    COMMITTEE = "committee"
    GENERAL_BRANCH = "general_branch"
    BRANCH = "branch"

    @property
    def can_have_branches(self) -> bool:
        """Whether second-tier branches may sit under an organization of this form."""
        return self is not OrgForm.BRANCH


class Grade(_Labelled):
    """The annual assessment grade (评定等次)."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"


_ZH: dict[_Labelled, str] = {
    Tier.DIRECT: "直属党组织",
    Tier.SECOND_TIER: "二层党支部",
    OrgForm.COMMITTEE: "党委",
    OrgForm.GENERAL_BRANCH: "党总支",
    OrgForm.BRANCH: "党支部",
    Grade.A: "优秀",
    Grade.B: "良好",
    Grade.C: "一般",
    Grade.D: "较差",
}

_EMPTY: Mapping[str, float] = MappingProxyType({})


#: Characters that change how text is shown without being seen: bidirectional controls
#: (U+202E reverses what follows), zero-width characters and the byte-order mark.
_INVISIBLE = frozenset("\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                       "\u2060\u2066\u2067\u2068\u2069\ufeff")


def unsafe_character(text: str, *, code: bool = True) -> str | None:
    """The first character of ``text`` that no code, id or name may hold, or ``None``.

    Refused everywhere: control characters (NUL, escape, ...; category ``Cc``),
    bidirectional controls such as U+202E and zero-width characters, which
    make a listed code read as another one.  A ``code`` (an organization code,
    a person id) may not hold line breaks or tabs either; a name may hold a tab.

    >>> unsafe_character("V01\u202e10"), unsafe_character("东关村")
    ('\u202e', None)
    """
    for char in text:
        if char in _INVISIBLE or char in "\u2028\u2029":
            return char
        if unicodedata.category(char) == "Cc" and (code or char != "\t"):
            return char
    return None


def describe_character(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``: a character named for a message."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'control character')}"


def _nonblank(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(attribute.name, "a non-empty text", value)
    bad = unsafe_character(value, code=False)
    if bad is not None:
        raise InvalidValueError(attribute.name, "text without control or invisible characters",
                                value, f"remove the {describe_character(bad)}")


def _code(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(attribute.name, "a non-empty code", value)
    _safe_code(attribute.name, value)


def _optional_code(_inst: object, attribute: attrs.Attribute[str | None],
                   value: str | None) -> None:
    if value is not None:
        _safe_code(attribute.name, value)


def _safe_code(field: str, value: str) -> None:
    bad = unsafe_character(value)
    if bad is not None:
        raise InvalidValueError(field, "a code without control, invisible or bidirectional "
                                "characters", value, f"remove the {describe_character(bad)}")


def _member_of(enum_type: type[enum.Enum]) -> Callable[[object, Any, Any], None]:
    choices = ", ".join(str(m.value) for m in enum_type)

    def check(_inst: object, attribute: Any, value: Any) -> None:
        if not isinstance(value, enum_type):
            raise InvalidValueError(attribute.name, f"a {enum_type.__name__} ({choices})", value)

    return check


def _to_float(value: Any) -> Any:
    # Integers become floats so that scores read alike; anything else is left to the validator.
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _roles(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def _safe_roles(roles: frozenset[str]) -> None:
    for role in roles:
        if not isinstance(role, str) or not role.strip():
            raise InvalidValueError("roles", "non-empty role names", role)
        _safe_code("roles", role)


def _frozen_mapping(value: Mapping[str, float] | None) -> Mapping[str, float]:
    if not value:
        return _EMPTY
    return MappingProxyType(dict(value))


@attrs.frozen(slots=True)
class Organization:
    """A grassroots party organization (基层党组织).

    ``parent`` is the code of the committee or general branch a second-tier
    branch sits under, and ``None`` for a direct organization.  ``county`` and
    ``township`` place the organization for bulletins; quotas never use them.
    """

    code: str = attrs.field(validator=_code)
    name: str = attrs.field(validator=_nonblank)
    kind: str = attrs.field(validator=_code)
    tier: Tier = attrs.field(validator=_member_of(Tier))
    form: OrgForm = attrs.field(
        default=OrgForm.BRANCH, validator=_member_of(OrgForm)
    )
    parent: str | None = attrs.field(default=None, validator=_optional_code)
    secretary: str | None = attrs.field(default=None, validator=_optional_code)
    county: str = ""
    township: str = ""
    province: str = ""

    @property
    def scope(self) -> str:
        """The organization's place in a ledger of many counties: `scope_key()` of its
        province and county (its cases carry it)."""
        return scope_key(self.province, self.county)


@attrs.frozen(slots=True)
class Person:
    """A person: a secretary, a supporting cadre, a verifier."""

    id: str = attrs.field(validator=_code)
    name: str = attrs.field(validator=_nonblank)
    roles: frozenset[str] = attrs.field(default=frozenset(), converter=_roles,
                                        validator=lambda _i, _a, v: _safe_roles(v))
    unit: str = ""
    #: Where the person may act: ``""`` (the whole ledger, the default), a province
    #: (``"河北省"``) or a county (``"北岭县"``, or ``"河北省/北岭县"``); see `in_scope()`.
    scope: str = attrs.field(default="", validator=lambda _i, _a, v: _check_scope(v))


def _score(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not isinstance(value, int | float) or not math.isfinite(value) or not 0 <= value <= 100:
        raise InvalidValueError(attribute.name, "a score in [0, 100]", value)


@attrs.frozen(slots=True)
class Assessment:
    """One organization's annual assessment (评定).

    ``total`` is the composite score (0-100).  ``grade`` is the grade given by
    the assessors; when ``None`` the policy's grade bands derive it from the
    total.  ``aspects`` holds scores per problem aspect; ``facts`` holds the
    other measurements direct criteria may test (``secretary_vacant_months``,
    ``satisfaction``, ``mass_incidents``...).
    """

    org: str = attrs.field(validator=_code)
    year: int
    total: float = attrs.field(converter=_to_float, validator=_score)
    grade: Grade | None = None
    aspects: Mapping[str, float] = attrs.field(default=_EMPTY, converter=_frozen_mapping)
    facts: Mapping[str, float] = attrs.field(default=_EMPTY, converter=_frozen_mapping)


def scope_key(province: str, county: str) -> str:
    """The scope of a place: ``"province/county"``, leaving out an empty part.

    >>> scope_key("河北省", "北岭县"), scope_key("", "北岭县"), scope_key("", "")
    ('河北省/北岭县', '北岭县', '')
    """
    return "/".join(part for part in (province, county) if part)


def in_scope(key: str, scope: str) -> bool:
    """Whether a case whose scope is ``key`` lies within ``scope``.

    The empty scope is the whole ledger; a scope covers itself and what lies
    under it (a province its counties).

    >>> in_scope("河北省/北岭县", ""), in_scope("河北省/北岭县", "河北省")
    (True, True)
    >>> in_scope("河北省/北岭县", "河北省/南山县"), in_scope("", "河北省")
    (False, False)
    """
    return not scope or key == scope or key.startswith(scope + "/")


def _check_scope(value: object) -> None:
    if not isinstance(value, str):
        raise InvalidValueError("scope", "a text: '', a province, a county or "
                                "'province/county'", value)
    if not value:
        return
    parts = value.split("/")
    if len(parts) > 2 or any(not part.strip() or part != part.strip() for part in parts):
        raise InvalidValueError("scope", "'', a province, a county or 'province/county' "
                                "(no empty parts, no spaces around them)", value,
                                "write e.g. '河北省/北岭县' or '北岭县'")
    _safe_code("scope", value)
