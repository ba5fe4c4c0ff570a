"""One parser of DAG dependencies (``depends`` and ``dependencies``) and the graph they make.

Task names in ``depends`` follow Argo's ``taskNameRegex`` (``workflow/common/ancestry.go``):
``[a-zA-Z0-9][-a-zA-Z0-9]*`` — letters, digits and ``-`` only, which is also what Argo's
validation allows in a task name. ``A.Succeeded`` is task ``A`` with a result; anything else
(``&&``, ``||``, ``!``, parentheses, ``_`` and ``.`` between words) separates names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

TASK_NAME = re.compile(r"([a-zA-Z0-9][-a-zA-Z0-9]*?\.[A-Z][a-zA-Z]+)|([a-zA-Z0-9][-a-zA-Z0-9]*)")
"""Argo's ``taskNameRegex``: group 1 is ``task.Result``, group 2 a bare task name."""

RESULTS = frozenset(
    {"Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed"}
)
"""The task results ``depends`` may name (``common.TaskResult``)."""


def depends_terms(expression: str) -> Iterator[tuple[str, str, re.Match[str]]]:
    """Each task reference of a ``depends`` expression: (task, result or '', match)."""
    for match in TASK_NAME.finditer(expression):
        if match.group(1) is not None:
            task, _, result = match.group(1).partition(".")
            yield task, result, match
        else:
            yield match.group(2), "", match


def depends_names(expression: str) -> set[str]:
    """The task names a ``depends`` expression refers to (``A.Failed || B`` gives A and B)."""
    return {task for task, _, _ in depends_terms(expression)}


def task_dependencies(task: Mapping[str, object]) -> set[str]:
    """Every task a DAG task waits for, from ``dependencies`` and ``depends``."""
    deps = task.get("dependencies")
    names = {d for d in deps if isinstance(d, str)} if isinstance(deps, list) else set()
    depends = task.get("depends")
    if isinstance(depends, str):
        names |= depends_names(depends)
    return names


class DagGraph:
    """The dependency graph of a DAG's tasks: who waits for whom, leaves and a cycle, if any."""

    def __init__(self, tasks: Iterable[object]) -> None:
        self.tasks: dict[str, Mapping[str, object]] = {
            t["name"]: t for t in tasks if isinstance(t, Mapping) and isinstance(t.get("name"), str)
        }
        self.deps: dict[str, set[str]] = {name: task_dependencies(t) for name, t in self.tasks.items()}
        """Each task's dependencies as written (unknown names included)."""

    def unknown(self, name: str) -> list[str]:
        """The dependencies of ``name`` that are no task of this DAG, sorted."""
        return sorted(d for d in self.deps.get(name, ()) if d not in self.tasks)

    def leaves(self) -> list[str]:
        """Tasks nobody depends on, sorted (``findLeafTaskNames``)."""
        depended = {d for deps in self.deps.values() for d in deps}
        return sorted(name for name in self.tasks if name not in depended)

    def cycle(self) -> list[str] | None:
        """One dependency cycle as a path of names (first name repeated at the end), or None.

        Iterative depth-first search in sorted order, so the answer is stable and deep chains
        cost no Python stack.
        """
        state: dict[str, int] = {}  # 1 on the current path, 2 done
        for root in sorted(self.tasks):
            if state.get(root):
                continue
            path: list[str] = []
            stack: list[tuple[str, Iterator[str]]] = [(root, iter(self._known(root)))]
            state[root] = 1
            path.append(root)
            while stack:
                name, children = stack[-1]
                child = next(children, None)
                if child is None:
                    stack.pop()
                    path.pop()
                    state[name] = 2
                elif state.get(child) == 1:
                    return [*path[path.index(child) :], child]
                elif not state.get(child):
                    state[child] = 1
                    path.append(child)
                    stack.append((child, iter(self._known(child))))
        return None

    def _known(self, name: str) -> list[str]:
        return sorted(d for d in self.deps.get(name, ()) if d in self.tasks)
