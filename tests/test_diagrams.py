"""Tests of the diagrams: workflow, case and county coverage in mermaid and DOT."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from rectify import Campaign, load_policy
from rectify.coverage import build_graph
from rectify.identify import identify
from rectify.lifecycle.workflow import mermaid
from rectify.reporting import diagrams as d
from rectify.sample import sample_assessments, sample_people, sample_population

DOCS = Path(__file__).resolve().parents[1] / "docs" / "coverage.md"


def _graph() -> object:
    policy = load_policy()
    population = sample_population()
    c = Campaign(policy, population=population, people=sample_people())
    c.open_cases(identify(population, sample_assessments(), policy, 2016), actor="P0236",
                 on=date(2016, 2, 15))
    for level, person in [("leader_contact", "P0229"), ("org_guidance", "P0237"),
                          ("paired_unit", "P0242"), ("committee_supervisor", "P0260")]:
        c.assign_support("2016-T04-05", level, person, actor="P0236", on=date(2016, 3, 5))
    c.assign_support("2016-J02-05", "leader_contact", "P0230", actor="P0236", on=date(2016, 3, 5))
    return build_graph(c)


GRAPH = _graph()


def test_workflow_diagram_is_the_workflow_modules() -> None:
    """The workflow picture is rectify.lifecycle.workflow.mermaid, not a copy."""
    assert d.workflow_mermaid() == mermaid()
    assert d.workflow_mermaid("zh") == mermaid(lang="zh")


def test_case_mermaid_has_chinese_labels() -> None:
    """A case's picture names the organizations, people and support levels in Chinese."""
    text = d.case_mermaid(GRAPH, "2016-T04-05")
    assert text.startswith("flowchart LR\n")
    assert '["南沟乡杏树坪村党支部<br/>T04-05<br/>2016-T04-05"]' in text
    assert '==>|"处级领导主管联系"|' in text
    assert '-.->|"书记"|' in text
    assert "尹梅<br/>P0229" in text
    ids = set(re.findall(r"\bn\d+\b", text))
    assert len(ids) == 8  # two organizations, two secretaries, four supporters


def test_county_mermaid_shows_every_open_case() -> None:
    """The county picture holds all 20 open cases and the county's townships."""
    text = d.county_mermaid(GRAPH, "北岭县")
    assert text.count("<br/>2016-") == 20
    assert '{{"南沟乡"}}' in text
    assert text.startswith("flowchart RL\n")


def test_dot_text_is_well_formed() -> None:
    """DOT output quotes labels, declares a CJK font and draws support in bold."""
    text = d.case_dot(GRAPH, "2016-T04-05")
    assert text.startswith('digraph "case 2016-T04-05" {\n')
    assert text.rstrip().endswith("}")
    assert 'label="处级领导主管联系", style=bold' in text
    assert 'fontname="Noto Sans CJK SC"' in text
    assert text.count("->") == 7
    county = d.county_dot(GRAPH, "北岭县")
    assert 'label="北岭县", shape=hexagon' in county


def test_docs_picture_is_current() -> None:
    """The picture in docs/coverage.md is what county_mermaid draws for the docs' campaign."""
    text = DOCS.read_text("utf-8")
    block = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block == d.county_mermaid(GRAPH, "北岭县")


def test_render_needs_graphviz(tmp_path: Path) -> None:
    """Rendering writes an SVG when graphviz (package and programs) is installed."""
    pytest.importorskip("graphviz", reason="the optional graphviz package is not installed")
    if shutil.which("dot") is None:
        pytest.skip("the graphviz programs (dot) are not installed")
    out = d.render(d.case_dot(GRAPH, "2016-T04-05"), tmp_path / "case.svg")
    assert out.read_text("utf-8").lstrip().startswith(("<?xml", "<svg"))


def test_render_without_the_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    """Without the graphviz package, render raises ImportError naming the extra."""
    import importlib

    real = importlib.import_module

    def fake(name: str, package: str | None = None) -> object:
        if name == "graphviz":
            raise ImportError("no graphviz")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(ImportError, match=r"rectify\[diagrams\]"):
        d.render("digraph {}", tmp_path / "x.svg")
