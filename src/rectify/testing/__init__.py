"""Tools for testing rectify policies and code that embeds rectify.

Importing `rectify` never imports this package.  The kit:

- `rectify.testing.strategies`: hypothesis strategies for the domain
  (also registered for ``st.from_type`` through hypothesis' entry point);
- `rectify.testing.machine`: the stateful `CampaignMachine` (`machine_for()`);
- `rectify.testing.invariants`: the catalogue of named invariants, judging the
  examples of `rectify.testing.examples` as `rectify.testing.driver` runs them;
- `rectify.testing.county`: the kit's small county and its people;
- `rectify.testing.ledger_rules`: `check_ledger()`, the rules every ledger keeps;
- `check_policy()` (`rectify.testing.check`) and `replay()`
  (`rectify.testing.replay`);
- `rectify.testing.reference`: a naive reference model;
- `rectify.testing.pytest_plugin`: ``rectify_`` fixtures, enabled explicitly.

Only `strategies`, `machine` and `check` need the ``testing`` extra
(hypothesis); the rest, and so the replay of a saved counterexample, work
without it.  The names below are imported lazily, so ``import rectify.testing``
stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "CATALOGUE",
    "CampaignExample",
    "CampaignMachine",
    "CampaignRun",
    "Counterexample",
    "IdentificationExample",
    "Invariant",
    "InvariantResult",
    "LedgerFacts",
    "PolicyReport",
    "campaign_forest",
    "campaign_people",
    "check_ledger",
    "check_policy",
    "machine_for",
    "register",
    "replay",
    "run_campaign",
]

_WHERE = {
    "CATALOGUE": "invariants", "Invariant": "invariants", "register": "invariants",
    "CampaignMachine": "machine", "machine_for": "machine",
    "check_ledger": "ledger_rules", "LedgerFacts": "ledger_rules",
    "campaign_forest": "county", "campaign_people": "county",
    "CampaignExample": "examples", "IdentificationExample": "examples",
    "run_campaign": "driver", "CampaignRun": "driver",
    "Counterexample": "check", "InvariantResult": "check", "PolicyReport": "check",
    "check_policy": "check", "replay": "replay",
}


def __getattr__(name: str) -> Any:
    """Import the public names of the kit on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'rectify.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"rectify.testing.{module}"), name)
