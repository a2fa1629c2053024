"""Replay a saved counterexample (or every counterexample of a saved report).

``rectify check-policy --json`` writes a report whose violated invariants
carry their counterexample, policy included; `replay()` runs each one
again and returns the messages the invariant gives now.  Needs no
hypothesis: the counterexample is plain data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from rectify.policy import Policy
from rectify.testing.invariants import CampaignExample, IdentificationExample, get, run_campaign

__all__ = ["Replayed", "load_counterexamples", "replay", "replay_one"]


@attrs.frozen
class Replayed:
    """One counterexample run again: ``messages`` is empty when the invariant now holds."""

    invariant: str
    policy_name: str
    messages: tuple[str, ...]
    example: IdentificationExample | CampaignExample

    @property
    def reproduced(self) -> bool:
        """Whether the invariant is still violated on the example."""
        return bool(self.messages)

    def render(self) -> str:
        """A readable account: the invariant, its messages and the example."""
        head = (f"{self.invariant} VIOLATED under {self.policy_name}" if self.reproduced
                else f"{self.invariant} holds under {self.policy_name} on this example")
        lines = [head, *(f"  - {m}" for m in self.messages)]
        lines.append("  counterexample: " + self.example.render().replace("\n", "\n    "))
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"invariant": self.invariant, "policy_name": self.policy_name,
                "reproduced": self.reproduced, "messages": list(self.messages),
                "example": self.example.to_json()}


def load_counterexamples(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The counterexamples in ``data``: a single counterexample or a whole report."""
    if data.get("kind") == "rectify-policy-report" or "invariants" in data:
        return [r["counterexample"] for r in data["invariants"] if r.get("counterexample")]
    if "invariant" in data and "example" in data:
        return [dict(data)]
    raise ValueError("not a rectify counterexample or policy report: expected the keys "
                     "'invariant' and 'example', or 'invariants'")


def replay_one(data: Mapping[str, Any]) -> Replayed:
    """Run one counterexample (as `Counterexample.to_json()` wrote it) again."""
    invariant = get(data["invariant"])
    policy = Policy.from_dict(data["policy"], source="counterexample")
    example: IdentificationExample | CampaignExample
    if invariant.scope == "identification":
        example = IdentificationExample.from_json(data["example"])
        messages = invariant.check(policy, example)
    else:
        example = CampaignExample.from_json(data["example"])
        messages = invariant.check(policy, run_campaign(policy, example))
    return Replayed(invariant.name, policy.meta.name, tuple(messages), example)


def replay(source: str | Path | Mapping[str, Any]) -> list[Replayed]:
    """Replay every counterexample in ``source`` (a JSON file path or the parsed data)."""
    data: Mapping[str, Any] = (source if isinstance(source, Mapping)
                               else json.loads(Path(source).read_text("utf-8")))
    return [replay_one(c) for c in load_counterexamples(data)]
