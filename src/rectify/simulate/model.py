"""The outcome model (整顿成效模型): how likely rectifications pass, relapse, and scores drift.

A policy says what the rules are; an `OutcomeModel` says what tends
to happen under them.  It is data, read from TOML like a policy, validated
with every problem reported at once (`OutcomeModelError`), and
fingerprinted.  The defaults ship as ``outcome-default.toml`` beside this
module, each with its rationale; ``docs/whatif.md`` is the reference.

>>> model = default_outcome_model()
>>> model.verification.base, model.relapse.probability, model.drift.anchor
(0.75, 0.1, 'kind_mean')
>>> round(model.pass_probability(["venue_nonstandard"], ["first_secretary"], 0), 2)
0.86
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from rectify.errors import PolicyError, Problem
from rectify.policy import Policy

__all__ = [
    "ANCHORS",
    "Drift",
    "ModelMeta",
    "OutcomeModel",
    "OutcomeModelError",
    "PlanModel",
    "Relapse",
    "VerificationModel",
    "default_outcome_model",
    "load_outcome_model",
]

#: What scores revert towards: the organization's kind's mean, or everyone's.
ANCHORS = ("kind_mean", "population_mean")

_DEFAULT = "outcome-default.toml"


class OutcomeModelError(PolicyError):
    """An outcome model is malformed or does not fit the policy; ``problems`` lists every one."""


def _frozen(value: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(value))


@attrs.frozen
class ModelMeta:
    """What a model is and where its numbers come from."""

    name: str
    description: str = ""
    source: str = ""


@attrs.frozen
class VerificationModel:
    """The chance that a verification passes (考核验收通过的概率).

    ``base`` plus ``aspects[a]`` for each problem of the plan, plus
    ``support[l]`` for each support level the case holds, plus
    ``retry_bonus`` per earlier failed attempt, kept within
    [``floor``, ``ceiling``].
    """

    base: float = 0.75
    retry_bonus: float = 0.05
    floor: float = 0.05
    ceiling: float = 0.98
    aspects: Mapping[str, float] = attrs.field(factory=dict, converter=_frozen)
    support: Mapping[str, float] = attrs.field(factory=dict, converter=_frozen)


@attrs.frozen
class Relapse:
    """Relapse within the follow-up period (跟踪问效期内反弹)."""

    probability: float = 0.10
    lookback_days: int = 90


@attrs.frozen
class Drift:
    """Year-on-year score drift, mean-reverting.

    ``next = anchor + (1 - reversion) * (score - anchor) + N(0, sd)``, plus
    ``delisted_gain`` (at least ``delisted_floor``) for an organization
    delisted without relapse, minus ``relapse_penalty`` after a relapse,
    rounded to ``resolution`` and kept in [0, 100].
    """

    anchor: str = "kind_mean"
    reversion: float = 0.33
    sd: float = 5.0
    delisted_gain: float = 4.0
    delisted_floor: float = 0.0
    relapse_penalty: float = 3.0
    resolution: float = 0.5
    carry_facts: bool = False


@attrs.frozen
class PlanModel:
    """What the simulated plans name: the ``problems`` weakest aspects, or ``fallback_aspect``."""

    problems: int = 2
    fallback_aspect: str = "rules_not_kept"


@attrs.frozen
class OutcomeModel:
    """A validated outcome model; build one with `load_outcome_model` or `from_dict`."""

    meta: ModelMeta
    verification: VerificationModel = attrs.field(factory=VerificationModel)
    relapse: Relapse = attrs.field(factory=Relapse)
    drift: Drift = attrs.field(factory=Drift)
    plan: PlanModel = attrs.field(factory=PlanModel)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "data") -> OutcomeModel:
        """Build a model from plain data (TOML tables); raise every problem at once."""
        problems: list[Problem] = []
        model = _structure(data, problems)
        if model is not None:
            problems += model.validate()
        if problems or model is None:
            raise OutcomeModelError(f"invalid outcome model ({source})", problems)
        return model

    def to_dict(self) -> dict[str, Any]:
        """The model as plain data (the TOML tables), complete."""
        return attrs.asdict(self, value_serializer=lambda _i, _a, v: (
            dict(v) if isinstance(v, Mapping) else v))

    def fingerprint(self) -> str:
        """A SHA-256 hash of the canonical content; equal models share it."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False,
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def evolve(self, overlay: Mapping[str, Any], *, source: str = "overlay") -> OutcomeModel:
        """A new model with ``overlay`` merged in, table by table.

        >>> default_outcome_model().evolve({"relapse": {"probability": 0.0}}).relapse.probability
        0.0
        """
        return OutcomeModel.from_dict(_merge(self.to_dict(), overlay), source=source)

    def validate(self) -> list[Problem]:
        """Every inconsistency in the settings (ranges and bounds); empty when usable."""
        problems: list[Problem] = []
        v = self.verification
        for key in ("base", "floor", "ceiling"):
            problems += _unit(f"verification.{key}", getattr(v, key))
        if not -1 <= v.retry_bonus <= 1:
            problems.append(Problem("verification.retry_bonus", "a number in [-1, 1]",
                                    v.retry_bonus))
        if v.floor > v.ceiling:
            problems.append(Problem("verification.floor", f"at most the ceiling ({v.ceiling:g})",
                                    v.floor, "lower the floor or raise the ceiling"))
        for table in ("aspects", "support"):
            for key, value in getattr(v, table).items():
                if not -1 <= value <= 1:
                    problems.append(Problem(f"verification.{table}.{key}",
                                            "an adjustment in [-1, 1]", value))
        problems += _unit("relapse.probability", self.relapse.probability)
        if self.relapse.lookback_days < 1:
            problems.append(Problem("relapse.lookback_days", "a whole number of days ≥ 1",
                                    self.relapse.lookback_days))
        d = self.drift
        if d.anchor not in ANCHORS:
            problems.append(Problem("drift.anchor", f"one of {', '.join(ANCHORS)}", d.anchor))
        problems += _unit("drift.reversion", d.reversion)
        for key, low, high in (("sd", 0, 50), ("delisted_gain", -100, 100),
                               ("delisted_floor", 0, 100), ("relapse_penalty", -100, 100)):
            value = getattr(d, key)
            if not low <= value <= high:
                problems.append(Problem(f"drift.{key}", f"a number in [{low}, {high}]", value))
        if not 0 < d.resolution <= 10:
            problems.append(Problem("drift.resolution", "a step in (0, 10] points",
                                    d.resolution, "0.5 rounds to half points"))
        if not 1 <= self.plan.problems <= 20:
            problems.append(Problem("plan.problems", "a whole number in [1, 20]",
                                    self.plan.problems))
        if not self.meta.name.strip():
            problems.append(Problem("meta.name", "a non-empty name", self.meta.name))
        return problems

    def check(self, policy: Policy) -> list[Problem]:
        """Problems of using this model with ``policy``: aspects and levels it does not know."""
        problems = [Problem(f"verification.aspects.{a}",
                            f"an aspect of policy {policy.meta.name} "
                            f"({', '.join(policy.aspects)})", a,
                            "remove the key or use a policy declaring the aspect")
                    for a in self.verification.aspects if a not in policy.aspects]
        problems += [Problem(f"verification.support.{s}",
                             f"a support level of policy {policy.meta.name} "
                             f"({', '.join(policy.support.levels)})", s,
                             "remove the key or use a policy declaring the level")
                     for s in self.verification.support if s not in policy.support.levels]
        if self.plan.fallback_aspect not in policy.aspects:
            problems.append(Problem("plan.fallback_aspect", f"an aspect of policy "
                                    f"{policy.meta.name} ({', '.join(policy.aspects)})",
                                    self.plan.fallback_aspect, "name one of the policy's aspects"))
        follow_up_days = policy.plan.follow_up_months * 30
        if self.relapse.probability > 0 and self.relapse.lookback_days > follow_up_days:
            problems.append(Problem("relapse.lookback_days",
                                    f"at most the policy's follow-up period "
                                    f"({policy.plan.follow_up_months} months ≈ "
                                    f"{follow_up_days} days)", self.relapse.lookback_days,
                                    "look back within the follow-up period, or set "
                                    "relapse.probability = 0"))
        return problems

    def require(self, policy: Policy) -> None:
        """Raise `OutcomeModelError` with every problem of `check`."""
        problems = self.check(policy)
        if problems:
            raise OutcomeModelError(f"outcome model {self.meta.name} does not fit policy "
                                    f"{policy.meta.name}", problems)

    def pass_probability(self, aspects: Iterable[str], levels: Iterable[str],
                         failures: int) -> float:
        """The chance that a verification passes, for a case with these problems and support."""
        v = self.verification
        p = v.base + failures * v.retry_bonus
        p += sum(v.aspects.get(a, 0.0) for a in aspects)
        p += sum(v.support.get(level, 0.0) for level in levels)
        return min(v.ceiling, max(v.floor, p))


