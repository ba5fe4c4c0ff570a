"""The engine at scale: no recursion proportional to a workflow's size, work per pass bounded.

The algorithms are tested directly on 10,000-deep chains (Python's default stack is 1,000
frames); whole runs use sizes that keep the suite fast, with a longer run marked slow.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from wfsync.engine import report
from wfsync.engine import status as st
from wfsync.engine.dag import _Dag
from wfsync.engine.dag_graph import DagProgress, DagShape
from wfsync.engine.logtail import LogTail
from wfsync.engine.run import RunResult
from wfsync.lint.rules.spec import _ancestors, _find_cycle

DEEP = 10_000
NOOP = {"name": "noop", "container": {"image": "busybox", "command": ["true"]}}
SAY = {
    "name": "say",
    "inputs": {"parameters": [{"name": "m"}]},
    "script": {"image": "busybox", "command": ["sh"], "source": "echo '{{inputs.parameters.m}}'"},
}
ARG_ITEM = {"parameters": [{"name": "m", "value": "{{item}}"}]}
ARG_RESULTS = {"parameters": [{"name": "m", "value": "{{steps.echoes.outputs.result}}"}]}


def chain_tasks(count: int, **extra: Any) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = [{"name": "t0", "template": "noop"}]
    tasks += [{"name": f"t{i}", "template": "noop", "depends": f"t{i - 1}", **extra} for i in range(1, count)]
    return tasks


def workflow(name: str, templates: list[dict[str, Any]]) -> str:
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": name},
        "spec": {"entrypoint": "main", "templates": [*templates, NOOP]},
    }
    return yaml.safe_dump(body)


# --- the algorithms, 10,000 deep -----------------------------------------------------------------


def test_visit_order_of_a_deep_chain_is_iterative_and_dependencies_first() -> None:
    assert sys.getrecursionlimit() < DEEP
    shape = DagShape({"dag": {"tasks": chain_tasks(DEEP)}})
    order = shape.visit_order(shape.leaves())
    assert len(order) == DEEP
    assert all(order[f"t{i - 1}"] < order[f"t{i}"] for i in range(1, DEEP))
    progress = DagProgress(shape, shape.leaves())
    assert progress.open == {"t0"}  # only the task with no dependency can start
    assert shape.dependants("t0") == ["t1"]


def test_visit_order_follows_targets_then_dependencies() -> None:
    tasks = [
        {"name": "a", "template": "noop"},
        {"name": "b", "template": "noop", "dependencies": ["a"]},
        {"name": "c", "template": "noop"},
        {"name": "d", "template": "noop", "dependencies": ["c", "b"]},
    ]
    shape = DagShape({"dag": {"tasks": tasks}})
    assert list(shape.visit_order(["d"])) == ["c", "a", "b", "d"]
    assert list(shape.visit_order(["b"])) == ["a", "b"]  # a target leaves the rest out


def test_a_task_scope_holds_only_the_ancestors_it_names() -> None:
    tasks = chain_tasks(DEEP)
    tasks[-1]["arguments"] = {"parameters": [{"name": "p", "value": "{{tasks.t0.outputs.result}}"}]}
    tasks[-2]["when"] = "{{tasks.t9990.status}} == Succeeded"
    shape = DagShape({"dag": {"tasks": tasks}})
    # what a task's text names: the tasks in its ``depends`` and in its tags, nothing between
    assert sorted(shape.referenced_ancestors(f"t{DEEP - 1}")) == ["t0", f"t{DEEP - 2}"]
    assert sorted(shape.referenced_ancestors(f"t{DEEP - 2}")) == ["t9990", f"t{DEEP - 3}"]
    assert shape.referenced_ancestors("t5000") == []  # no ``tasks`` in it: nothing to add
    # a named task that is not an ancestor is not in scope (as in Argo)
    tasks[5]["when"] = "{{tasks.t9.status}} == Succeeded"
    assert DagShape({"dag": {"tasks": tasks}}).referenced_ancestors("t5") == ["t4"]


def test_lint_cycle_and_ancestor_checks_on_a_deep_chain() -> None:
    deps = {f"t{i}": ({f"t{i - 1}"} if i else set()) for i in range(DEEP)}
    assert _find_cycle(deps) is None
    ancestors = _ancestors(deps)
    assert "t0" in ancestors[f"t{DEEP - 1}"]
    assert f"t{DEEP - 1}" not in ancestors["t0"]
    assert len(ancestors["t100"]) == 100
    assert ancestors["t3"] | {"t3"} == {"t0", "t1", "t2", "t3"}
    deps["t0"] = {f"t{DEEP - 1}"}  # close the chain into one long cycle
    cycle = _find_cycle(deps)
    assert cycle is not None and cycle[0] == cycle[-1] and len(cycle) == DEEP + 1


def test_lint_reports_the_same_cycle_as_before() -> None:
    deps = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _find_cycle(deps) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"a"}}) == ["a", "a"]
    assert _find_cycle({"a": {"missing"}}) is None


def test_tree_of_a_deep_nesting_renders_without_recursion() -> None:
    status = st.WorkflowStatus("deep")
    parent = None
    for depth in range(DEEP):  # a DAG calling a DAG calling a DAG ... (a Retry of one is folded)
        name = "deep" if depth == 0 else f"deep.r{depth}"
        node = st.Node(
            id=st.node_id("deep", name),
            name=name,
            display_name=name,
            type="DAG",
            phase="Succeeded",
            boundary_id=parent.id if parent is not None else "",
        )
        status.add(node)
        if parent is not None:
            parent.children.append(node.id)
        parent = node
    rows = report.tree(status)
    assert len(rows) == DEEP
    assert rows[1].prefix == " └─"
    assert rows[2].prefix == "   └─"
    assert rows[-1].node.name == f"deep.r{DEEP - 1}"


def test_log_tail_keeps_the_newest_logs_within_its_budget() -> None:
    logs = LogTail(budget=1000)
    for i in range(10_000):
        logs.append((f"pod{i}", "x" * 99 + "\n"))
    assert logs.size <= 1000
    assert logs[-1][0] == "pod9999"
    assert logs.dropped == 10_000 - len(logs)
    logs.append(("big", "y" * 5000))
    assert logs == [("big", "y" * 1000)]


# --- whole runs: work per pass bounded ---------------------------------------------------------


def count_calls(monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> list[int]:
    calls = [0]
    original: Callable[..., Any] = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def run_text(run_yaml: Callable[..., RunResult], text: str) -> RunResult:
    result = run_yaml(text)
    assert result.status.phase == st.SUCCEEDED, result.status.message
    return result


def test_a_dag_chain_runs_with_task_visits_linear_in_its_length(
    run_yaml: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    count = 1200  # beyond Python's recursion limit: this used to end in RecursionError
    visits = count_calls(monkeypatch, _Dag, "execute_task")
    result = run_text(run_yaml, workflow("chain", [{"name": "main", "dag": {"tasks": chain_tasks(count)}}]))
    assert sum(1 for n in result.status.nodes.values() if n.type == "Pod") == count
    # each task is visited when it becomes ready and when its pod's result comes: not per pass
    assert visits[0] <= 3 * count


def test_a_chain_passes_outputs_down_from_a_named_ancestor(run_yaml: Callable[..., RunResult]) -> None:
    tasks = [
        {"name": "t0", "template": "say", "arguments": {"parameters": [{"name": "m", "value": "first"}]}}
    ]
    tasks += [{"name": f"t{i}", "template": "noop", "depends": f"t{i - 1}"} for i in range(1, 40)]
    tasks.append(
        {
            "name": "last",
            "template": "say",
            "depends": "t39",
            "arguments": {"parameters": [{"name": "m", "value": "{{tasks.t0.outputs.result}}"}]},
        }
    )
    say = {
        "name": "say",
        "inputs": {"parameters": [{"name": "m"}]},
        "script": {"image": "busybox", "command": ["sh"], "source": "echo {{inputs.parameters.m}}"},
    }
    result = run_text(run_yaml, workflow("named", [{"name": "main", "dag": {"tasks": tasks}}, say]))
    last = result.status.by_name("named.last")
    assert last is not None and last.outputs == {"result": "first", "exitCode": "0"}


def test_sequential_steps_run_with_group_visits_linear_in_their_number(
    run_yaml: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    from wfsync.engine.steps import StepsMixin

    count = 400
    groups = count_calls(monkeypatch, StepsMixin, "execute_step_group")
    steps = [[{"name": f"s{i}", "template": "noop"}] for i in range(count)]
    result = run_text(run_yaml, workflow("seq", [{"name": "main", "steps": steps}]))
    assert sum(1 for n in result.status.nodes.values() if n.type == "Pod") == count
    assert groups[0] <= 3 * count  # was count * passes: every group again on every pass


def test_a_loop_of_nested_steps_runs_and_aggregates(run_yaml: Callable[..., RunResult]) -> None:
    items = list(range(60))
    inner = [[{"name": f"s{i}", "template": "noop"}] for i in range(3)]
    main = {
        "name": "main",
        "steps": [
            [{"name": "each", "template": "inner", "withItems": items}],
            [{"name": "echoes", "template": "say", "withItems": ["a", "b", "c"], "arguments": ARG_ITEM}],
            [{"name": "after", "template": "say", "arguments": ARG_RESULTS}],
        ],
    }
    result = run_text(run_yaml, workflow("loop", [main, {"name": "inner", "steps": inner}, SAY]))
    assert sum(1 for n in result.status.nodes.values() if n.type == "Pod") == 3 * len(items) + 4
    after = result.status.by_name("loop[2].after")
    assert after is not None and after.outputs is not None
    assert after.outputs["result"] == '["a","b","c"]'


def test_a_loop_of_nested_steps_visits_each_item_a_bounded_number_of_times(
    run_yaml: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An item waiting on its running pod sleeps: it is visited per change, not per pass.

    Each item is visited when created, after each of its 3 pods ends (to start the next or
    end) and once quietly after each change before it sleeps: at most 7 visits, whatever the
    number of passes. Visiting every waiting item on every pass made it grow with the loop
    (10 per item at 100 items, 21 at 300, measured before the fix).
    """
    from wfsync.engine.scheduler import Operation

    items = 120
    visits: dict[str, int] = {}
    original = Operation.execute_template

    def counted(self: Operation, node_name: str, *args: Any, **kwargs: Any) -> Any:
        if node_name.endswith(")"):  # an item of the loop, ``loop[0].each(<i>:<i>)``
            visits[node_name] = visits.get(node_name, 0) + 1
        return original(self, node_name, *args, **kwargs)

    monkeypatch.setattr(Operation, "execute_template", counted)
    inner = [[{"name": f"s{i}", "template": "noop"}] for i in range(3)]
    main = {
        "name": "main",
        "steps": [[{"name": "each", "template": "inner", "withItems": list(range(items))}]],
    }
    result = run_text(run_yaml, workflow("loop", [main, {"name": "inner", "steps": inner}]))
    assert sum(1 for n in result.status.nodes.values() if n.type == "Pod") == 3 * items
    assert len(visits) == items
    assert max(visits.values()) <= 8, sorted(visits.values())[-5:]


