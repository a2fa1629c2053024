"""The NumPy core of identification gives exactly the pure-Python path's results."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rectify import Assessment, IdentificationError, Population, load_policy
from rectify.identify import AssessmentColumns, Identification, _identify
from rectify.policy import Policy
from rectify.testing.strategies import assessments_for, policies, populations

pytest.importorskip("numpy")

#: Each example identifies a generated county twice: the ci profile's examples are capped
#: at 100 per test (hypothesis draws a new seed every run); quick runs keep theirs.
COSTLY = settings(max_examples=min(settings().max_examples, 100))


FACTS = ("secretary_vacant_months", "years_without_candidate", "mass_incidents")
KINDS = ("village", "community", "state_enterprise", "non_public", "agency", "institution")


@st.composite
def direct_criteria(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Zero to three direct criteria: on grades, on facts or on the total, some kind-limited."""
    found: list[dict[str, Any]] = []
    for n in range(draw(st.integers(min_value=0, max_value=3))):
        crit: dict[str, Any] = {"id": f"crit_{n}", "zh": f"标准{n}", "en": f"criterion {n}"}
        if draw(st.booleans()):
            crit["grades"] = draw(st.lists(st.sampled_from("ABCD"), min_size=1, max_size=2,
                                           unique=True))
        else:
            crit["fact"] = draw(st.sampled_from((*FACTS, "total")))
            crit["op"] = draw(st.sampled_from(("<", "<=", ">", ">=", "==")))
            crit["threshold"] = float(draw(st.sampled_from((0, 3, 12, 24, 59.5, 60, 80))))
        if draw(st.booleans()):
            crit["kinds"] = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=3,
                                          unique=True))
        found.append(crit)
    return found


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Policy, Population, list[Assessment]]:
    """A policy (preset variations, drawn direct criteria), a population and its assessments."""
    policy = draw(policies(draw(st.sampled_from(("northern-county", "national-practice")))))
    if draw(st.booleans()):
        policy = policy.evolve({"identification": {"direct": draw(direct_criteria())}})
    # Few kinds make larger groups, so quotas, ties and near misses all come up.
    kinds = draw(st.sampled_from((KINDS, KINDS[:2], KINDS[:1])))
    population = draw(populations(kinds=kinds, max_size=80))
    rows = draw(assessments_for(population, 2017, facts=FACTS, with_grades=draw(st.booleans())))
    return policy, population, rows


def assert_same(python: Identification, arrays: Identification) -> None:
    """Every decision, summary and listing of the two results is equal."""
    assert list(arrays) == list(python)
    assert arrays.kinds == python.kinds
    assert arrays.listed() == python.listed()
    assert arrays.near_misses() == python.near_misses()
    assert arrays.listed_codes == python.listed_codes
    assert arrays.listed() == [d for d in arrays if d.listed]  # batch and one-by-one agree
    for d in python:
        assert arrays.decision(d.org) == d
        assert arrays.decision(d.org).explain("zh") == d.explain("zh")


@COSTLY
@given(scenarios())
def test_arrays_equal_python_on_records(case: tuple[Policy, Population, list[Assessment]]) -> None:
    """From assessment records, both paths decide every organization alike."""
    policy, population, rows = case
    assert_same(_identify(population, rows, policy, 2017, "python"),
                _identify(population, rows, policy, 2017, "arrays"))


@COSTLY
@given(scenarios())
def test_arrays_equal_python_on_columns(case: tuple[Policy, Population, list[Assessment]]) -> None:
    """From columns, both paths decide alike, and alike with the records."""
    policy, population, rows = case
    columns = AssessmentColumns.of(population, rows, 2017)
    python = _identify(population, columns, policy, 2017, "python")
    assert_same(python, _identify(population, columns, policy, 2017, "arrays"))
    assert_same(python, _identify(population, rows, policy, 2017, "arrays"))


