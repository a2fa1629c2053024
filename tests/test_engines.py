"""The two workflow engines (compiled table and ``transitions``) and the definition's checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
import pytest
from hypothesis import find, given
from hypothesis import strategies as st

from rectify import Campaign, Population, WorkflowDefinitionError, load_policy
from rectify.errors import Problem
from rectify.lifecycle.workflow import (
    GUARDS,
    WORKFLOW,
    StateDef,
    TriggerDef,
    Workflow,
    build_machine,
    compile_table,
    default_table,
)

POLICY = load_policy()
STATES = [s.name for s in WORKFLOW.states]
TRIGGERS = [t.name for t in WORKFLOW.triggers]

Fire = Callable[[str, str], "str | None"]


def _campaign(engine: str) -> Campaign:
    return Campaign(POLICY, population=Population([]), engine=engine)


TABLE = _campaign("table")
TRANSITIONS = _campaign("transitions")


def disagreements(first: Fire, second: Fire,
                  steps: Sequence[tuple[str, str]]) -> list[tuple[str, str, object, object]]:
    """Where two engines give different destinations along a walk of (state, trigger) steps.

    Each step fires its trigger from its state in both engines; ``None`` is
    "not allowed".  Returns ``(state, trigger, first, second)`` per difference.
    """
    found = []
    for state, trigger in steps:
        a, b = first(state, trigger), second(state, trigger)
        if a != b:
            found.append((state, trigger, a, b))
    return found


def walk(start: str, triggers: Sequence[str], fire: Fire) -> list[tuple[str, str]]:
    """The (state, trigger) steps of firing ``triggers`` in turn from ``start`` (refusals stay)."""
    steps = []
    state = start
    for trigger in triggers:
        steps.append((state, trigger))
        state = fire(state, trigger) or state
    return steps


walks = st.tuples(st.sampled_from(STATES),
                  st.lists(st.sampled_from(TRIGGERS), max_size=30))


def test_compiled_table_equals_the_definition() -> None:
    """``compile_table(build_machine())`` holds exactly the definition's edges."""
    table = compile_table(build_machine())
    assert table == {(s, t): d for s, t, d in WORKFLOW.edges()}
    assert len(WORKFLOW.edges()) == len(set(WORKFLOW.edges()))


@given(st.sampled_from(STATES), st.sampled_from(TRIGGERS))
def test_engines_agree_on_every_pair(state: str, trigger: str) -> None:
    """Both engines give the same destination (or refusal) for any known state and trigger."""
    assert TABLE.fire(state, trigger) == TRANSITIONS.fire(state, trigger)


@given(walks)
def test_engines_agree_along_random_walks(walk_spec: tuple[str, list[str]]) -> None:
    """Random walks through the workflow fire identically in the table and ``transitions``."""
    start, triggers = walk_spec
    steps = walk(start, triggers, TABLE.fire)
    assert disagreements(TABLE.fire, TRANSITIONS.fire, steps) == []
    assert walk(start, triggers, TRANSITIONS.fire) == steps


def test_engines_agree_on_unknown_names() -> None:
    """An unknown trigger or state is "not allowed" in both engines (``None``), never an error.

    ``Campaign.fire`` documents ``None`` for anything not allowed and both
    engines promise the same results (the ``transitions`` engine used to raise
    ``ValueError`` for an unknown state).
    """
    assert TABLE.fire("identified", "no_such_trigger") is None
    assert TRANSITIONS.fire("identified", "no_such_trigger") is None
    assert TABLE.fire("no_such_state", "file_plan") is None
    assert TRANSITIONS.fire("no_such_state", "file_plan") is None


def test_a_planted_difference_is_caught() -> None:
    """A table with one wrong edge is found by the comparison, and by hypothesis' search."""
    table = {**default_table(), ("verifying", "pass_verification"): "delisted"}

    def planted(state: str, trigger: str) -> str | None:
        return table.get((state, trigger))

    every_pair = [(s, t) for s in STATES for t in TRIGGERS]
    assert disagreements(planted, TRANSITIONS.fire, every_pair) == [
        ("verifying", "pass_verification", "delisted", "accepted")]
    # The random-walk property finds it too, and shrinks it to the shortest walk.
    found = find(walks, lambda w: bool(disagreements(
        planted, TRANSITIONS.fire, walk(w[0], w[1], planted))))
    assert walk(found[0], found[1], planted)[-1] == ("verifying", "pass_verification")
    # A missing edge is caught as well.
    short = {k: v for k, v in default_table().items() if k != ("delisted", "reopen")}

    def missing(state: str, trigger: str) -> str | None:
        return short.get((state, trigger))

    assert disagreements(missing, TRANSITIONS.fire, every_pair) == [
        ("delisted", "reopen", None, "supported")]


