"""``check_policy``: run the invariant catalogue against a policy, with counterexamples.

For each selected invariant hypothesis generates examples — small
populations with assessments (scope ``identification``) or multi-year
campaigns with a command sequence (scopes ``campaign`` and ``ledger``) — and
checks it.  A violated invariant is reported with its shrunk counterexample
(the minimal failing example hypothesis ends with), printable
(`Counterexample.render()`) and as JSON (`Counterexample.to_json()`)
that `rectify.testing.replay.replay()` and ``rectify replay`` run again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st

from rectify.model import Assessment, Organization
from rectify.policy import Policy
from rectify.testing.invariants import (
    ACTIONS,
    CampaignExample,
    IdentificationExample,
    Invariant,
    Step,
    run_campaign,
    select,
)
from rectify.testing.strategies import assessments_for, populations

__all__ = [
    "Counterexample",
    "InvariantResult",
    "PolicyReport",
    "campaign_examples",
    "check_policy",
    "evaluate",
    "identification_examples",
]

#: Scores of campaign examples: the first ones list an organization (grade D), so
#: shrinking towards the start of the list keeps organizations listed.
_CAMPAIGN_SCORES = (0.0, 100.0, 59.5, 60.0, 70.0, 80.0, 90.0)


def _facts(policy: Policy) -> tuple[str, ...]:
    return tuple(sorted({c.fact for c in policy.identification.direct
                         if c.fact and c.fact != "total"}))


@st.composite
def identification_examples(draw: st.DrawFn, policy: Policy, *, max_size: int = 12,
                            year: int = 2017) -> IdentificationExample:
    """Populations of the policy's kinds with one assessment each (ties and boundaries)."""
    population = draw(populations(kinds=tuple(policy.kinds), max_size=max_size))
    rows = draw(assessments_for(population, year, facts=_facts(policy)))
    return IdentificationExample(population.organizations, tuple(rows), year)


def _campaign_forest(policy: Policy) -> list[Organization]:
    from rectify.testing.machine import campaign_forest

    kinds = list(policy.kinds)
    result: list[Organization] = []
    for o in campaign_forest():
        kind = o.kind if o.kind in policy.kinds else kinds[len(result) % len(kinds)]
        result.append(attrs.evolve(o, kind=kind))
    return result


@st.composite
def campaign_examples(draw: st.DrawFn, policy: Policy, *, max_years: int = 3,
                      max_steps: int = 6, first_year: int = 2017) -> CampaignExample:
    """Campaigns over a part of the machine's forest: 1–``max_years`` years and some steps.

    The organizations are a parent-closed subset of
    `campaign_forest()` (kinds the policy lacks
    are replaced by its own); scores come from a short list that starts
    with a listing score, so counterexamples shrink to listed organizations.
    """
    forest = _campaign_forest(policy)
    by_code = {o.code: o for o in forest}
    chosen = draw(st.lists(st.sampled_from([o.code for o in forest]), min_size=1, max_size=6,
                           unique=True), label="organizations")
    wanted = set(chosen)
    for code in chosen:
        parent = by_code[code].parent
        while parent is not None:
            wanted.add(parent)
            parent = by_code[parent].parent
    orgs = tuple(o for o in forest if o.code in wanted)
    n_years = draw(st.integers(1, max_years), label="years")
    years = tuple(range(first_year, first_year + n_years))
    rows = tuple(Assessment(o.code, y, draw(st.sampled_from(_CAMPAIGN_SCORES),
                                            label=f"score {o.code} {y}"))
                 for y in years for o in orgs)
    steps = draw(st.lists(st.builds(Step, st.sampled_from(years),
                                    st.sampled_from([o.code for o in orgs]),
                                    st.sampled_from(ACTIONS)), max_size=max_steps),
                 label="steps")
    return CampaignExample(orgs, rows, years, tuple(steps))


def evaluate(invariant: Invariant, policy: Policy,
             example: IdentificationExample | CampaignExample) -> list[str]:
    """The violation messages of ``invariant`` on ``example`` under ``policy``.

    A campaign example is run first (`run_campaign()`).
    An exception raised while checking is reported as a violation.
    """
    try:
        if invariant.scope == "identification":
            return list(invariant.check(policy, example))
        assert isinstance(example, CampaignExample)
        return list(invariant.check(policy, run_campaign(policy, example)))
    except Exception as exc:  # a crash under this policy is a finding, not a bug of the kit
        first = str(exc).splitlines()[0] if str(exc) else ""
        return [f"{type(exc).__name__} while checking: {first}"]


