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

from rectify.errors import Problem
from rectify.model import Grade
from rectify.policy._lifecycle import (
    AccountabilityPolicy,
    CoveragePolicy,
    PermissionsPolicy,
    PlanPolicy,
    SchedulePolicy,
)

__all__ = [
    "LADDER_ACTIONS",
    "LADDER_BASES",
    "AccountabilityPolicy",
    "Comparison",
    "CoveragePolicy",
    "DatesPolicy",
    "DirectCriterion",
    "EscalationPolicy",
    "FindingRule",
    "IdentificationPolicy",
    "InvariantsPolicy",
    "Label",
    "LadderStep",
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


#: The bases of a ladder step, with their English and Chinese descriptions.
LADDER_BASES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "listed": ("listed in consecutive years", "连续被列为整顿对象"),
    "last_place": ("last in its kind's ranking in consecutive years", "连续排名末位"),
    "appraisal": ("the secretary's appraisal graded so in consecutive years",
                  "书记述职评议连续评为该等次"),
    "finding": ("a finding recorded in consecutive years", "连续被发现问题"),
})

#: The actions of a ladder step, weakest first, with their English and Chinese names.
LADDER_ACTIONS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "record": ("recorded, no further measure", "记录在案"),
    "no_awards": ("no awards (取消评先)", "取消评先评优资格"),
    "criticism": ("criticised in a bulletin", "通报批评"),
    "talk": ("a talk with the secretary", "约谈书记"),
    "dismissal": ("the secretary dismissed", "免去书记职务"),
})

_TALK_STRENGTH = {"admonishment": 0, "cautionary": 1}


@attrs.frozen
class LadderStep:
    """One step of an escalation ladder (问责阶梯): a basis held ``years`` years → an action.

    ``basis`` is one of `LADDER_BASES`: ``listed`` (listed in consecutive
    years), ``last_place`` (last in its kind), ``appraisal`` (the secretary's
    appraisal graded one of ``grades``), ``finding`` (a finding of kind
    ``finding``, or any counted finding when empty).  ``action`` is one of
    `LADDER_ACTIONS`; a ``talk`` names its kind (``admonishment`` 约谈 or
    ``cautionary`` 诫勉) in ``talk``; ``months`` is how long its bans last (0:
    the talk kind's own duration; for ``no_awards`` the rest of the year); a
    ``dismissal`` with ``cascade`` also dismisses the secretary of the
    committee above a second-tier branch.  The step that applies is the one
    of the basis with the most ``years`` not exceeding the run of years.
    """

    basis: str
    action: str
    years: int = 1
    talk: str = ""
    months: int = 0
    cascade: bool = False
    grades: tuple[str, ...] = ()
    finding: str = ""

    @property
    def strength(self) -> tuple[int, int]:
        """How severe the action is; a later step of a basis is never weaker."""
        order = list(LADDER_ACTIONS)
        rank = order.index(self.action) if self.action in order else -1
        extra = (_TALK_STRENGTH.get(self.talk, 0) if self.action == "talk"
                 else int(self.cascade) if self.action == "dismissal" else 0)
        return (rank, extra)

    @property
    def zh(self) -> str:
        """The step in Chinese: its basis, years and action."""
        basis = LADDER_BASES.get(self.basis, ("", self.basis))[1]
        action = LADDER_ACTIONS.get(self.action, ("", self.action))[1]
        if self.action == "talk":
            action = {"admonishment": "约谈", "cautionary": "诫勉谈话"}.get(self.talk, action)
        if self.action == "dismissal" and self.cascade:
            action += "并追究上级党组织书记"
        return f"{basis}{self.years}年: {action}"


@attrs.frozen
class FindingRule:
    """What a kind of finding (发现问题) entails: ``zh``/``en`` name it.

    ``extend_years``: the organization counts as listed for that many
    following years (延长整顿期); ``talk``: a talk held with its secretary
    (``admonishment`` or ``cautionary``; empty: none); ``counts``: whether it
    counts towards the ladder's ``finding`` steps.
    """

    zh: str
    en: str = ""
    extend_years: int = 0
    talk: str = ""
    counts: bool = True


_DEFAULT_FINDINGS: Mapping[str, FindingRule] = MappingProxyType({
    "spot_check": FindingRule("抽查发现问题", "a problem found in a spot check"),
    "misreport": FindingRule("弄虚作假、虚报整改情况", "a misreported rectification"),
})


def _frozen_findings(value: Mapping[str, FindingRule]) -> Mapping[str, FindingRule]:
    return MappingProxyType(dict(value))


@attrs.frozen
class EscalationPolicy:
    """Accountability for repeat listings (连续被列为整顿对象) and its ladder (问责阶梯).

    Without ``ladder`` steps, ``consecutive_years``, ``dismiss_secretary`` and
    ``cascade_to_parent`` make the one-step ladder of the documented county:
    listed that many consecutive years → the secretary dismissed (with the
    cascade).  ``ladder`` replaces it with graded `LadderStep` values;
    ``findings`` declares the kinds of finding and their effects.
    """

    consecutive_years: int = 2
    cascade_to_parent: bool = True
    dismiss_secretary: bool = True
    ladder: tuple[LadderStep, ...] = ()
    findings: Mapping[str, FindingRule] = attrs.field(default=_DEFAULT_FINDINGS,
                                                      converter=_frozen_findings)

    def steps(self) -> tuple[LadderStep, ...]:
        """The ladder in force: ``ladder``, or the one step the three switches describe."""
        if self.ladder:
            return self.ladder
        return (LadderStep(basis="listed", years=self.consecutive_years,
                           action="dismissal" if self.dismiss_secretary else "record",
                           cascade=self.cascade_to_parent),)


@attrs.frozen
class DatesPolicy:
    """The date window (日期范围): how far from its campaign year a command may be dated.

    A command about a case of year *Y* (or an appraisal of year *Y*, or
    identification for year *Y*) may be dated from 1 January of
    *Y* − ``years_before`` to 31 December of *Y* + ``years_after``.  The
    defaults allow identification late in the year before and a case that
    runs on, with follow-up and look-backs, for five years.
    """

    years_before: int = 1
    years_after: int = 5


@attrs.frozen
class InvariantsPolicy:
    """Invariants of the testing kit that do not apply to this policy, each with the reason.

    ``not_applicable`` maps an invariant's name (``rectify check-policy
    --list``) to the reason it does not hold by design; ``check-policy``
    reports it as not applicable instead of checking it.
    """

    not_applicable: Mapping[str, str] = attrs.field(default=MappingProxyType({}),
                                                    converter=_frozen)


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
    dates: DatesPolicy = attrs.field(factory=DatesPolicy)
    invariants: InvariantsPolicy = attrs.field(factory=InvariantsPolicy)
    _fingerprint: str = attrs.field(init=False, repr=False, eq=False, default="")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "policy") -> Policy:
        """Build and validate a policy from plain data, as read from TOML."""
        from rectify.policy._io import checked_policy

        return checked_policy(data, source)

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