@COSTLY
@given(scenarios(), st.sampled_from(("nan", "high", "short", "year", "facts")))
def test_bad_columns_raise_the_same_error(
    case: tuple[Policy, Population, list[Assessment]], flaw: str,
) -> None:
    """Columns the checks refuse raise the same `IdentificationError` on both paths."""
    policy, population, rows = case
    good = AssessmentColumns.of(population, rows, 2017)
    totals = list(good.totals)
    facts = dict(good.facts)
    year = 2017
    if flaw == "nan":
        totals[-1] = float("nan")
    elif flaw == "high":
        totals[0] = 100.5
    elif flaw == "short":
        totals = totals[:-1]
    elif flaw == "year":
        year = 2016
    else:
        facts["mass_incidents"] = [None] * (len(totals) + 1)
    bad = AssessmentColumns(year, totals, good.grades, facts)
    errors = []
    for engine in ("python", "arrays"):
        with pytest.raises(IdentificationError) as caught:
            _identify(population, bad, policy, 2017, engine)
        errors.append((str(caught.value), repr(caught.value.problems)))  # NaN != NaN
    assert errors[0] == errors[1]


def test_numpy_arrays_as_columns() -> None:
    """Totals and facts given as NumPy arrays decide as the same values in lists."""
    import numpy as np

    from rectify.sample import sample_assessments, sample_population

    population, rows = sample_population(), sample_assessments()
    policy = load_policy("national-practice")
    lists = AssessmentColumns.of(population, rows, 2017)
    arrays = AssessmentColumns(2017, np.asarray(lists.totals), lists.grades,
                               {k: np.asarray(v, dtype=float) for k, v in lists.facts.items()})
    assert_same(_identify(population, lists, policy, 2017, "python"),
                _identify(population, arrays, policy, 2017, "arrays"))
    # Grades as an array of objects too (an analyst's column straight from a frame).
    assert lists.grades is not None
    graded = AssessmentColumns(2017, np.asarray(lists.totals),
                               np.asarray(list(lists.grades), dtype=object), arrays.facts)
    for engine in ("python", "arrays"):
        assert_same(_identify(population, lists, policy, 2017, "python"),
                    _identify(population, graded, policy, 2017, engine))