@attrs.frozen
class Counterexample:
    """A minimal example on which an invariant fails, with the messages it gave."""

    invariant: str
    scope: str
    messages: tuple[str, ...]
    example: IdentificationExample | CampaignExample
    policy: Policy

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data, replayable with ``rectify replay`` (the policy included)."""
        return {"kind": "rectify-counterexample", "invariant": self.invariant,
                "scope": self.scope, "messages": list(self.messages),
                "policy_name": self.policy.meta.name,
                "policy_fingerprint": self.policy.fingerprint(),
                "policy": self.policy.to_dict(), "example": self.example.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Counterexample:
        """Read what `to_json()` wrote."""
        example: IdentificationExample | CampaignExample
        if data["scope"] == "identification":
            example = IdentificationExample.from_json(data["example"])
        else:
            example = CampaignExample.from_json(data["example"])
        policy = Policy.from_dict(data["policy"], source="counterexample")
        return cls(data["invariant"], data["scope"], tuple(data.get("messages", ())),
                   example, policy)

    def render(self) -> str:
        """The messages and the example, readably."""
        lines = [f"  - {m}" for m in self.messages]
        lines.append("  counterexample: " + self.example.render().replace("\n", "\n    "))
        return "\n".join(lines)


@attrs.frozen
class InvariantResult:
    """One invariant's outcome: held, or violated with its counterexample."""

    name: str
    scope: str
    description: str
    zh: str
    counterexample: Counterexample | None = None
    not_applicable: str | None = None

    @property
    def held(self) -> bool:
        """Whether no example violated the invariant (true of one the policy sets aside)."""
        return self.counterexample is None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"name": self.name, "scope": self.scope, "description": self.description,
                "zh": self.zh, "held": self.held, "not_applicable": self.not_applicable,
                "counterexample": None if self.counterexample is None
                else self.counterexample.to_json()}


@attrs.frozen
class PolicyReport:
    """What `check_policy()` found, per invariant."""

    policy: Policy
    results: tuple[InvariantResult, ...]
    max_examples: int
    seed: int | None = None

    @property
    def ok(self) -> bool:
        """Whether every invariant held."""
        return all(r.held for r in self.results)

    @property
    def violated(self) -> list[InvariantResult]:
        """The results of the violated invariants."""
        return [r for r in self.results if not r.held]

    def __getitem__(self, name: str) -> InvariantResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data: the policy, the settings and every result."""
        return {"kind": "rectify-policy-report", "policy_name": self.policy.meta.name,
                "policy_fingerprint": self.policy.fingerprint(),
                "max_examples": self.max_examples, "seed": self.seed, "ok": self.ok,
                "invariants": [r.to_json() for r in self.results]}

    def dumps(self) -> str:
        """The report as indented UTF-8 JSON."""
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)

    def render(self) -> str:
        """A readable report: one line per invariant, counterexamples under the violated."""
        held = sum(r.held for r in self.results)
        lines = [f"policy {self.policy.meta.name} ({self.policy.fingerprint()[:12]}): "
                 f"{held} of {len(self.results)} invariants held"]
        for r in self.results:
            if r.not_applicable is not None:
                lines.append(f"{'n/a':>8}  {r.name}: not applicable to this policy: "
                             f"{r.not_applicable}")
                continue
            lines.append(f"{'held' if r.held else 'VIOLATED':>8}  {r.name}: {r.description}")
            if r.counterexample is not None:
                lines.append(r.counterexample.render())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


class _Violation(Exception):
    """Raised inside the hypothesis test when an invariant fails (never escapes)."""


def _settings(max_examples: int) -> settings:
    return settings(max_examples=max(1, max_examples), deadline=None, database=None,
                    derandomize=False, verbosity=Verbosity.quiet, report_multiple_bugs=False,
                    phases=(Phase.explicit, Phase.generate, Phase.shrink),
                    suppress_health_check=list(HealthCheck), stateful_step_count=10)


def _check_one(invariant: Invariant, policy: Policy, max_examples: int,
               seed_value: int | None) -> InvariantResult:
    strategy: st.SearchStrategy[IdentificationExample] | st.SearchStrategy[CampaignExample]
    if invariant.scope == "identification":
        strategy = identification_examples(policy)
    else:
        strategy = campaign_examples(policy)
    failing: list[tuple[Any, list[str]]] = []

    @_settings(max_examples)
    @given(strategy)
    def test(example: Any) -> None:
        messages = evaluate(invariant, policy, example)
        if messages:
            failing.append((example, messages))
            raise _Violation(invariant.name)

    if seed_value is not None:
        test = seed(seed_value)(test)
    counterexample = None
    try:
        test()
    except _Violation:
        example, messages = failing[-1]  # hypothesis runs the shrunk example last
        counterexample = Counterexample(invariant.name, invariant.scope, tuple(messages),
                                        example, policy)
    return InvariantResult(invariant.name, invariant.scope, invariant.description,
                           invariant.zh, counterexample)


def check_policy(policy: Policy, invariants: Iterable[str | Invariant] | None = None,
                 max_examples: int = 100, seed: int | None = None) -> PolicyReport:
    """Check ``policy`` against ``invariants`` (names or `Invariant`; all by default).

    Each invariant gets up to ``max_examples`` generated examples; ``seed``
    makes the run reproducible.  Returns a `PolicyReport`; a violated
    invariant carries its shrunk `Counterexample`.  An invariant the policy
    declares not applicable (``[invariants.not_applicable]``, with the reason)
    is not checked: its result carries the reason.
    """
    chosen: Sequence[Invariant] = select(invariants)
    aside = policy.invariants.not_applicable
    results = tuple(
        InvariantResult(inv.name, inv.scope, inv.description, inv.zh,
                        not_applicable=aside[inv.name]) if inv.name in aside
        else _check_one(inv, policy, max_examples, seed) for inv in chosen)
    return PolicyReport(policy, results, max_examples, seed)
