"""The coverage graph as a networkx ``MultiDiGraph``, its views and its exports.

Node keys are typed (``org:V01-03``, ``person:P0229``, ``unit:U01``,
``county:北岭县``, ``township:北岭县/城关镇``); every node has ``type`` and
``label`` (Chinese) attributes, every edge ``type``, ``label`` (Chinese) and
``since`` (ISO date or empty).  Attribute values are strings and integers
only, so GraphML export works as is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from rectify.coverage.model import (
    DEPARTMENTS,
    PROBLEM_TYPES,
    ContactPoint,
    Coverage,
    CrossAssessment,
    Pairing,
    Unit,
)
from rectify.errors import InvalidValueError
from rectify.lifecycle.case import OPEN_STATES
from rectify.policy import Policy

if TYPE_CHECKING:
    from rectify.campaign import Campaign

__all__ = [
    "EDGE_TYPES",
    "NODE_TYPES",
    "area_key",
    "build_graph",
    "case_subgraph",
    "county_subgraph",
    "node_link",
    "org_key",
    "person_key",
    "unit_key",
    "write_graphml",
    "write_node_link",
]

#: Node types with their Chinese labels.
NODE_TYPES: Mapping[str, str] = {"org": "基层党组织", "person": "人员", "unit": "机关单位",
                                 "county": "县(市、区)", "township": "乡镇(街道)"}
#: Edge types with their Chinese labels.
EDGE_TYPES: Mapping[str, str] = {
    "tree": "下属", "secretary": "书记", "located_in": "属地", "support": "包扶",
    "contact_point": "联系点", "pairing": "结对共建", "verification": "考核验收",
    "cross_assessment": "交叉互评",
}
FOREST_MODES = ("all", "cases", "none")


def org_key(code: str) -> str:
    """The node key of an organization."""
    return f"org:{code}"


def person_key(pid: str) -> str:
    """The node key of a person."""
    return f"person:{pid}"


def unit_key(uid: str) -> str:
    """The node key of an agency unit."""
    return f"unit:{uid}"


def area_key(county: str, township: str = "") -> str:
    """The node key of a county, or of a township of a county."""
    return f"township:{county}/{township}" if township else f"county:{county}"


def _iso(day: date | None) -> str:
    return day.isoformat() if day is not None else ""


class _Builder:
    def __init__(self, coverage: Coverage, policy: Policy | None) -> None:
        self.cov = coverage
        self.policy = policy
        import networkx as nx  # deferred: networkx costs ~150 ms at import

        self.g: Any = nx.MultiDiGraph(name="coverage / 包扶覆盖")

    def level_label(self, level: str) -> str:
        if self.policy is not None and level in self.policy.support.levels:
            return self.policy.support.levels[level].zh
        return level

    def holder(self, hid: str) -> str:
        if hid in self.cov.units:
            return self.unit(hid)
        return self.person(hid)

    def person(self, pid: str) -> str:
        key = person_key(pid)
        if key not in self.g:
            p = self.cov.people.get(pid)
            self.g.add_node(key, type="person", id=pid, label=p.name if p else pid,
                            roles=";".join(sorted(p.roles)) if p else "",
                            unit=p.unit if p else "")
        return key

    def unit(self, uid: str) -> str:
        key = unit_key(uid)
        if key not in self.g:
            u = self.cov.units.get(uid) or Unit(uid, uid)
            self.g.add_node(key, type="unit", id=uid, label=u.name, department=u.department,
                            department_label=DEPARTMENTS.get(u.department, u.department),
                            capacity=-1 if u.capacity is None else u.capacity, county=u.county)
        return key

    def area(self, county: str, township: str = "") -> str:
        key = area_key(county, township)
        if key not in self.g:
            if township:
                parent = self.area(county)
                self.g.add_node(key, type="township", id=f"{county}/{township}", label=township,
                                county=county)
                self.g.add_edge(key, parent, key="located_in", type="located_in",
                                label=EDGE_TYPES["located_in"], since="")
            else:
                self.g.add_node(key, type="county", id=county, label=county)
        return key

    def org(self, code: str) -> str:
        key = org_key(code)
        if key in self.g:
            return key
        o = self.cov.population.get(code)
        if o is None:
            self.g.add_node(key, type="org", id=code, label=code, kind="", tier="", form="",
                            county="", township="", cases="", state="")
            return key
        self.g.add_node(key, type="org", id=code, label=o.name, kind=o.kind, tier=o.tier.value,
                        form=o.form.value, county=o.county, township=o.township, cases="",
                        state="")
        if o.secretary:
            self.g.add_edge(self.person(o.secretary), key, key="secretary", type="secretary",
                            label=EDGE_TYPES["secretary"], since="")
        if o.county:
            self.g.add_edge(key, self.area(o.county, o.township), key="located_in",
                            type="located_in", label=EDGE_TYPES["located_in"], since="")
        if o.parent is not None:
            self.g.add_edge(self.org(o.parent), key, key="tree", type="tree",
                            label=EDGE_TYPES["tree"], since="")
        return key

    def build(self, forest: str) -> Any:
        g, cov = self.g, self.cov
        if forest == "all":
            for o in cov.population:
                self.org(o.code)
            for pid in cov.people:
                self.person(pid)
            for uid in cov.units:
                self.unit(uid)
        for cid, case in sorted(cov.cases.items()):
            target = self.org(case.org)
            node = g.nodes[target]
            node["cases"] = f"{node['cases']};{cid}" if node["cases"] else cid
            if case.is_open or not node["state"]:
                node["state"] = case.state
            for level, hid, since in case.support:
                g.add_edge(self.holder(hid), target, key=f"support:{cid}:{level}", type="support",
                           label=EDGE_TYPES["support"], level=level,
                           level_label=self.level_label(level), case=cid, since=_iso(since),
                           open=int(case.is_open))
            for vid in case.verifiers:
                g.add_edge(self.person(vid), target, key=f"verification:{cid}",
                           type="verification", label=EDGE_TYPES["verification"], case=cid,
                           since=_iso(case.verified_on), open=int(case.is_open))
        for cp in cov.contact_points:
            g.add_edge(self.person(cp.person), self.area(cp.county, cp.township),
                       key=f"contact_point:{cp.area}", type="contact_point",
                       label=EDGE_TYPES["contact_point"], since=_iso(cp.since),
                       visits=-1 if cp.visits is None else cp.visits)
        for p in cov.pairings:
            g.add_edge(self.unit(p.unit), self.org(p.org), key="pairing", type="pairing",
                       label=EDGE_TYPES["pairing"], problem_type=p.problem_type,
                       problem_label=PROBLEM_TYPES.get(p.problem_type, p.problem_type),
                       since=_iso(p.since))
        for x in cov.cross_assessments:
            g.add_edge(self.area(x.assessor), self.area(x.assessed),
                       key=f"cross_assessment:{x.period}", type="cross_assessment",
                       label=EDGE_TYPES["cross_assessment"], period=x.period,
                       since=_iso(x.drawn_on))
        return g


def build_graph(source: Campaign | Coverage, *, policy: Policy | None = None,
                forest: str = "all", units: Iterable[Unit] = (),
                contact_points: Iterable[ContactPoint] = (), pairings: Iterable[Pairing] = (),
                cross_assessments: Iterable[CrossAssessment] = ()) -> Any:
    """The coverage graph (``networkx.MultiDiGraph``) of a campaign or a coverage snapshot.

    ``forest`` chooses the organizations: ``"all"`` (the whole forest, every
    person and unit), ``"cases"`` or ``"none"`` (only organizations, people
    and units some edge touches, with the ancestors of every organization
    shown).  ``policy`` (default: the campaign's) gives the support levels'
    Chinese labels.  ``units``, ``contact_points``, ``pairings`` and
    ``cross_assessments`` are added to what ``source`` holds.
    """
    if forest not in FOREST_MODES:
        raise InvalidValueError("forest", f"one of {', '.join(FOREST_MODES)}", forest)
    if isinstance(source, Coverage):
        coverage = attrs.evolve(
            source, units={**source.units, **{u.id: u for u in units}},
            contact_points=(*source.contact_points, *contact_points),
            pairings=(*source.pairings, *pairings),
            cross_assessments=(*source.cross_assessments, *cross_assessments))
    else:
        coverage = source.coverage(units=units, contact_points=contact_points,
                                   pairings=pairings, cross_assessments=cross_assessments)
        policy = policy or source.policy
    return _Builder(coverage, policy).build(forest)


def _chain(g: Any, node: str) -> list[str]:
    chain = [node]
    while True:
        parents = [u for u, _, d in g.in_edges(chain[-1], data=True) if d["type"] == "tree"]
        if not parents:
            return chain
        chain.append(parents[0])


def case_subgraph(graph: Any, case: str) -> Any:
    """One case's coverage: its organization and chain, their secretaries, its supporters,
    verifiers and paired units.  Raises ``KeyError`` for a case not in the graph."""
    org = org_key(case.split("-", 1)[1]) if "-" in case else ""
    if org not in graph or case not in graph.nodes[org]["cases"].split(";"):
        raise KeyError(f"no case {case!r} in this coverage graph")
    keep: list[tuple[str, str, str]] = []
    chain = _chain(graph, org)
    for node in chain:
        for u, v, k, d in graph.in_edges(node, keys=True, data=True):
            if d["type"] in ("tree", "secretary") or (d["type"] == "pairing" and v == org) or \
                    d.get("case") == case:
                keep.append((u, v, k))
    return graph.edge_subgraph(keep).copy() if keep else graph.subgraph(chain).copy()


def county_subgraph(graph: Any, county: str, *, open_only: bool = True) -> Any:
    """A county's coverage: its townships, its organizations with cases (open ones by default)
    and their parents, their supporters and verifiers, paired units, leaders' contact points and
    cross-assessments to and from the county.  Raises ``KeyError`` for an unknown county."""
    top = area_key(county)
    if top not in graph:
        raise KeyError(f"no county {county!r} in this coverage graph")
    keep: set[tuple[str, str, str]] = set()
    orgs = {n for n, d in graph.nodes(data=True)
            if d["type"] == "org" and d["county"] == county and d["cases"]
            and (not open_only or d["state"] in OPEN_STATES)}
    for node in list(orgs):
        orgs.update(_chain(graph, node))
    for node in orgs:
        for u, v, k, d in graph.in_edges(node, keys=True, data=True):
            kind = d["type"]
            if kind in ("support", "verification") and open_only and not d["open"]:
                continue
            if kind in ("tree", "support", "verification", "pairing") and (
                    kind != "tree" or u in orgs):
                keep.add((u, v, k))
        keep.update((u, v, k) for u, v, k, d in graph.out_edges(node, keys=True, data=True)
                    if d["type"] == "located_in")
    areas = {top} | {u for u, _, d in graph.in_edges(top, data=True) if d["type"] == "located_in"}
    for area in areas:
        keep.update((u, v, k) for u, v, k, d in graph.in_edges(area, keys=True, data=True)
                    if d["type"] in ("contact_point", "cross_assessment", "located_in")
                    and (d["type"] != "located_in" or u in areas or u in orgs))
    keep.update((u, v, k) for u, v, k, d in graph.out_edges(top, keys=True, data=True)
                if d["type"] == "cross_assessment")
    return graph.edge_subgraph(keep).copy() if keep else graph.subgraph([top]).copy()


def write_graphml(graph: Any, path: str | Path) -> None:
    """Write the graph as GraphML (every attribute is a string or an integer)."""
    import networkx as nx

    nx.write_graphml(graph, str(path))


def node_link(graph: Any) -> dict[str, Any]:
    """The graph as node-link data (``nodes`` and ``edges`` lists), ready for JSON."""
    import networkx as nx

    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    return data


def write_node_link(graph: Any, path: str | Path) -> None:
    """Write the node-link data as UTF-8 JSON (Chinese labels kept readable)."""
    Path(path).write_text(json.dumps(node_link(graph), ensure_ascii=False, indent=1) + "\n",
                          encoding="utf-8")
