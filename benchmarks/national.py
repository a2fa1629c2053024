"""A seeded synthetic population of national shape, for benchmarks.

Shape (end-2024 national figures, domain.md §1), scaled to ``size``:

* 5.25 million organizations: 306k committees (党委), 330k general branches
  (党总支) and 4.614 million branches (党支部).
* Kinds, by organization count (the six default kinds; township, street and
  social-organization bodies are folded into the nearest kind):

  ============  ==========  ======
  kind          count       share
  ============  ==========  ======
  village         489,000    9.3 %
  community       119,000    2.3 %
  state_ent.      650,000   12.4 %
  non_public    1,342,000   25.6 %
  agency        1,150,000   21.9 %
  institution   1,500,000   28.6 %
  ============  ==========  ======

* The forest: every committee is a direct organization; 70 % of general
  branches are direct and 30 % sit under a committee; 22 % of branches are
  direct and the rest are second-tier branches, 60 % of them under a
  committee and 40 % under a general branch (so a tree is at most three
  levels deep: committee → general branch → branch).  Every organization of
  one tree has the tree's kind; kinds are dealt out over the trees in a
  seeded random order so the kind counts above hold to within one tree.
* Codes are hierarchical and fixed-width (``0001234``, ``0001234.0003``,
  ``0001234.0003.0002``) and generated in code order.
* One assessment per organization for ``year``: a total drawn from
  N(80, 9.5) clipped to [0, 100] and rounded to half points (so ties are
  common); about 1.8 % fall below 60 (grade D under the default bands).  The
  grade is left to the policy's bands; aspects and facts are left empty (the
  default policy's criteria only read the grade), and no secretaries are set.

Generation runs with the cyclic GC disabled and attrs validators switched
off (the data is valid by construction); both are restored afterwards.
"""

from __future__ import annotations

import gc
import math
import random
from collections.abc import Iterator
from contextlib import contextmanager

import attrs

from rectify import Assessment, Organization, OrgForm, Population, Tier

__all__ = ["FORMS", "KINDS", "NATIONAL_SIZE", "National", "national"]

NATIONAL_SIZE = 5_250_000

KINDS: dict[str, int] = {
    "village": 489_000,
    "community": 119_000,
    "state_enterprise": 650_000,
    "non_public": 1_342_000,
    "agency": 1_150_000,
    "institution": 1_500_000,
}
FORMS: dict[str, int] = {
    "committee": 306_000,
    "general_branch": 330_000,
    "branch": 4_614_000,
}
assert sum(KINDS.values()) == NATIONAL_SIZE == sum(FORMS.values())

GENERAL_UNDER_COMMITTEE = 0.30
BRANCH_DIRECT = 0.22
BRANCH_UNDER_COMMITTEE = 0.60  # of the second-tier branches; the rest are under general branches

_FORM_ZH = {"committee": "党委", "general_branch": "党总支", "branch": "党支部"}
_KIND_ZH = {"village": "村", "community": "社区", "state_enterprise": "国企",
            "non_public": "非公企业", "agency": "机关", "institution": "事业单位"}


@attrs.frozen
class National:
    """A generated population with its assessments for one year."""

    population: Population
    assessments: list[Assessment]
    year: int
    seed: int


@contextmanager
def _bulk() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        with attrs.validators.disabled():
            yield
    finally:
        if was_enabled:
            gc.enable()


def _scaled(counts: dict[str, int], size: int) -> dict[str, int]:
    """``counts`` scaled to sum exactly to ``size`` (largest remainders)."""
    total = sum(counts.values())
    exact = {k: v * size / total for k, v in counts.items()}
    out = {k: math.floor(v) for k, v in exact.items()}
    short = size - sum(out.values())
    for k in sorted(exact, key=lambda k: out[k] - exact[k])[:short]:
        out[k] += 1
    return out


