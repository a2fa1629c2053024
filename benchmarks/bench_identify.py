"""Benchmark: annual identification of a national population, against analysts' anchors.

Measures, in one run on one generated population (``benchmarks/national.py``),
with the default policy (``northern-county``: per-kind quotas rounded up,
grade D listed directly and counted towards the quota, everyone tied at the
cut-off listed):

a. ``identify`` from columns (`AssessmentColumns` with the totals as a NumPy
   array, the input a national deployment loads from its database), then
   every listed organization's reason data as columns (`Decisions.columns`:
   code, kind, score, grade, rank, kind size, cut-off and the rules of its
   reasons), then the near misses' decisions with their reasons rendered:
   everything an official's report is made of, text rendered where read;
   ``(a2)`` is (a) with, instead of the columns, every listed decision built
   and every one of its reasons rendered to text (the whole report's text);
b. ``identify`` alone from the same columns (the ranking, quotas, cut-offs
   and direct criteria; no decision built);
   ``(a1)`` is (a) with the population's columns (kind codes, grouping, the
   organizations outside their kind's unit of ranking) dropped first, as on
   the first identification of a population: (a) and (b) reuse them, as the
   anchors reuse the columnar copies built in their setup;
c. the same ranking written the way an analyst would, each from its own
   columnar copy of the data (built in setup, not timed, with a ``ranked``
   flag for the organizations in their kind's unit of ranking): polars
   expressions, DuckDB window-function SQL, and a per-kind NumPy sort.  Each
   must list exactly the organizations ``identify`` lists, or the run fails;
d. optionally (``--python``) (a2) on the pure-Python path, and (``--records``)
   (a2) from one `Assessment` record per organization;
e. optionally (``--all-decisions``) every decision of the population built
   with its reasons and dropped.

Every step runs after a collection, with the kernel's resident high-water
mark (``VmHWM``) reset before it, so its peak is its own.  The load average
is printed before and after the timed steps: compare ratios measured in the
same run, not seconds.

Usage::

    .venv/bin/python benchmarks/bench_identify.py [--size N] [--seed S] [--repeat R]
        [--python] [--records] [--all-decisions]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import Measurement, measure, status
from national import NATIONAL_SIZE, National, national
from rectify import Policy, _identify_arrays, load_policy
from rectify._gc import gc_paused
from rectify.identify import AssessmentColumns, _identify, identify, ranked_indices

TARGET_SECONDS = 3.0
TARGET_VS_POLARS = 1.2


def with_reasons(nat: National, policy: Policy, data: Any, engine: str = "auto") -> Any:
    """Identify, then the listed organizations' reason data as columns, then the near misses.

    The near misses' decisions are built and their reasons rendered.  The
    cyclic collector is paused as `identify` pauses it (``_identify`` is
    called to choose the engine).  Returns the listed codes (an array).
    """
    with gc_paused():
        result = _identify(nat.population, data, policy, nat.year, engine)
    columns = result.listed().columns()
    assert columns["rule.quota"].any()
    assert columns["rank"].any()
    near = result.near_misses()
    assert all(r.render() for d in near for r in d.reasons)
    with_reasons.near = len(near)  # type: ignore[attr-defined]
    return columns["org"]


def with_text(nat: National, policy: Policy, data: Any, engine: str = "auto") -> list[str]:
    """Identify, then every listed decision with every reason rendered, then the near misses."""
    with gc_paused():
        result = _identify(nat.population, data, policy, nat.year, engine)
    listed = result.listed()
    rendered = sum(len(r.render()) for d in listed for r in d.reasons)
    near = result.near_misses()
    assert rendered
    assert all(r.render() for d in near for r in d.reasons)
    return [d.org for d in listed]


def first_time(nat: National, policy: Policy, data: Any) -> Any:
    """(a) with the population's columns dropped first, as on its first identification."""
    _identify_arrays._LAST.clear()
    return with_reasons(nat, policy, data)


def identify_only(nat: National, policy: Policy, columns: AssessmentColumns) -> list[str]:
    """``identify`` and the listed codes, no decision built."""
    return identify(nat.population, columns, policy, nat.year).listed_codes


# -- anchors ------------------------------------------------------------------------------


def _rules(policy: Policy) -> tuple[dict[str, int], float]:
    """Per-kind quotas in whole percent (for exact integer rounding up), and the grade D bound."""
    ident = policy.identification
    assert ident.rounding.value == "up", "the anchors round quotas up"
    assert ident.ties.value == "include_all", "the anchors list every tie at the cut-off"
    assert ident.count_direct_in_quota, "the anchors count direct listings in the quota"
    assert ident.min_group_size <= 1, "the anchors have no minimum group size"
    assert not ident.min_per_kind, "the anchors have no minimum per kind"
    assert [c.grades for c in ident.direct] == [("D",)]
    percent = {k: round(v * 100) for k, v in ident.quota.items()}
    assert all(abs(percent[k] - v * 100) < 1e-9 for k, v in ident.quota.items())
    return percent, policy.grades["C"]


