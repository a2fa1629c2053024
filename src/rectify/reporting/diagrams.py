"""Pictures: the workflow, a case's coverage and a county's coverage (mermaid and graphviz).

Mermaid text is the default (it renders in Markdown viewers); graphviz DOT
text needs nothing to produce, and `render()` turns it into SVG/PNG/PDF
with the optional ``graphviz`` package (``pip install rectify[diagrams]``)
and the graphviz programs.  Labels are Chinese (names, support levels,
relations), with ids for lookup.

The coverage pictures take the graph of `rectify.coverage.build_graph()`
(or any subgraph of it).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rectify.coverage.graph import case_subgraph, county_subgraph
from rectify.errors import RendererMissing
from rectify.lifecycle.workflow import mermaid as _workflow_mermaid

__all__ = [
    "case_dot",
    "case_mermaid",
    "county_dot",
    "county_mermaid",
    "coverage_dot",
    "coverage_mermaid",
    "render",
    "workflow_mermaid",
]

_ORDER = {"county": 0, "township": 1, "org": 2, "unit": 3, "person": 4}
_EDGE_ORDER = {"located_in": 0, "tree": 1, "secretary": 2, "contact_point": 3, "pairing": 4,
               "support": 5, "verification": 6, "cross_assessment": 7}
_MERMAID_SHAPES = {"org": ('["', '"]'), "person": ('("', '")'), "unit": ('[["', '"]]'),
                   "county": ('{{"', '"}}'), "township": ('{{"', '"}}')}
_MERMAID_ARROWS = {"support": "==>", "verification": "-.->", "secretary": "-.->",
                   "cross_assessment": "-.->"}
_MERMAID_STYLES = {
    "org": "fill:#fdecea,stroke:#c0392b",
    "person": "fill:#eaf2fd,stroke:#2c6fbb",
    "unit": "fill:#eafaf1,stroke:#1e8449",
    "county": "fill:#fef9e7,stroke:#b7950b",
    "township": "fill:#fef9e7,stroke:#b7950b",
}
_DOT_SHAPES = {"org": "box", "person": "ellipse", "unit": "component", "county": "hexagon",
               "township": "hexagon"}
_DOT_STYLES = {"support": 'style=bold, color="#c0392b"', "verification": "style=dashed",
               "secretary": "style=dotted", "cross_assessment": 'style=dashed, color="#b7950b"',
               "located_in": 'color="#999999"'}


def workflow_mermaid(lang: str = "both") -> str:
    """The case workflow as a mermaid state diagram (`rectify.lifecycle.workflow.mermaid()`)."""
    return _workflow_mermaid(lang=lang)


def _node_text(data: Mapping[str, Any]) -> list[str]:
    kind = data["type"]
    lines = [str(data["label"])]
    if kind == "org":
        lines.append(str(data["id"]))
        if data.get("cases"):
            lines.append(str(data["cases"]).replace(";", " "))
    elif kind == "person":
        lines.append(str(data["id"]))
    return lines


def _edge_text(data: Mapping[str, Any]) -> str:
    if data["type"] == "support":
        return str(data.get("level_label") or data.get("level"))
    if data["type"] == "cross_assessment" and data.get("period"):
        return f"{data['label']} {data['period']}"
    return str(data["label"])


def _sorted(graph: Any) -> tuple[list[tuple[str, Any]], list[tuple[str, str, str, Any]]]:
    nodes = sorted(graph.nodes(data=True), key=lambda n: (_ORDER.get(n[1]["type"], 9), n[0]))
    edges = sorted(graph.edges(keys=True, data=True),
                   key=lambda e: (_EDGE_ORDER.get(e[3]["type"], 9), e[0], e[1], e[2]))
    return nodes, edges


def coverage_mermaid(graph: Any, *, direction: str = "LR") -> str:
    """A mermaid flowchart of a coverage graph (or subgraph), nodes styled by type."""
    nodes, edges = _sorted(graph)
    ids = {key: f"n{i}" for i, (key, _) in enumerate(nodes)}
    lines = [f"flowchart {direction}"]
    by_type: dict[str, list[str]] = {}
    for key, data in nodes:
        left, right = _MERMAID_SHAPES.get(data["type"], ('["', '"]'))
        text = "<br/>".join(t.replace('"', "#quot;") for t in _node_text(data))
        lines.append(f"    {ids[key]}{left}{text}{right}")
        by_type.setdefault(data["type"], []).append(ids[key])
    for u, v, _, data in edges:
        arrow = _MERMAID_ARROWS.get(data["type"], "-->")
        lines.append(f'    {ids[u]} {arrow}|"{_edge_text(data)}"| {ids[v]}')
    for kind, members in by_type.items():
        lines.append(f"    classDef {kind} {_MERMAID_STYLES.get(kind, '')}")
        lines.append(f"    class {','.join(members)} {kind}")
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def coverage_dot(graph: Any, *, name: str = "coverage",
                 fontname: str = "Noto Sans CJK SC") -> str:
    """Graphviz DOT text of a coverage graph (or subgraph); ``fontname`` must cover Chinese."""
    nodes, edges = _sorted(graph)
    ids = {key: f"n{i}" for i, (key, _) in enumerate(nodes)}
    font = _dot_quote(fontname)
    lines = [f"digraph {_dot_quote(name)} {{", "    rankdir=LR;",
             f"    graph [fontname={font}];", f"    node [fontname={font}];",
             f"    edge [fontname={font}, fontsize=10];"]
    for key, data in nodes:
        shape = _DOT_SHAPES.get(data["type"], "box")
        label = _dot_quote("\n".join(_node_text(data)))
        lines.append(f"    {ids[key]} [label={label}, shape={shape}, tooltip={_dot_quote(key)}];")
    for u, v, _, data in edges:
        style = _DOT_STYLES.get(data["type"])
        extra = f", {style}" if style else ""
        lines.append(f"    {ids[u]} -> {ids[v]} [label={_dot_quote(_edge_text(data))}{extra}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def case_mermaid(graph: Any, case: str) -> str:
    """Mermaid picture of one case's coverage (see `rectify.coverage.case_subgraph()`)."""
    return coverage_mermaid(case_subgraph(graph, case))