# -- the definition's checks ---------------------------------------------------


def _with(states: Sequence[StateDef] = (), triggers: Sequence[TriggerDef] = (),
          **changes: object) -> Workflow:
    return attrs.evolve(WORKFLOW, states=(*WORKFLOW.states, *states),
                        triggers=(*WORKFLOW.triggers, *triggers), **changes)


def _only(workflow: Workflow) -> Problem:
    problems = workflow.check()
    assert len(problems) == 1, problems
    with pytest.raises(WorkflowDefinitionError) as raised:
        build_machine(workflow)
    assert raised.value.problems == tuple(problems)
    return problems[0]


def test_the_shipped_workflow_is_sound() -> None:
    """The shipped definition has no defect, and every guard it names is documented."""
    assert WORKFLOW.check() == []
    for trigger in WORKFLOW.triggers:
        assert set(trigger.guards) <= set(GUARDS), trigger.name
        assert trigger.zh.strip()
        assert trigger.en.strip()


def test_check_reports_an_unreachable_state() -> None:
    """A state nothing leads to is reported by name."""
    problem = _only(_with([StateDef("limbo", "悬置", "limbo")],
                          [TriggerDef("leave_limbo", ("limbo",), "delisted", "离开", "leave")]))
    assert (problem.location, problem.got) == ("state limbo", "unreachable")


def test_check_reports_a_dead_end() -> None:
    """A non-final state without a trigger leaving it is reported by name."""
    problem = _only(_with([StateDef("stuck", "卡住", "stuck")],
                          [TriggerDef("get_stuck", ("planned",), "stuck", "卡住", "get stuck")]))
    assert (problem.location, problem.got) == ("state stuck", "dead end")


def test_check_reports_an_unknown_state() -> None:
    """A trigger naming an undeclared state is reported with the trigger and the name."""
    problem = _only(_with(triggers=[TriggerDef("vanish", ("planned",), "nowhere", "消失",
                                               "vanish")]))
    assert (problem.location, problem.got) == ("trigger vanish", "nowhere")
    problem = _only(_with(triggers=[TriggerDef("appear", ("ghost",), "planned", "出现",
                                               "appear")]))
    assert (problem.location, problem.got) == ("trigger appear", "ghost")


def test_check_reports_a_state_with_no_path_to_a_final_state() -> None:
    """States that only cycle among themselves are each reported as having no way out."""
    loop = _with([StateDef("loop_a", "循环甲", "a"), StateDef("loop_b", "循环乙", "b")],
                 [TriggerDef("enter_loop", ("planned",), "loop_a", "进入", "enter"),
                  TriggerDef("go_b", ("loop_a",), "loop_b", "到乙", "to b"),
                  TriggerDef("go_a", ("loop_b",), "loop_a", "到甲", "to a")])
    problems = loop.check()
    assert {(p.location, p.got) for p in problems} == {("state loop_a", "none"),
                                                      ("state loop_b", "none")}


def test_check_reports_an_undocumented_trigger() -> None:
    """A trigger without its English or Chinese label is reported by name."""
    problem = _only(_with(triggers=[TriggerDef("mystery", ("planned",), "supported", "",
                                               "mystery")]))
    assert problem.location == "trigger mystery"
    problem = _only(_with(triggers=[TriggerDef("mystery", ("planned",), "supported", "谜",
                                               " ")]))
    assert problem.location == "trigger mystery"


def test_check_reports_definition_level_defects() -> None:
    """Duplicate state names, an undeclared initial state and no final state are reported."""
    duplicate = _with([StateDef("planned", "重复", "duplicate")])
    assert any(p.location == "states" and p.expected == "unique state names"
               for p in duplicate.check())
    assert any(p.location == "initial" for p in _with(initial="nowhere").check())
    no_final = attrs.evolve(WORKFLOW, states=tuple(attrs.evolve(s, final=False)
                                                    for s in WORKFLOW.states))
    assert any(p.got == "none" and p.location == "states" for p in no_final.check())
