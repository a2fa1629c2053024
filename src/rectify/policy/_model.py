"""Policy as data: the rules a locality applies, loaded from TOML.

A `Policy` is immutable and validated; its `fingerprint()`
is stamped on every decision so that a ledger shows which rules were in force.
Presets ship as package data (``rectify policy list``); what-if variants come
from `Policy.evolve()` or a TOML overlay.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

from rectify.errors import PolicyError, Problem
from rectify.model import Grade
from rectify.policy._lifecycle import (
    AccountabilityPolicy,
    CoveragePolicy,
    PermissionsPolicy,
    PlanPolicy,
    SchedulePolicy,
)

__all__ = [
    "AccountabilityPolicy",
    "Comparison",
    "CoveragePolicy",
    "DirectCriterion",
    "EscalationPolicy",
    "IdentificationPolicy",
    "Label",
    "Meta",
    "PermissionsPolicy",
    "PlanPolicy",
    "Policy",
    "RankedUnit",
    "Rounding",
    "SchedulePolicy",
    "SupportPolicy",
    "TieRule",
    "VerificationPolicy",
]

_V = TypeVar("_V")


def _frozen(value: Mapping[str, _V]) -> Mapping[str, _V]:
    return MappingProxyType(dict(value))


class Rounding(enum.Enum):
    """How a quota fraction times a kind's size becomes a whole number of organizations."""

    UP = "up"
    NEAREST = "nearest"
    DOWN = "down"

    def apply(self, fraction: float, size: int) -> int:
        """The number of organizations ``fraction`` of ``size`` gives, computed exactly."""
        exact = Fraction(repr(fraction)) * size
        if self is Rounding.UP:
            return -(-exact.numerator // exact.denominator)
        if self is Rounding.DOWN:
            return exact.numerator // exact.denominator
        return int(exact + Fraction(1, 2))  # half up, never banker's rounding


class RankedUnit(enum.Enum):
    """Which organizations of a kind take part in its ranking (the unit of ranking, 排名单位).

    ``ALL`` ranks every organization of the kind.  ``TOP`` ranks only the
    organizations that do not sit under another organization of the same
    kind: an administrative village's branch or general branch (村级党组织)
    is ranked, the villagers'-group branches under it are not.  Organizations
    outside the unit are still screened by the direct criteria.
    """

    ALL = "all"
    TOP = "top"


class TieRule(enum.Enum):
    """What happens to organizations tied on score at the quota's cut-off."""

    INCLUDE_ALL = "include_all"
    BREAK_BY_CODE = "break_by_code"


class Comparison(enum.Enum):
    """The comparison a numeric direct criterion applies to a fact."""

    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    EQ = "=="

    def holds(self, value: float, threshold: float) -> bool:
        """Whether ``value <op> threshold``."""
        if self is Comparison.LT:
            return value < threshold
        if self is Comparison.LE:
            return value <= threshold
        if self is Comparison.GT:
            return value > threshold
        if self is Comparison.GE:
            return value >= threshold
        return value == threshold


@attrs.frozen
class Label:
    """A display name in Chinese, with an optional English one (the key is the identifier)."""

    zh: str
    en: str = ""


@attrs.frozen
class Meta:
    """What a policy is and where it comes from."""

    name: str
    title: str = ""
    version: str = "1"
    description: str = ""
    source: str = ""


@attrs.frozen
class DirectCriterion:
    """A rule that lists an organization whatever its rank (直接认定).

    Either ``grades`` (the assessed grade is one of them) or ``fact``, ``op`` and
    ``threshold`` (a measured fact compared with a number; the fact ``total`` is
    the composite score).  An organization whose assessment lacks the fact is
    not listed by that criterion.  ``kinds`` limits the rule to some kinds
    (empty: every kind).
    """

    id: str
    zh: str
    en: str = ""
    grades: tuple[str, ...] = ()
    fact: str | None = None
    op: Comparison | None = None
    threshold: float | None = None
    kinds: tuple[str, ...] = ()


@attrs.frozen
class IdentificationPolicy:
    """Annual identification: direct criteria and per-kind quotas by reverse ranking.

    ``ranked`` says, per kind, which organizations the quota ranks (see
    `RankedUnit`); a kind not named ranks all its organizations.
    """

    quota: Mapping[str, float] = attrs.field(converter=_frozen)
    direct: tuple[DirectCriterion, ...] = ()
    rounding: Rounding = Rounding.UP
    ties: TieRule = TieRule.INCLUDE_ALL
    count_direct_in_quota: bool = True
    min_group_size: int = 1
    min_per_kind: int = 0
    near_miss_ranks: int = 3
    ranked: Mapping[str, RankedUnit] = attrs.field(default=MappingProxyType({}), converter=_frozen)


@attrs.frozen
class SupportPolicy:
    """The support levels (五级包扶) and which ones each kind requires."""

    levels: Mapping[str, Label] = attrs.field(converter=_frozen)
    required: Mapping[str, tuple[str, ...]] = attrs.field(converter=_frozen)


@attrs.frozen
class VerificationPolicy:
    """Acceptance of a rectification (考核验收).

    Passes when the composite score is at least ``pass_score``, the share of
    dissatisfied votes does not exceed ``max_dissatisfied``, and the share of
    satisfied plus basically satisfied votes is at least ``min_satisfied``.
    """

    pass_score: float = 70.0
    max_dissatisfied: float = 0.5
    min_satisfied: float = 0.0
    panel_size: int = 15
    #: Fewest votes a verification needs; 0 asks for the whole panel (``panel_size``).
    min_votes: int = 0


@attrs.frozen
class EscalationPolicy:
    """Accountability for repeat listings (连续被列为整顿对象)."""

    consecutive_years: int = 2
    cascade_to_parent: bool = True
    dismiss_secretary: bool = True


@attrs.frozen
class Policy:
    """The complete, validated rules of one locality.

    Build one with `load_policy()` (a preset name or a TOML file) or
    `from_dict()`; derive variants with `evolve()`.  Construction
    never yields an invalid policy: every problem is raised at once as a
    `PolicyError`.
    """

    meta: Meta
    kinds: Mapping[str, Label] = attrs.field(converter=_frozen)
    aspects: Mapping[str, Label] = attrs.field(converter=_frozen)
    grades: Mapping[str, float] = attrs.field(converter=_frozen)
    identification: IdentificationPolicy
    support: SupportPolicy
    verification: VerificationPolicy = attrs.field(factory=VerificationPolicy)
    escalation: EscalationPolicy = attrs.field(factory=EscalationPolicy)
    plan: PlanPolicy = attrs.field(factory=PlanPolicy)
    accountability: AccountabilityPolicy = attrs.field(factory=AccountabilityPolicy)
    schedule: SchedulePolicy = attrs.field(factory=SchedulePolicy)
    permissions: PermissionsPolicy = attrs.field(factory=PermissionsPolicy)
    coverage: CoveragePolicy = attrs.field(factory=CoveragePolicy)
    _fingerprint: str = attrs.field(init=False, repr=False, eq=False, default="")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "policy") -> Policy:
        """Build and validate a policy from plain data, as read from TOML."""
        from rectify.policy._io import structure_policy

        policy: Policy = structure_policy(data, source)
        problems = policy.validate()
        if problems:
            raise PolicyError(f"{source} is inconsistent", problems)
        return policy

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain data (the TOML tables), canonical and complete."""
        from rectify.policy._io import unstructure_policy

        return unstructure_policy(self)

    def to_toml(self) -> str:
        """The policy as a TOML document that `load_policy()` reads back."""
        from rectify.policy._io import dump_toml

        return dump_toml(self.to_dict())

    def validate(self) -> list[Problem]:
        """Every inconsistency in the settings, as `Problem` values.

        An empty list means the policy is usable.  Policies built through
        `from_dict()`, `load_policy()` or `evolve()` are already
        validated; this is for reporting (``rectify policy validate``).
        """
        from rectify.policy._checks import policy_problems

        return policy_problems(self)

    def fingerprint(self) -> str:
        """A SHA-256 hash of the canonical content; equal policies share it."""
        if not self._fingerprint:
            canonical = json.dumps(
                self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
            )
            digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
            object.__setattr__(self, "_fingerprint", digest)
        return self._fingerprint

    def evolve(self, overlay: Mapping[str, Any], *, source: str = "overlay") -> Policy:
        """A new policy with ``overlay`` merged in (nested tables merge key by key).

        >>> from rectify.policy import load_policy
        >>> p = load_policy("northern-county")
        >>> q = p.evolve({"identification": {"quota": {"village": 0.10}}})
        >>> q.identification.quota["village"], p.identification.quota["village"]
        (0.1, 0.15)
        """
        from rectify.policy._io import deep_merge

        return Policy.from_dict(deep_merge(self.to_dict(), overlay), source=source)

    def kind_label(self, kind: str) -> str:
        """``kind / 中文`` for reports; the bare identifier for an unknown kind."""
        label = self.kinds.get(kind)
        return f"{kind} / {label.zh}" if label else kind

    def grade_for(self, total: float) -> Grade:
        """The grade whose band contains ``total``."""
        for grade in (Grade.A, Grade.B, Grade.C):
            if total >= self.grades[grade.value]:
                return grade
        return Grade.D