def county_mermaid(graph: Any, county: str, *, open_only: bool = True) -> str:
    """Mermaid picture of a county's coverage (see `rectify.coverage.county_subgraph()`)."""
    return coverage_mermaid(county_subgraph(graph, county, open_only=open_only), direction="RL")


def case_dot(graph: Any, case: str) -> str:
    """DOT text of one case's coverage."""
    return coverage_dot(case_subgraph(graph, case), name=f"case {case}")


def county_dot(graph: Any, county: str, *, open_only: bool = True) -> str:
    """DOT text of a county's coverage."""
    return coverage_dot(county_subgraph(graph, county, open_only=open_only),
                        name=f"county {county}")


def render(dot: str, path: str | Path, *, format: str = "svg") -> Path:
    """Render DOT text to ``path`` (``format``: svg, png, pdf) with the ``graphviz`` package.

    Returns the written path.

    Raises:
        RendererMissing: the optional graphviz package is missing (install
            ``rectify[diagrams]``) or the graphviz programs are not installed.
    """
    try:
        graphviz: Any = importlib.import_module("graphviz")
    except ImportError:
        raise RendererMissing("the graphviz package", "rendering needs the optional graphviz "
                              "package: pip install 'rectify[diagrams]' (and the graphviz "
                              "programs)") from None
    target = Path(path)
    try:
        data = graphviz.Source(dot).pipe(format=format)
    except graphviz.ExecutableNotFound:
        raise RendererMissing("the graphviz programs (dot)", "install them (Debian: apt-get "
                              "install graphviz), or write the .dot or mermaid text "
                              "instead") from None
    target.write_bytes(data)
    return target
