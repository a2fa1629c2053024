"""Shared test configuration: hypothesis profiles and the slow marker.

``quick`` (the default) keeps local runs fast; CI selects ``ci`` with
``HYPOTHESIS_PROFILE=ci`` for more examples.  Tests marked ``slow`` (end-to-end
runs of several seconds) are skipped unless ``RECTIFY_RUN_SLOW=1``, which
``.ci/run`` sets.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("quick", max_examples=40, deadline=None)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the slow tests unless RECTIFY_RUN_SLOW=1 (CI runs them all)."""
    if os.environ.get("RECTIFY_RUN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow end-to-end test: set RECTIFY_RUN_SLOW=1 to run it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
