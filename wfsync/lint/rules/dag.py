"""The shape of a DAG template: task names, dependencies, cycles, target, ancestors.

What a task may refer to (``tasks.X.outputs``) is every task it waits for, directly or not; a
5,000-task chain must stay cheap, so cycles are found iteratively and ancestry only as far as a
membership test needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet

from wfsync.lint.rules.names import field_name_problem
from wfsync.lint.rules.parts import Fields
from wfsync.model.depends import task_dependencies
from wfsync.model.findings import JsonPath

Problem = tuple[JsonPath, str, str]
Tasks = dict[str, tuple[int, Fields]]
"""Task name to its index in ``dag.tasks`` and the task (first of each name)."""


def dag_tasks(tasks_raw: list[object], dpath: JsonPath, tasks: Tasks) -> Iterator[Problem]:
    """Fill ``tasks`` (first task of each name); duplicate and malformed names are problems."""
    for index, task in enumerate(tasks_raw):
        if not isinstance(task, dict) or not isinstance(task.get("name"), str):
            continue
        name = task["name"]
        tpath = (*dpath, "tasks", index)
        if name in tasks:
            yield (*tpath, "name"), "step-duplicate", f"task name {name!r} is not unique"
            continue
        tasks[name] = (index, task)
        problem = field_name_problem(name)
        if problem:
            yield (*tpath, "name"), "name-format", f"task name {name!r} {problem}"


def mixed_dependencies(tasks: Tasks, dpath: JsonPath) -> tuple[bool, list[Problem]]:
    """Whether the DAG declares dependencies at all, and the problem of using both styles."""
    uses_depends = any(t.get("depends") is not None for _, t in tasks.values())
    uses_deps = any(t.get("dependencies") is not None for _, t in tasks.values())
    problems: list[Problem] = []
    if uses_depends and uses_deps:
        problems.append(
            (
                dpath,
                "dag-depends-mixed",
                "cannot use both 'depends' and 'dependencies' in the same DAG template",
            )
        )
    return uses_depends or uses_deps, problems


def task_problems(
    name: str, task: Fields, tpath: JsonPath, tasks: Tasks, declared: bool, deps: dict[str, set[str]]
) -> Iterator[Problem]:
    """One task's name and dependency problems; records its dependencies in ``deps``."""
    if declared and name[:1].isdigit():
        yield (
            (*tpath, "name"),
            "dag-task-name-digit",
            f"task name {name!r} cannot begin with a digit when using either 'depends' or 'dependencies'",
        )
    if task.get("depends") is not None and task.get("continueOn") is not None:
        yield (
            tpath,
            "dag-depends-mixed",
            f"task {name!r}: continueOn cannot be used together with depends",
        )
    deps[name] = task_dependencies(task)
    for dep in sorted(deps[name]):
        if dep not in tasks:
            where = "dependencies" if task.get("dependencies") is not None else "depends"
            yield (
                (*tpath, where),
                "dag-dependency-missing",
                f"task {name!r} depends on unknown task {dep!r}",
            )


def graph_problems(
    deps: Mapping[str, set[str]], dag: object, dpath: JsonPath, tasks: Tasks
) -> Iterator[Problem]:
    """A dependency cycle, and ``dag.target`` names that are no task."""
    cycle = _find_cycle(deps)
    if cycle:
        yield dpath, "dag-cycle", "dependency cycle: " + " -> ".join(cycle)
    target = dag.get("target") if isinstance(dag, dict) else None
    if isinstance(target, str) and "{{" not in target:
        for t in target.split():
            if t not in tasks:
                yield (*dpath, "target"), "dag-target-missing", f"target task {t!r} does not exist"


def _find_cycle(deps: Mapping[str, set[str]]) -> list[str] | None:
    """One dependency cycle (as a path of task names) or None.

    Iterative depth-first search (an explicit stack, not recursion: a 10,000-task chain is
    fine), visiting names and dependencies in sorted order.
    """
    state: dict[str, int] = {}
    for root in sorted(deps):
        if root in state:
            continue
        state[root] = 1
        path = [root]
        pending = [iter(sorted(deps.get(root, ())))]
        while pending:
            dep = next(pending[-1], None)
            if dep is None:
                state[path.pop()] = 2
                pending.pop()
                continue
            if dep not in deps:
                continue
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state:
                state[dep] = 1
                path.append(dep)
                pending.append(iter(sorted(deps.get(dep, ()))))
    return None


class _Ancestry(AbstractSet[str]):
    """A task's transitive dependencies, explored only as far as a membership test needs.

    Lint asks only whether a referenced task is an ancestor: building every task's full set
    was quadratic on long chains (12.5 million entries for a 5,000-task chain).
    """

    def __init__(self, deps: Mapping[str, set[str]], task: str) -> None:
        self._deps = deps
        self._task = task
        self._seen: set[str] = set()
        self._frontier = [task]

    def _explore(self, until: str | None) -> None:
        while self._frontier:
            if until is not None and until in self._seen:
                return
            for dep in self._deps.get(self._frontier.pop(), ()):
                if dep in self._deps and dep not in self._seen and dep != self._task:
                    self._seen.add(dep)
                    self._frontier.append(dep)

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str) and name not in self._seen:
            self._explore(name)
        return name in self._seen

    def __iter__(self) -> Iterator[str]:
        self._explore(None)
        return iter(self._seen)

    def __len__(self) -> int:
        self._explore(None)
        return len(self._seen)

    @classmethod
    def _from_iterable(cls, it: Iterable[str]) -> set[str]:  # type: ignore[override]
        return set(it)


def _ancestors(deps: Mapping[str, set[str]]) -> dict[str, AbstractSet[str]]:
    """Every task's transitive dependencies, lazily (cycles tolerated; reported elsewhere)."""
    return {node: _Ancestry(deps, node) for node in deps}
