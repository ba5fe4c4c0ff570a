"""The shape of a DAG template: each task's dependencies, ``depends`` logic, leaves and ancestry.

Pure (no node state), so it is worked out once per DAG node and kept across passes: doing it
again on every pass cost ~25 ms per pass for a 500-task DAG, and every node created in that
pass waited for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from wfsync.expressions.depends import depends_on, task_logic

_WORD = re.compile(r"[A-Za-z0-9_][-A-Za-z0-9_]*")


class DagShape:
    """What a DAG node's tasks are and how they depend on each other (fixed once the node exists)."""

    def __init__(self, tmpl: Mapping[str, Any]) -> None:
        self.tasks: dict[str, dict[str, Any]] = {
            t["name"]: t for t in (tmpl.get("dag") or {}).get("tasks") or []
        }
        self._deps: dict[str, list[str]] = {}
        self._logic: dict[str, str] = {}
        self._leaves: list[str] | None = None
        self._ancestors: dict[str, list[str]] = {}
        self.ids: dict[str, str] = {}
        """Node ID of each task's node (``<dag>.<task>``)."""
        self._dependants: dict[str, list[str]] | None = None
        self._orders: dict[str, dict[str, int]] = {}
        self._referenced: dict[str, list[str]] = {}
        self._plain_names = all(_WORD.fullmatch(name) for name in self.tasks)

    def deps(self, task: str) -> list[str]:
        """The tasks ``task`` names in ``depends`` or ``dependencies`` (unknown names dropped)."""
        if task not in self._deps:
            spec = self.tasks[task]
            if spec.get("depends"):
                names = sorted(depends_on(str(spec["depends"])))
            else:
                names = list(spec.get("dependencies") or [])
            self._deps[task] = [n for n in names if n in self.tasks]
            continue_on = {n: self.tasks[n].get("continueOn") for n in self._deps[task]}
            self._logic[task] = task_logic(spec.get("depends"), spec.get("dependencies"), continue_on)
        return self._deps[task]

    def logic(self, task: str) -> str:
        """The task's dependency logic as an expression ("" when it depends on nothing)."""
        self.deps(task)
        return self._logic[task]

    def leaves(self) -> list[str]:
        """``findLeafTaskNames``: tasks nobody depends on, sorted."""
        if self._leaves is None:
            depended = {d for name in self.tasks for d in self.deps(name)}
            self._leaves = sorted(name for name in self.tasks if name not in depended)
        return self._leaves

    def ancestors(self, task: str) -> list[str]:
        """Every task ``task`` depends on, transitively (``GetTaskAncestry``)."""
        cached = self._ancestors.get(task)
        if cached is not None:
            return cached
        seen: list[str] = []
        known: set[str] = set()
        stack = list(self.deps(task))
        while stack:
            name = stack.pop()
            if name in known:
                continue
            known.add(name)
            seen.append(name)
            stack.extend(self.deps(name))
        self._ancestors[task] = seen
        return seen

    def dependants(self, task: str) -> list[str]:
        """The tasks that name ``task`` in their ``depends`` or ``dependencies``."""
        if self._dependants is None:
            self._dependants = {name: [] for name in self.tasks}
            for name in self.tasks:
                for dep in self.deps(name):
                    self._dependants[dep].append(name)
        return self._dependants[task]

    def visit_order(self, targets: list[str]) -> dict[str, int]:
        """Each task reached from ``targets`` through dependencies, numbered in visiting order.

        The order is the one in which ``executeDAGTask`` finishes visiting them: dependencies
        first, targets in order.

        Iterative (an explicit stack): a 10,000-task chain must not exhaust Python's stack.
        A task always comes after its dependencies, which is what lets a pass visit only the
        tasks that can change, in Argo's order, instead of walking from every target.
        """
        key = " ".join(targets)
        cached = self._orders.get(key)
        if cached is not None:
            return cached
        order: dict[str, int] = {}
        entered: set[str] = set()
        for target in targets:
            if target in entered or target not in self.tasks:
                continue
            entered.add(target)
            stack = [(target, iter(self.deps(target)))]
            while stack:
                name, pending = stack[-1]
                dep = next(pending, None)
                if dep is None:
                    stack.pop()
                    order[name] = len(order)
                elif dep not in entered:
                    entered.add(dep)
                    stack.append((dep, iter(self.deps(dep))))
        self._orders[key] = order
        return order

    def referenced_ancestors(self, task: str) -> list[str]:
        """The ancestors of ``task`` its spec names (``tasks.<name>...``): all a scope needs.

        ``buildLocalScopeFromTask`` adds every ancestor, which is quadratic over a chain; only
        names that occur in the task (its arguments, ``when``, hooks) can be looked up, so
        only those are added. A task name outside ``[A-Za-z0-9_-]`` falls back to all.
        """
        cached = self._referenced.get(task)
        if cached is not None:
            return cached
        text = json.dumps(self.tasks[task], default=str)
        if "tasks" not in text:
            names: set[str] = set()
        elif self._plain_names:
            names = {w for w in _WORD.findall(text) if w in self.tasks and w != task}
        else:
            names = set(self.tasks) - {task}
        found: list[str] = []
        known: set[str] = set()
        stack = list(self.deps(task)) if names else []
        while stack and len(found) < len(names):  # stop once every named task is found
            name = stack.pop()
            if name in known:
                continue
            known.add(name)
            if name in names:
                found.append(name)
            stack.extend(self.deps(name))
        self._referenced[task] = found
        return found


class DagProgress:
    """Which tasks of one DAG node a pass must visit; kept across passes.

    ``open`` tasks may change: started and not yet fulfilled, fulfilled but with hooks, or
    not started with a dependency fulfilled. A task joins when its first dependency is
    fulfilled (or at once when it has none) and leaves when it is fulfilled without hooks
    (``settled``), so a pass costs what can still move, not the whole DAG. A task whose node
    can change only when a worker reports (a running pod, say) leaves ``open`` to sleep, and
    comes back when that node is stirred.
    """

    def __init__(self, shape: DagShape, targets: list[str]) -> None:
        self.order = shape.visit_order(targets)
        self.open: set[str] = {name for name in self.order if not shape.deps(name)}
        self.settled: set[str] = set()
        self.released: set[str] = set()
        """Fulfilled tasks whose dependants were opened."""
        self.hooked = {name for name in self.order if _hooked(shape.tasks[name])}
        """Tasks with lifecycle or exit hooks: visited until the DAG ends."""
        self.asleep = 0
        """How many unfinished tasks sleep (left ``open``) until their node is stirred."""

    @property
    def dozing(self) -> bool:
        """Every open task sleeps: the DAG can change only when one of them is stirred."""
        return not self.open and self.asleep > 0

    def wake(self, task: str) -> None:
        """The sleeping ``task`` can change: the next pass visits it."""
        self.open.add(task)
        self.asleep -= 1


def _hooked(task: Mapping[str, object]) -> bool:
    return bool(task.get("hooks") or task.get("onExit"))