def default_outcome_model() -> OutcomeModel:
    """The model shipped with rectify (``outcome-default.toml``)."""
    text = resources.files("rectify.simulate").joinpath(_DEFAULT).read_text("utf-8")
    return OutcomeModel.from_dict(tomllib.loads(text), source="the default outcome model")


def load_outcome_model(path: str | Path | None = None) -> OutcomeModel:
    """The default model (``None`` or ``"default"``), or one read from a TOML file.

    A file states only what differs from the defaults: its tables are merged
    over the default model.  Raises `OutcomeModelError` for a file that
    cannot be read or parsed and for every invalid setting.
    """
    if path is None or str(path) == "default":
        return default_outcome_model()
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OutcomeModelError(f"cannot read outcome model {file}", [Problem(
            str(file), "a readable UTF-8 TOML file", str(exc),
            "check the path, or omit --model to use the default model")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OutcomeModelError(f"{file} is not valid TOML", [Problem(
            str(file), "valid TOML", str(exc), "fix the syntax at the position shown")]) from None
    return default_outcome_model().evolve(data, source=str(file))


# -- structuring -----------------------------------------------------------------------------

_Check = Callable[[Any], bool]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _flag(value: Any) -> bool:
    return isinstance(value, bool)


def _numbers(value: Any) -> bool:
    return isinstance(value, Mapping) and all(isinstance(k, str) for k in value)


_TABLES: dict[str, tuple[type[Any], dict[str, tuple[_Check, str]]]] = {
    "meta": (ModelMeta, {"name": (_text, "text"), "description": (_text, "text"),
                         "source": (_text, "text")}),
    "verification": (VerificationModel, {
        "base": (_number, "a number"), "retry_bonus": (_number, "a number"),
        "floor": (_number, "a number"), "ceiling": (_number, "a number"),
        "aspects": (_numbers, "a table of numbers by aspect"),
        "support": (_numbers, "a table of numbers by support level")}),
    "relapse": (Relapse, {"probability": (_number, "a number"),
                          "lookback_days": (_whole, "a whole number")}),
    "drift": (Drift, {"anchor": (_text, "text"), "reversion": (_number, "a number"),
                      "sd": (_number, "a number"), "delisted_gain": (_number, "a number"),
                      "delisted_floor": (_number, "a number"),
                      "relapse_penalty": (_number, "a number"),
                      "resolution": (_number, "a number"),
                      "carry_facts": (_flag, "true or false")}),
    "plan": (PlanModel, {"problems": (_whole, "a whole number"),
                         "fallback_aspect": (_text, "text")}),
}


def _structure(data: Mapping[str, Any], problems: list[Problem]) -> OutcomeModel | None:
    built: dict[str, Any] = {}
    for key in data:
        if key not in _TABLES:
            problems.append(Problem(key, f"a table among {', '.join(_TABLES)}", key,
                                    "remove it or correct its name"))
    if "meta" not in data:
        problems.append(Problem("meta.name", "a [meta] table with a name", None,
                                "add [meta] name = \"...\""))
    for table, (cls, fields) in _TABLES.items():
        raw = data.get(table, {})
        if not isinstance(raw, Mapping):
            problems.append(Problem(table, "a table", raw))
            continue
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in fields:
                problems.append(Problem(f"{table}.{key}", f"a key among {', '.join(fields)}",
                                        key, "remove it or correct its name"))
                continue
            check, expected = fields[key]
            if not check(value):
                problems.append(Problem(f"{table}.{key}", expected, value))
                continue
            values[key] = _convert(table, key, value, expected, problems)
        if table == "meta" and "name" not in values and "meta" in data:
            problems.append(Problem("meta.name", "a non-empty name", None))
            values["name"] = ""
        built[table] = cls(**values) if table != "meta" or "name" in values else None
    if built.get("meta") is None:
        return None
    return OutcomeModel(**built)


def _convert(table: str, key: str, value: Any, expected: str,
             problems: list[Problem]) -> Any:
    """A checked value in its model type: numbers as floats, tables of numbers as dicts."""
    if isinstance(value, Mapping):
        bad = [k for k, v in value.items() if not _number(v)]
        problems += [Problem(f"{table}.{key}.{k}", "a number", value[k]) for k in bad]
        return {k: float(v) for k, v in value.items() if k not in bad}
    if expected == "a number":
        return float(value)
    return value


def _merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _unit(location: str, value: float) -> list[Problem]:
    if not 0 <= value <= 1:
        return [Problem(location, "a probability in [0, 1]", value)]
    return []
