"""Benchmark: loading a province's organizations and assessments, and decisions to Arrow.

Measures, in one run on one generated population (``benchmarks/national.py``):

a. writing the organizations and assessments as GB 18030 CSV files with
   Chinese headers and as one XLSX workbook (setup, not timed against anyone);
b. ``load_organizations`` + ``load_assessments`` (rows checked, the tree
   checked, records built) from the GB 18030 CSV files and from the workbook;
c. the anchors on the same files in the same run: ``pandas.read_csv``
   (encoding gb18030), pyarrow's CSV reader (``ReadOptions(encoding=...)``)
   and ``pandas.read_excel`` (calamine engine when installed, else openpyxl),
   which only parse, and the ratios of (b) to them;
d. ``Identification.to_arrow()`` of a national population's decisions.

Usage::

    .venv/bin/python benchmarks/bench_inputs.py [--size 250000] [--decisions 5250000]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import measure
from national import national
from rectify import load_policy
from rectify.identify import identify
from rectify.inputs import load_assessments, load_organizations

ORG_HEADER = ["组织编码", "组织名称", "党建类型", "层级", "组织形式", "上级组织"]
SCORE_HEADER = ["组织编码", "年度", "总分"]


def _write(size: int, folder: Path) -> tuple[Path, Path, Path]:
    data = national(size, seed=7, year=2017)
    orgs = [[o.code, o.name, o.kind, o.tier.zh, o.form.zh, o.parent or ""]
            for o in data.population]
    scores = [[a.org, a.year, a.total] for a in data.assessments]
    csv_orgs, csv_scores = folder / "organizations.csv", folder / "assessments.csv"
    for path, header, rows in ((csv_orgs, ORG_HEADER, orgs), (csv_scores, SCORE_HEADER, scores)):
        with path.open("w", encoding="gb18030", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, header, rows in (("组织", ORG_HEADER, orgs), ("评定", SCORE_HEADER, scores)):
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    workbook = folder / "county.xlsx"
    book.save(workbook)
    return csv_orgs, csv_scores, workbook


def _ours(orgs: Path, scores: Path, sheets: tuple[str | None, str | None]) -> int:
    policy = load_policy()
    population = load_organizations(orgs, policy=policy, sheet=sheets[0])
    return len(load_assessments(scores, population=population, policy=policy, sheet=sheets[1]))


def main() -> None:
    """Run the benchmark and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=250_000, help="organizations loaded")
    parser.add_argument("--decisions", type=int, default=5_250_000, help="decisions to Arrow")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, size {args.size:,}")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        started = time.perf_counter()
        csv_orgs, csv_scores, workbook = _write(args.size, folder)
        print(f"setup: files written in {time.perf_counter() - started:.1f} s "
              f"(csv {csv_orgs.stat().st_size / 1e6:.1f}+{csv_scores.stat().st_size / 1e6:.1f} "
              f"MB, xlsx {workbook.stat().st_size / 1e6:.1f} MB)")
        ours_csv = measure(lambda: _ours(csv_orgs, csv_scores, (None, None)))
        ours_xlsx = measure(lambda: _ours(workbook, workbook, ("组织", "评定")))
        print(f"rectify GB18030 CSV: {ours_csv.seconds:.2f} s ({ours_csv.result:,} assessments)")
        print(f"rectify XLSX:        {ours_xlsx.seconds:.2f} s")
        try:
            import pandas as pd
            import pyarrow.csv as pacsv
        except ImportError:
            print("anchors skipped: pandas and pyarrow are not installed")
        else:
            pd_csv = measure(lambda: len(pd.read_csv(csv_orgs, encoding="gb18030", dtype=str))
                             + len(pd.read_csv(csv_scores, encoding="gb18030")))
            options = pacsv.ReadOptions(encoding="gb18030")
            pa_csv = measure(lambda: pacsv.read_csv(csv_orgs, read_options=options).num_rows
                             + pacsv.read_csv(csv_scores, read_options=options).num_rows)
            try:
                import python_calamine  # noqa: F401
                engine = "calamine"
            except ImportError:
                engine = "openpyxl"
            pd_xlsx = measure(lambda: sum(len(f) for f in pd.read_excel(
                workbook, sheet_name=None, engine=engine).values()))
            print(f"pandas read_csv:     {pd_csv.seconds:.2f} s  ratio "
                  f"{ours_csv.seconds / pd_csv.seconds:.1f}x")
            print(f"pyarrow read_csv:    {pa_csv.seconds:.2f} s  ratio "
                  f"{ours_csv.seconds / pa_csv.seconds:.1f}x")
            print(f"pandas read_excel ({engine}): {pd_xlsx.seconds:.2f} s  ratio "
                  f"{ours_xlsx.seconds / pd_xlsx.seconds:.1f}x")
    data = national(args.decisions, seed=11, year=2025)
    result = identify(data.population, data.assessments, load_policy(), 2025)
    del data
    arrow = measure(result.to_arrow)
    print(f"to_arrow of {arrow.result.num_rows:,} decisions: {arrow.seconds:.2f} s, "
          f"peak +{arrow.above / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
