"""Tools for testing rectify policies and code that embeds rectify.

Needs the ``testing`` extra (hypothesis).  Importing `rectify` never
imports this package.  The kit:

- `rectify.testing.strategies`: hypothesis strategies for the domain
  (also registered for ``st.from_type`` through hypothesis' entry point);
- `rectify.testing.machine`: the stateful `CampaignMachine`
  (`machine_for()`) and `check_ledger()`;
- `rectify.testing.invariants`: the catalogue of named invariants;
- `check_policy()` (`rectify.testing.check`) and `replay()`
  (`rectify.testing.replay`);
- `rectify.testing.reference`: a naive reference model;
- `rectify.testing.pytest_plugin`: ``rectify_`` fixtures, enabled explicitly.

The names below are imported lazily, so ``import rectify.testing`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "CATALOGUE",
    "CampaignMachine",
    "Counterexample",
    "Invariant",
    "InvariantResult",
    "PolicyReport",
    "check_ledger",
    "check_policy",
    "machine_for",
    "register",
    "replay",
]

_WHERE = {
    "CATALOGUE": "invariants", "Invariant": "invariants", "register": "invariants",
    "CampaignMachine": "machine", "check_ledger": "machine", "machine_for": "machine",
    "Counterexample": "check", "InvariantResult": "check", "PolicyReport": "check",
    "check_policy": "check", "replay": "replay",
}


def __getattr__(name: str) -> Any:
    """Import the public names of the kit on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'rectify.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"rectify.testing.{module}"), name)