def test_without_numpy_the_python_path_runs() -> None:
    """With NumPy absent, `identify` of a large population still works (pure Python)."""
    code = textwrap.dedent("""
        import importlib.abc, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "numpy":
                    raise ImportError("numpy blocked for this test")
        sys.meta_path.insert(0, Block())
        from rectify import Assessment, Organization, Population, Tier, load_policy
        from rectify.identify import ARRAY_MIN_SIZE, identify
        n = ARRAY_MIN_SIZE + 10
        pop = Population([Organization(f"O{i:06d}", f"第{i}党组织", "village", Tier.DIRECT)
                          for i in range(n)])
        rows = [Assessment(f"O{i:06d}", 2017, 50 + i % 50) for i in range(n)]
        result = identify(pop, rows, load_policy(), 2017)
        assert "numpy" not in sys.modules
        print(len(result.listed()))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    # 15% of 5,010 villages rounded up (752), plus ties at the cut-off score of 57.
    assert int(result.stdout) >= 752


@COSTLY
@given(scenarios())
def test_population_columns_match_the_python_reading(
    case: tuple[Policy, Population, list[Assessment]],
) -> None:
    """Kind codes, grouping and the organizations outside their unit match `_unranked`."""
    from rectify._identify_arrays import PopulationColumns
    from rectify.identify import _unranked
    from rectify.policy import RankedUnit

    policy, population, _ = case
    cols = PopulationColumns(population)
    orgs = population.organizations
    assert cols.kinds == list(dict.fromkeys(o.kind for o in orgs))
    assert [cols.kinds[c] for c in cols.kind_code.tolist()] == [o.kind for o in orgs]
    grouped = cols.grouped.tolist()
    for n, kind in enumerate(cols.kinds):
        members = grouped[cols.bounds[n]:cols.bounds[n + 1]]
        assert members == [i for i, o in enumerate(orgs) if o.kind == kind]  # code order
    top = frozenset(k for k, u in policy.identification.ranked.items() if u is RankedUnit.TOP)
    assert set(cols.unranked(population, top).tolist()) == _unranked(population, policy)
    assert cols.unranked(population, top) is cols.unranked(population, top)  # kept


def test_population_columns_follow_the_population() -> None:
    """Columns are kept for the last population only, and never reused for another."""
    from rectify._identify_arrays import population_columns
    from rectify.model import Organization, Tier

    first = Population([Organization(f"O{i}", f"第{i}党组织", "village", Tier.DIRECT)
                        for i in range(3)])
    second = Population([Organization(f"O{i}", f"第{i}党组织", "agency", Tier.DIRECT)
                         for i in range(3)])
    cols = population_columns(first)
    assert population_columns(first) is cols
    assert population_columns(second).kinds == ["agency"]
    assert population_columns(first) is not cols
    assert population_columns(first).kinds == ["village"]


@COSTLY
@given(scenarios())
def test_shared_reasons_render_like_fresh_ones(
    case: tuple[Policy, Population, list[Assessment]],
) -> None:
    """A decision built in a batch (reasons shared) explains itself as one built alone."""
    from rectify.identify import Reason

    policy, population, rows = case
    result = _identify(population, rows, policy, 2017, "arrays")
    for d in result.listed() + result.near_misses():
        for r in d.reasons:
            fresh = Reason(r.rule, r.en, r.zh, dict(r.facts))
            assert (r.render(), r.render("zh")) == (fresh.render(), fresh.render("zh"))
        assert d.explain("zh") == result.decision(d.org).explain("zh")


def test_bulletin_units_of_ranking_match_ranked_indices() -> None:
    """The bulletin's units of ranking, read from the kept columns, are `ranked_indices`'."""
    from rectify.identify import ARRAY_MIN_SIZE, ranked_indices
    from rectify.model import Organization, OrgForm, Tier
    from rectify.reporting.bulletin import _outside_units

    orgs = []
    for n in range(ARRAY_MIN_SIZE // 2 + 1):
        kind = ("village", "community", "agency")[n % 3]
        orgs.append(Organization(f"V{n:05d}", f"第{n}党总支", kind, Tier.DIRECT,
                                 OrgForm.GENERAL_BRANCH))
        orgs.append(Organization(f"V{n:05d}-01", f"第{n}党总支第一支部", kind,
                                 Tier.SECOND_TIER, parent=f"V{n:05d}"))
    population = Population(orgs)
    assert len(population) >= ARRAY_MIN_SIZE
    policy = load_policy("northern-county")
    units = ranked_indices(population, policy)
    outside = _outside_units(population, policy)
    assert outside == [i for i, unit in enumerate(units) if not unit]
    assert len(outside) == 2 * (len(population) // 6) + 2  # the villages' and communities'
    flat = policy.evolve({"identification": {"ranked": {"village": "all", "community": "all"}}})
    assert _outside_units(population, flat) == []


def _same_columns(a: dict[str, Any], b: dict[str, Any]) -> None:
    import numpy as np

    assert list(a) == list(b)
    for name, column in a.items():
        assert len(column) == len(b[name]), name
        if column.dtype.kind == "f":
            assert np.array_equal(column, b[name], equal_nan=True), name
        else:
            assert column.tolist() == b[name].tolist(), name


@COSTLY
@given(scenarios(), st.data())
def test_lazy_decisions_equal_eager_ones(
    case: tuple[Policy, Population, list[Assessment]], data: st.DataObject,
) -> None:
    """`listed()` read in any order, by negative index or slice, equals the eager decisions."""
    from rectify.identify import Decisions

    policy, population, rows = case
    for engine in ("python", "arrays"):
        result = _identify(population, rows, policy, 2017, engine)
        eager = [result.decision(code) for code in result.listed_codes]
        assert eager == [d for d in result if d.listed]
        lazy = result.listed()
        assert isinstance(lazy, Decisions)
        assert len(lazy) == len(eager)
        size = len(eager)
        for k in data.draw(st.permutations(range(size))):  # the cache fills out of order
            assert lazy[k - size] == eager[k]
            assert lazy[k] is lazy[k - size]  # built once, then kept
        for _ in range(3):
            cut = data.draw(st.slices(size))
            assert lazy[cut] == eager[cut]
            assert list(lazy[cut]) == eager[cut]
            assert len(lazy[cut]) == len(eager[cut])
            inner = data.draw(st.slices(len(eager[cut])))
            assert lazy[cut][inner] == eager[cut][inner]
        fresh = result.listed()  # a new sequence, iterated before any index is read
        for built, alone in zip(fresh, eager, strict=True):
            assert built == alone
            assert built.explain() == alone.explain()
            assert built.explain("zh") == alone.explain("zh")
            assert [(r.render(), r.render("zh")) for r in built.reasons] == [
                (r.render(), r.render("zh")) for r in alone.reasons]
        assert lazy == eager
        assert eager == lazy
        assert fresh == lazy
        if size:
            assert lazy != eager[:-1]
            assert lazy != eager[::-1] or eager == eager[::-1]
        assert lazy != [*eager, None]
        assert lazy.codes == result.listed_codes
        near = result.near_misses()
        assert lazy + near == eager + list(near)
        assert eager + near == eager + list(near)
        if size <= 20:
            assert repr(lazy) == repr(eager)
        copied = pickle.loads(pickle.dumps(lazy[::-1]))
        assert type(copied) is list
        assert copied == eager[::-1]
        with pytest.raises(IndexError):
            lazy[size]
        with pytest.raises(IndexError):
            lazy[-size - 1]


@COSTLY
@given(scenarios())
def test_decision_columns_agree(case: tuple[Policy, Population, list[Assessment]]) -> None:
    """The array core's columns equal the pure-Python path's and those read from decisions."""
    from rectify.identify import Decisions, _Batch

    policy, population, rows = case
    python = _identify(population, rows, policy, 2017, "python")
    arrays = _identify(population, rows, policy, 2017, "arrays")
    lazy = arrays.listed()
    columns = lazy.columns()
    assert lazy._batch.cache is None  # no decision was built for the columns
    _same_columns(columns, python.listed().columns())
    # The same organizations as a sequence without kept columns read the decisions.
    codes = set(arrays.listed_codes)
    read = Decisions(_Batch(arrays, [i for i, o in enumerate(population.organizations)
                                     if o.code in codes]))
    _same_columns(columns, read.columns())
    assert columns["org"].tolist() == arrays.listed_codes
    eager = list(lazy)
    assert columns["rank"].tolist() == [d.rank for d in eager]
    assert (columns["score"] - columns["cutoff"]).tolist() == pytest.approx(
        [float("nan") if d.margin is None else d.margin for d in eager], nan_ok=True, abs=1e-6)
    size = len(lazy)
    for cut in (slice(None, None, -1), slice(1, None, 2), slice(-3, None), slice(size, 0, -2)):
        _same_columns(lazy[cut].columns(), python.listed()[cut].columns())
    _same_columns(arrays.near_misses().columns(), python.near_misses().columns())


@COSTLY
@given(scenarios())
def test_tabled_direct_criteria_equal_python(
    case: tuple[Policy, Population, list[Assessment]],
) -> None:
    """With the direct criteria tabled in bulk from the first lookup, results stay the same."""
    import rectify.identify as module

    policy, population, rows = case
    columns = AssessmentColumns.of(population, rows, 2017)
    saved = module._TABLE_AFTER
    module._TABLE_AFTER = 0  # `_Fired` tables every organization's criteria at once
    try:
        assert_same(_identify(population, rows, policy, 2017, "python"),
                    _identify(population, columns, policy, 2017, "arrays"))
    finally:
        module._TABLE_AFTER = saved
