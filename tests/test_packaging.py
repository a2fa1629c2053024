"""Packaging promises: the core imports without optional extras and never configures logging."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import rectify

BLOCKER = textwrap.dedent("""
    import importlib.abc, sys
    OPTIONAL = {"typer", "rich", "openpyxl", "psycopg", "hypothesis", "graphviz", "click",
                "pyarrow", "pandas", "polars", "python_calamine", "charset_normalizer"}
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in OPTIONAL:
                raise ImportError(f"optional dependency {name} blocked for this test")
            return None
    sys.meta_path.insert(0, Block())
""")


def test_core_imports_without_optional_extras() -> None:
    """rectify and its core modules import with the CLI, XLSX, PostgreSQL and test extras absent."""
    code = BLOCKER + textwrap.dedent("""
        import logging
        import rectify, rectify.identify, rectify.campaign, rectify.bulk, rectify.lifecycle.workflow
        import rectify.escalation, rectify.accountability, rectify.schedule, rectify.sample
        from datetime import date
        from rectify.identify import identify
        from rectify.sample import sample_assessments, sample_people, sample_population
        pop = sample_population()
        c = rectify.Campaign(rectify.load_policy(), population=pop, people=sample_people())
        r = identify(pop, sample_assessments(), c.policy, 2017)
        c.open_cases(r, actor="P0236", on=date(2017, 2, 1))
        assert not [m for m in sys.modules if m.split(".")[0] in OPTIONAL], "optional imported"
        assert logging.getLogger().handlers == [], "the library configured the root logger"
        print("ok", len(c.cases()))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok 20"


def test_public_api_is_sorted_and_documented() -> None:
    """__all__ is sorted, every name exists and carries a docstring."""
    assert rectify.__all__ == sorted(rectify.__all__)
    for name in rectify.__all__:
        obj = getattr(rectify, name)
        if callable(obj):
            assert obj.__doc__, name


def test_all_extra_is_complete() -> None:
    """`rectify[all]` names every extra but the development ones (docs, dev, bench, and web,
    which only the example service uses)."""
    import re
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml")
                            .read_text("utf-8"))["project"]
    extras = project["optional-dependencies"]
    listed = re.fullmatch(r"rectify\[(.*)\]", extras["all"][0])
    assert listed is not None
    assert set(listed.group(1).split(",")) == set(extras) - {"all", "docs", "dev", "bench", "web"}
    assert "web" in extras["dev"][0]
    assert project["scripts"]["rectify"] == "rectify.__main__:main"


def test_inputs_load_without_optional_extras(tmp_path: object) -> None:
    """GBK CSV files with Chinese headers load with no optional package at all."""
    code = BLOCKER + textwrap.dedent("""
        import pathlib, tempfile
        from rectify.inputs import load_organizations
        folder = pathlib.Path(tempfile.mkdtemp())
        (folder / "o.csv").write_bytes("组织编码,组织名称,党建类型,层级\\nV1,东村,行政村,直属\\n"
                                       .encode("gbk"))
        print(load_organizations(folder / "o.csv")["V1"].kind)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "village"
