"""The case workflow, declared once as data.

`WORKFLOW` lists the states and triggers of a case (整顿对象) with their
Chinese labels and the guards that must hold.  From it come the
``transitions`` machine (`build_machine()`), the compiled transition table
used on hot paths (`compile_table()`), the diagram
(`rectify.lifecycle.workflow.mermaid()`) and the lifecycle docs.  The definition is
checked when built: no unreachable state, no dead end, every non-final state
can reach a final one, every trigger documented.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from rectify.errors import Problem, WorkflowDefinitionError

__all__ = [
    "GUARDS",
    "OPEN_STATES",
    "WORKFLOW",
    "StateDef",
    "TriggerDef",
    "Workflow",
    "build_machine",
    "compile_table",
    "default_machine",
    "default_table",
    "mermaid",
]


@attrs.frozen
class StateDef:
    """A state of a case."""

    name: str
    zh: str
    en: str
    final: bool = False

    @property
    def label(self) -> str:
        """``name / 中文``."""
        return f"{self.name} / {self.zh}"


@attrs.frozen
class TriggerDef:
    """A trigger: from which states, to which state, and the guards that must hold."""

    name: str
    sources: tuple[str, ...]
    dest: str
    zh: str
    en: str
    guards: tuple[str, ...] = ()


@attrs.frozen
class Workflow:
    """States and triggers; `check()` reports every defect of the definition."""

    initial: str
    states: tuple[StateDef, ...]
    triggers: tuple[TriggerDef, ...]

    def state(self, name: str) -> StateDef:
        """The state called ``name``."""
        for s in self.states:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def final_states(self) -> frozenset[str]:
        """Names of the final states."""
        return frozenset(s.name for s in self.states if s.final)

    def edges(self) -> list[tuple[str, str, str]]:
        """``(source, trigger, dest)`` for every transition."""
        return [(src, t.name, t.dest) for t in self.triggers for src in t.sources]

    def check(self) -> list[Problem]:
        """Every defect: unknown states, unreachable states, dead ends, no way to a final state."""
        names = [s.name for s in self.states]
        problems: list[Problem] = []
        known = set(names)
        if len(known) != len(names):
            problems.append(Problem("states", "unique state names", names))
        if self.initial not in known:
            problems.append(Problem("initial", "a declared state", self.initial))
        for t in self.triggers:
            for name in (*t.sources, t.dest):
                if name not in known:
                    problems.append(Problem(f"trigger {t.name}", "declared states", name))
            if not t.zh.strip() or not t.en.strip():
                problems.append(Problem(f"trigger {t.name}", "English and Chinese labels",
                                        (t.en, t.zh), "document every trigger"))
        edges = self.edges()
        reachable = _closure({self.initial}, {(a, b) for a, _, b in edges})
        for name in names:
            if name not in reachable:
                problems.append(Problem(f"state {name}", "reachable from the initial state",
                                        "unreachable", "add a trigger leading to it"))
        outgoing = {a for a, _, _ in edges}
        backwards = {(b, a) for a, _, b in edges}
        can_finish = _closure(set(self.final_states), backwards)
        for s in self.states:
            if s.final:
                continue
            if s.name not in outgoing:
                problems.append(Problem(f"state {s.name}", "a trigger leaving it (or final=True)",
                                        "dead end"))
            elif s.name not in can_finish:
                problems.append(Problem(f"state {s.name}", "a path to a final state",
                                        "none", "add a trigger towards a final state"))
        if not self.final_states:
            problems.append(Problem("states", "at least one final state", "none"))
        return problems


def _closure(start: set[str], edges: set[tuple[str, str]]) -> set[str]:
    seen = set(start)
    frontier = list(start)
    while frontier:
        node = frontier.pop()
        for a, b in edges:
            if a == node and b not in seen:
                seen.add(b)
                frontier.append(b)
    return seen


_STATES = (
        StateDef("identified", "已认定", "listed, with reasons"),
        StateDef("planned", "已制定方案", "an individual plan is filed"),
        StateDef("supported", "五级包扶", "the support package is in place; rectification "
                 "under way"),
        StateDef("verifying", "考核验收", "all problems reported resolved; under verification"),
        StateDef("accepted", "验收通过", "verification passed; awaiting delisting"),
        StateDef("delisted", "已销号", "delisted: the case is closed", final=True),
        StateDef("carried_over", "转入下年", "the year closed before delisting; carried into "
                 "the next year's identification", final=True),
)
_OPEN = tuple(s.name for s in _STATES if not s.final)

WORKFLOW = Workflow(
    initial="identified",
    states=_STATES,
    triggers=(
        TriggerDef("file_plan", ("identified",), "planned", "报备整顿方案",
                   "file the individual rectification plan",
                   ("plan_complete", "deadline_within_limit")),
        TriggerDef("return_plan", ("planned",), "identified", "退回方案",
                   "send a vague plan back for rework"),
        TriggerDef("begin_support", ("planned",), "supported", "五级包扶到位",
                   "the required support levels are all assigned", ("support_complete",)),
        TriggerDef("request_verification", ("supported",), "verifying", "申请考核验收",
                   "report every problem resolved and ask for verification",
                   ("problems_resolved", "support_complete")),
        TriggerDef("pass_verification", ("verifying",), "accepted", "验收合格",
                   "the verification team accepts the rectification",
                   ("verifier_independent", "acceptance_met")),
        TriggerDef("fail_verification", ("verifying",), "supported", "验收不合格, 重新整顿",
                   "verification failed: rectify again by a new deadline",
                   ("verifier_independent",)),
        TriggerDef("delist", ("accepted",), "delisted", "销号",
                   "delist the organization (限期整改销号)",
                   ("passing_verification", "verifier_independent")),
        TriggerDef("reopen", ("delisted",), "supported", "回头看重新整顿",
                   "a relapse found during follow-up reopens the case",
                   ("within_follow_up",)),
        TriggerDef("carry_over", _OPEN, "carried_over", "结转下年",
                   "the year is closed before the case was delisted"),
    ),
)


def build_machine(workflow: Workflow = WORKFLOW) -> Any:
    """One reusable ``transitions`` machine for the workflow (no models attached).

    Fire a trigger on any object with a ``state`` attribute with
    ``machine.events[trigger].trigger(holder)``.  Raises
    `WorkflowDefinitionError` if the definition is defective.
    """
    from transitions import Machine

    problems = workflow.check()
    if problems:
        raise WorkflowDefinitionError("the workflow definition is defective", problems)
    return Machine(
        model=None,
        states=[s.name for s in workflow.states],
        transitions=[{"trigger": t.name, "source": list(t.sources), "dest": t.dest}
                     for t in workflow.triggers],
        initial=workflow.initial,
        auto_transitions=False,
        send_event=True,
    )


def compile_table(machine: Any) -> dict[tuple[str, str], str]:
    """``{(state, trigger): dest}`` read back from a built ``transitions`` machine."""
    table: dict[tuple[str, str], str] = {}
    for name, event in machine.events.items():
        for source, transitions in event.transitions.items():
            for transition in transitions:
                table[(source, name)] = transition.dest
    return table


def mermaid(workflow: Workflow = WORKFLOW, lang: str = "both") -> str:
    """A mermaid ``stateDiagram-v2`` of the workflow with English and/or Chinese labels."""
    def label(en: str, zh: str) -> str:
        return {"en": en, "zh": zh}.get(lang, f"{en} / {zh}")

    lines = ["stateDiagram-v2", f"    [*] --> {workflow.initial}"]
    for s in workflow.states:
        lines.append(f"    {s.name} : {label(s.name, s.zh)}")
    for src, trig, dest in workflow.edges():
        t = _trigger(workflow.triggers, trig)
        lines.append(f"    {src} --> {dest} : {label(t.name, t.zh)}")
    for s in workflow.states:
        if s.final:
            lines.append(f"    {s.name} --> [*]")
    return "\n".join(lines) + "\n"


def _trigger(triggers: Iterable[TriggerDef], name: str) -> TriggerDef:
    return next(t for t in triggers if t.name == name)


#: Guard names with what each checks, for docs and error messages.
GUARDS: Mapping[str, tuple[str, str]] = {
    "plan_complete": ("the plan names problems tied to aspects, measures, responsible people "
                      "and a deadline", "方案问题、措施、责任人、时限齐全"),
    "deadline_within_limit": ("the deadline lies after the filing date and within the policy's "
                              "limit", "整改时限在规定期限内"),
    "support_complete": ("every support level the kind requires is assigned",
                         "所需包扶层级全部到位"),
    "problems_resolved": ("every problem of the plan is reported resolved", "问题全部整改到位"),
    "verifier_independent": ("no verifier supports or supported the case, or is a secretary in "
                             "its organization's chain", "验收人员不得为包扶人员或本组织链条书记"),
    "acceptance_met": ("score, dissatisfaction and satisfaction meet the policy",
                       "得分和满意度达到验收标准"),
    "passing_verification": ("the latest verification passed and was independent",
                             "最近一次验收合格且独立"),
    "within_follow_up": ("the relapse is found within the follow-up period after delisting",
                         "在销号后跟踪问效期内"),
}


#: The states in which a case is still being rectified: every state that is not final.
OPEN_STATES: frozenset[str] = frozenset(_OPEN)


@functools.cache
def default_machine() -> Any:
    """The ``transitions`` machine of `WORKFLOW`, built once per process."""
    return build_machine(WORKFLOW)


@functools.cache
def default_table() -> Mapping[tuple[str, str], str]:
    """The transition table compiled from `default_machine`, built once per process."""
    return MappingProxyType(compile_table(default_machine()))