def test_a_fan_out_scans_only_the_tasks_that_can_change(
    run_yaml: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task whose pod runs sleeps until its result comes: passes do not rescan it.

    Summed over all passes, the open tasks a DAG visit starts from are at most a few per task
    (created, woken by its result); scanning every running task on every pass gave ~30 per
    task at 900 tasks before the fix.
    """
    count = 500
    scanned = [0]
    original = _Dag.visit

    def counted(self: _Dag, progress: DagProgress) -> bool:
        scanned[0] += len(progress.open)
        return original(self, progress)

    monkeypatch.setattr(_Dag, "visit", counted)
    tasks = [{"name": f"t{i}", "template": "noop"} for i in range(count)]
    result = run_text(run_yaml, workflow("fan", [{"name": "main", "dag": {"tasks": tasks}}]))
    assert sum(1 for n in result.status.nodes.values() if n.type == "Pod") == count
    assert scanned[0] <= 3 * count


@pytest.mark.slow
def test_a_long_chain_and_long_sequence_succeed(run_yaml: Callable[..., RunResult]) -> None:
    run_text(run_yaml, workflow("chain", [{"name": "main", "dag": {"tasks": chain_tasks(3000)}}]))
    steps = [[{"name": f"s{i}", "template": "noop"}] for i in range(3000)]
    run_text(run_yaml, workflow("seq", [{"name": "main", "steps": steps}]))


def test_the_live_tree_redraws_at_a_bounded_rate() -> None:
    from wfsync.cli.nodetree import LiveTree

    class Recorder:
        def __init__(self) -> None:
            self.draws = 0

        def update(self, *_: object, **__: object) -> None:
            self.draws += 1

    live = LiveTree.__new__(LiveTree)
    recorder = Recorder()
    live._live = recorder  # type: ignore[assignment]
    live._next = 0.0
    live._interval = 0.1
    live.frames = 0
    status = st.WorkflowStatus("wf")
    status.add(st.Node(id="wf", name="wf", display_name="wf", type="Steps", phase="Running"))
    for _ in range(1000):  # the engine calls it after every pass that changed a node
        live.update(status)
    assert recorder.draws == 1


def test_a_boundary_lists_its_own_nodes_for_parallelism_counts() -> None:
    status = st.WorkflowStatus("wf")
    status.add(st.Node(id="wf", name="wf", display_name="wf", type="DAG", phase="Running"))
    for i in range(3):
        status.add(
            st.Node(
                id=f"p{i}",
                name=f"wf.p{i}",
                display_name=f"p{i}",
                type="Pod",
                phase="Running",
                boundary_id="wf",
            )
        )
    assert [n.id for n in status.within("wf")] == ["p0", "p1", "p2"]
    assert status.within("p0") == []
