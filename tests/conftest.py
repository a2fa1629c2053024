"""Shared test configuration: hypothesis profiles.

``quick`` (the default) keeps local runs fast; CI selects ``ci`` with
``HYPOTHESIS_PROFILE=ci`` for more examples.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("quick", max_examples=40, deadline=None)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))
