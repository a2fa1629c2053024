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
    from datetime import date

    from hypothesis import strategies as st

    from rectify.forest import Population
    from rectify.lifecycle.case import Plan
    from rectify.model import Assessment, Organization, Person
    from rectify.policy import Policy, load_policy
    from rectify.testing import strategies as rs

    st.register_type_strategy(Policy, st.deferred(rs.policies))
    st.register_type_strategy(Population, st.deferred(rs.populations))
    st.register_type_strategy(Organization, st.deferred(
        lambda: rs.populations().flatmap(lambda p: st.sampled_from(p.organizations))))
    st.register_type_strategy(Assessment, st.deferred(
        lambda: rs.populations(max_size=5).flatmap(rs.assessments_for).flatmap(
            st.sampled_from)))
    st.register_type_strategy(Person, st.deferred(rs.people))
    st.register_type_strategy(Plan, st.deferred(
        lambda: rs.plans(load_policy(), date(2017, 3, 1))))
