"""The ``hypothesis`` entry point: register rectify's strategies for ``st.from_type``.

Hypothesis calls `_register()` when it is imported, if rectify is
installed (``[project.entry-points.hypothesis]`` in pyproject.toml).  Then
``st.from_type(Policy)``, ``Population``, ``Organization``, ``Assessment``,
``Person`` and ``Plan`` draw valid values.  Importing `rectify` itself
never imports hypothesis.
"""

from __future__ import annotations


def _register() -> None:
    """Register rectify's domain types with hypothesis' ``st.register_type_strategy``."""
    import importlib
    from datetime import date
    from typing import Any

    from hypothesis import strategies as st

    from rectify.forest import Population
    from rectify.lifecycle.case import Plan
    from rectify.model import Assessment, Organization, Person
    from rectify.policy import Policy, load_policy

    # Hypothesis may run this hook while rectify.testing.strategies is itself importing
    # hypothesis; the module is therefore looked up only when a strategy is drawn.
    def rs() -> Any:
        return importlib.import_module("rectify.testing.strategies")

    st.register_type_strategy(Policy, st.deferred(lambda: rs().policies()))
    st.register_type_strategy(Population, st.deferred(lambda: rs().populations()))
    st.register_type_strategy(Organization, st.deferred(
        lambda: rs().populations().flatmap(lambda p: st.sampled_from(p.organizations))))
    st.register_type_strategy(Assessment, st.deferred(
        lambda: rs().populations(max_size=5).flatmap(rs().assessments_for).flatmap(
            st.sampled_from)))
    st.register_type_strategy(Person, st.deferred(lambda: rs().people()))
    st.register_type_strategy(Plan, st.deferred(
        lambda: rs().plans(load_policy(), date(2017, 3, 1))))