def national(  # noqa: PLR0915 - one straight-line generator reads better unsplit
    size: int = NATIONAL_SIZE, *, seed: int = 2024, year: int = 2025
) -> National:
    """Generate ``size`` organizations of national shape and their assessments for ``year``."""
    if size < 10:
        raise ValueError(f"size must be at least 10, got {size}")
    rng = random.Random(seed)
    forms = _scaled(FORMS, size)
    n_com = max(1, forms["committee"])
    n_gen = forms["general_branch"]
    n_br = forms["branch"]
    gen_under = round(n_gen * GENERAL_UNDER_COMMITTEE)
    br_direct = round(n_br * BRANCH_DIRECT)
    br_second = n_br - br_direct
    br_under_com = round(br_second * BRANCH_UNDER_COMMITTEE) if n_gen else br_second
    br_under_gen = br_second - br_under_com

    # Roots: committees (C), direct general branches (G) and direct branches (B), shuffled.
    roots = ["C"] * n_com + ["G"] * (n_gen - gen_under) + ["B"] * br_direct
    rng.shuffle(roots)
    committees = [i for i, r in enumerate(roots) if r == "C"]
    general_roots = [i for i, r in enumerate(roots) if r == "G"]
    # General branches under committees, and second-tier branches under committees.
    gen_children = [0] * len(roots)
    for i in rng.choices(committees, k=gen_under):
        gen_children[i] += 1
    br_children = [0] * len(roots)
    for i in rng.choices(committees, k=br_under_com):
        br_children[i] += 1
    # Branches under general branches: each general branch (direct or not) is a slot.
    n_gen_slots = len(general_roots) + gen_under
    gen_slot_children = [0] * n_gen_slots
    if n_gen_slots:
        for j in rng.choices(range(n_gen_slots), k=br_under_gen):
            gen_slot_children[j] += 1

    # Tree sizes, then kinds dealt over the trees in a random order by organization count.
    tree_sizes = [1 + gen_children[i] + br_children[i] for i in range(len(roots))]
    slot = 0
    gen_slot_of_root: dict[int, int] = {}
    for i, r in enumerate(roots):
        if r == "G":
            gen_slot_of_root[i] = slot
            tree_sizes[i] += gen_slot_children[slot]
            slot += 1
    sub_gen_slots: list[int] = []
    for i in range(len(roots)):
        for _ in range(gen_children[i]):
            tree_sizes[i] += gen_slot_children[slot]
            sub_gen_slots.append(slot)
            slot += 1
    assert slot == n_gen_slots
    assert sum(tree_sizes) == size
    kinds_wanted = _scaled(KINDS, size)
    kind_of_root = [""] * len(roots)
    deal = list(range(len(roots)))
    rng.shuffle(deal)
    kind_names = list(kinds_wanted)
    k = 0
    filled = 0
    bound = kinds_wanted[kind_names[0]]
    for i in deal:
        while filled >= bound and k < len(kind_names) - 1:
            k += 1
            bound += kinds_wanted[kind_names[k]]
        kind_of_root[i] = kind_names[k]
        filled += tree_sizes[i]

    counties = [f"县{n:04d}" for n in range(max(1, min(2_800, size // 1_900)))]
    townships = [f"乡镇{n:05d}" for n in range(max(1, min(40_000, size // 130)))]
    orgs: list[Organization] = []
    scores: list[float] = []
    add = orgs.append
    gauss = rng.gauss
    direct, second = Tier.DIRECT, Tier.SECOND_TIER
    forms_enum = {"C": OrgForm.COMMITTEE, "G": OrgForm.GENERAL_BRANCH, "B": OrgForm.BRANCH}
    names = {(kind, form): f"{_KIND_ZH[kind]}{_FORM_ZH[form.value]}"
             for kind in _KIND_ZH for form in OrgForm}
    sub_iter = iter(sub_gen_slots)
    with _bulk():
        for i, r in enumerate(roots):
            kind = kind_of_root[i]
            county = counties[i % len(counties)]
            township = townships[i % len(townships)]
            code = f"{i:07d}"
            form = forms_enum[r]
            add(Organization(code, f"{names[kind, form]}{i}", kind, direct, form,
                             None, None, county, township))
            n = 1
            if r == "G":
                for b in range(gen_slot_children[gen_slot_of_root[i]]):
                    add(Organization(f"{code}.{b:04d}", f"{names[kind, OrgForm.BRANCH]}{i}-{b}",
                                     kind, second, OrgForm.BRANCH, code, None, county, township))
                continue
            for _ in range(gen_children[i]):
                g = f"{code}.{n:04d}"
                add(Organization(g, f"{names[kind, OrgForm.GENERAL_BRANCH]}{i}-{n}", kind,
                                 second, OrgForm.GENERAL_BRANCH, code, None, county, township))
                n += 1
                for b in range(gen_slot_children[next(sub_iter)]):
                    add(Organization(f"{g}.{b:04d}", f"{names[kind, OrgForm.BRANCH]}{i}-{n}-{b}",
                                     kind, second, OrgForm.BRANCH, g, None, county, township))
            for _ in range(br_children[i]):
                add(Organization(f"{code}.{n:04d}", f"{names[kind, OrgForm.BRANCH]}{i}-{n}",
                                 kind, second, OrgForm.BRANCH, code, None, county, township))
                n += 1
        scores = [round(min(100.0, max(0.0, gauss(80.0, 9.5))) * 2) / 2 for _ in range(size)]
        # Shuffle the assessments so identify cannot rely on their order.
        order = list(range(size))
        rng.shuffle(order)
        assessments = [Assessment(orgs[j].code, year, scores[j]) for j in order]
        population = Population(orgs)
    return National(population, assessments, year, seed)


if __name__ == "__main__":  # pragma: no cover - manual check
    import sys
    import time
    from collections import Counter

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    t = time.perf_counter()
    nat = national(n)
    print(f"{n:,} organizations in {time.perf_counter() - t:.1f} s")
    print(Counter(o.kind for o in nat.population))
    print(Counter(o.form.value for o in nat.population))
    print(Counter(o.tier.value for o in nat.population))
    print("grade D:", sum(a.total < 60 for a in nat.assessments))