def anchor_polars(frame: Any, percent: dict[str, int], bound: float) -> Any:
    """Direct listings, then per kind the lowest non-direct scores up to the quota, ties in.

    Only organizations in their kind's unit of ranking (``ranked``) are ranked
    and counted in the quota; every organization can be listed directly.
    """
    import polars as pl

    direct = pl.col("score") < bound
    sizes = frame.filter("ranked").group_by("kind").agg(pl.len().alias("n"),
                                                         direct.sum().alias("d"))
    quotas = pl.DataFrame({"kind": pl.Series(list(percent), dtype=frame.schema["kind"]),
                           "pct": list(percent.values())})
    sizes = sizes.join(quotas, on="kind")
    need = sizes.select("kind", ((pl.col("pct") * pl.col("n") + 99) // 100 - pl.col("d"))
                        .clip(lower_bound=0).alias("need"))
    ranked = (frame.filter(~direct & pl.col("ranked")).join(need, on="kind")
              .with_columns(pl.col("score").rank("ordinal").over("kind").alias("rn")))
    cutoff = ranked.filter(pl.col("rn") <= pl.col("need")).group_by("kind").agg(
        pl.col("score").max().alias("cutoff"))
    by_quota = ranked.join(cutoff, on="kind").filter(pl.col("score") <= pl.col("cutoff"))
    return pl.concat([frame.filter(direct).select("idx"), by_quota.select("idx")])["idx"]


DUCKDB_SQL = """
WITH sizes AS (
    SELECT kind, count(*) AS n, count(*) FILTER (WHERE score < {bound}) AS d
    FROM orgs WHERE ranked GROUP BY kind),
need AS (
    SELECT kind, greatest(0, (pct * n + 99) // 100 - d) AS need
    FROM sizes JOIN quotas USING (kind)),
ranked AS (
    SELECT idx, kind, score, row_number() OVER (PARTITION BY kind ORDER BY score, idx) AS rn
    FROM orgs WHERE score >= {bound} AND ranked),
cutoff AS (
    SELECT kind, max(score) AS cutoff
    FROM ranked JOIN need USING (kind) WHERE rn <= need GROUP BY kind)
SELECT idx FROM orgs WHERE score < {bound}
UNION ALL
SELECT idx FROM ranked JOIN cutoff USING (kind) WHERE score <= cutoff
"""


def anchor_duckdb(con: Any, bound: float) -> Any:
    """The same ranking in window-function SQL."""
    return con.execute(DUCKDB_SQL.format(bound=bound)).fetchnumpy()["idx"]


def anchor_numpy(kinds: Any, scores: Any, ranked: Any, names: list[str],
                 percent: dict[str, int], bound: float) -> Any:
    """The same ranking with one NumPy partition per kind."""
    direct = scores < bound
    out = [np.flatnonzero(direct)]
    for code, kind in enumerate(names):
        members = np.flatnonzero((kinds == code) & ranked)
        d = int(direct[members].sum())
        need = max(0, (percent[kind] * len(members) + 99) // 100 - d)
        free = members[~direct[members]]
        if need and len(free):
            cutoff = np.partition(scores[free], min(need, len(free)) - 1)[min(need, len(free)) - 1]
            out.append(free[scores[free] <= cutoff])
    return np.concatenate(out)


# -- main ---------------------------------------------------------------------------------


def _gb(n: int) -> str:
    return f"{n / 1024**3:.2f} GB"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - a script's straight line
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=NATIONAL_SIZE, help="organizations")
    parser.add_argument("--seed", type=int, default=2024, help="generator seed")
    parser.add_argument("--repeat", type=int, default=3,
                        help="repeat the timed steps and keep the best time")
    parser.add_argument("--python", action="store_true", help="also the pure-Python path")
    parser.add_argument("--records", action="store_true", help="also from Assessment records")
    parser.add_argument("--all-decisions", action="store_true",
                        help="also build every decision of the population")
    args = parser.parse_args(argv)

    import duckdb
    import polars as pl

    policy = load_policy("northern-county")
    policy.fingerprint()  # computed once, outside the measurements
    percent, bound = _rules(policy)
    start = time.perf_counter()
    base_rss = status("VmRSS")
    nat = national(args.size, seed=args.seed)
    gc.collect()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, "
          f"{platform.platform()}, {platform.machine()}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, polars "
          f"{pl.__version__}, duckdb {duckdb.__version__}, {os.cpu_count()} cores")
    print(f"{args.size:,} organizations (seed {args.seed}) generated in "
          f"{time.perf_counter() - start:.1f} s; population + assessments "
          f"{_gb(status('VmRSS') - base_rss)} resident")

    # Setup, not timed: the columnar inputs, for rectify and for each anchor.
    records = AssessmentColumns.of(nat.population, nat.assessments, nat.year)
    columns = AssessmentColumns(nat.year, np.asarray(records.totals, dtype=np.float64))
    start = time.perf_counter()
    names = list(dict.fromkeys(o.kind for o in nat.population))
    code_of = {k: n for n, k in enumerate(names)}
    kind_codes = np.fromiter((code_of[o.kind] for o in nat.population), dtype=np.int16,
                             count=args.size)
    scores = columns.totals
    ranked = np.asarray(ranked_indices(nat.population, policy), dtype=bool)
    frame = pl.DataFrame({"idx": np.arange(args.size), "ranked": ranked,
                          "kind": pl.Series([o.kind for o in nat.population],
                                            dtype=pl.Categorical),
                          "score": scores})
    con = duckdb.connect()
    con.register("orgs_view", frame.with_columns(pl.col("kind").cast(pl.Utf8)).to_arrow())
    con.execute("CREATE TABLE orgs AS SELECT * FROM orgs_view")
    con.execute("CREATE TABLE quotas (kind VARCHAR, pct INTEGER)")
    con.executemany("INSERT INTO quotas VALUES (?, ?)", list(percent.items()))
    print(f"anchors' columnar copies built in {time.perf_counter() - start:.1f} s (not timed)")

    steps: dict[str, Callable[[], Any]] = {
        "(a) identify + listed reasons + near misses": lambda: with_reasons(nat, policy,
                                                                            columns),
        "(a2) (a), every listed reason as text": lambda: with_text(nat, policy, columns),
        "(b) identify alone (listed codes)": lambda: identify_only(nat, policy, columns),
        "(a1) (a), the population's columns not kept": lambda: first_time(nat, policy,
                                                                           columns),
        "(c) polars": lambda: anchor_polars(frame, percent, bound),
        "(c) DuckDB SQL": lambda: anchor_duckdb(con, bound),
        "(c) NumPy, one sort per kind": lambda: anchor_numpy(kind_codes, scores, ranked, names,
                                                             percent, bound),
    }
    if args.python:
        steps["(d) (a2) on the pure-Python path"] = lambda: with_text(nat, policy, columns,
                                                                      "python")
    if args.records:
        steps["(d) (a2) from Assessment records"] = lambda: with_text(nat, policy,
                                                                      nat.assessments)
    if args.all_decisions:
        result = identify(nat.population, columns, policy, nat.year)
        steps["(e) every decision, built and dropped"] = lambda: sum(1 for _ in result)

    print(f"load average before: {_load()}")
    best: dict[str, Measurement[Any]] = {}
    results: dict[str, Any] = {}
    for _ in range(args.repeat):
        for name, step in steps.items():
            m = measure(step)
            results[name] = m.result
            if name not in best or m.seconds < best[name].seconds:
                best[name] = m
    print(f"load average after:  {_load()}")

    listed = sorted(results["(a) identify + listed reasons + near misses"].tolist())
    orgs = nat.population.organizations
    for name, value in results.items():
        if name.startswith("(c)"):
            codes = sorted(orgs[i].code for i in np.asarray(value).tolist())
            assert codes == listed, f"{name} lists {len(codes):,}, identify {len(listed):,}"
        elif name.startswith(("(a", "(b)", "(d)")):
            found = value.tolist() if isinstance(value, np.ndarray) else value
            assert sorted(found) == listed, name
    near = with_reasons.near  # type: ignore[attr-defined]
    print(f"listed {len(listed):,} ({len(listed) / args.size:.1%}), near misses {near}; "
          "every anchor lists exactly the same organizations")

    polars_s = best["(c) polars"].seconds
    print(f"{'step':46} {'seconds':>8} {'cpu s':>7} {'/ polars':>9} {'/ DuckDB':>9} "
          f"{'peak RSS':>9} {'above':>8}")
    for name, m in best.items():
        print(f"{name:46} {m.seconds:8.3f} {m.cpu:7.3f} {m.seconds / polars_s:9.2f} "
              f"{m.seconds / best['(c) DuckDB SQL'].seconds:9.2f} {_gb(m.peak):>9} "
              f"{_gb(m.above):>8}{'' if m.exact else ' (lifetime peak)'}")
    ident = best["(a) identify + listed reasons + near misses"].seconds
    scale = NATIONAL_SIZE / args.size
    print(f"targets: (a) <= {TARGET_VS_POLARS}x polars: {ident / polars_s:.2f}x -> "
          f"{'met' if ident <= TARGET_VS_POLARS * polars_s else 'MISSED'}; faster than DuckDB: "
          f"{'met' if ident < best['(c) DuckDB SQL'].seconds else 'MISSED'}; "
          f"<= {TARGET_SECONDS:.0f} s at {NATIONAL_SIZE:,}: {ident * scale:.2f} s"
          f"{'' if scale == 1 else ' (scaled linearly)'} -> "
          f"{'met' if ident * scale <= TARGET_SECONDS else 'MISSED'}")
    text = best["(a2) (a), every listed reason as text"].seconds
    print(f"with every listed reason rendered to text (a2): {text / polars_s:.2f}x polars, "
          f"{text / best['(c) DuckDB SQL'].seconds:.2f}x DuckDB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
