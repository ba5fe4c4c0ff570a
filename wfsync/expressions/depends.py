"""DAG dependency logic: ``dependencies`` lists, enhanced ``depends`` and their evaluation.

Follows ``workflow/common/ancestry.go`` and ``dag.go`` ``evaluateDependsLogic``: a bare task name
means ``(A.Succeeded || A.Skipped || A.Daemoned)`` (plus ``A.Errored`` / ``A.Failed`` when that
task has ``continueOn``), Omitted never satisfies it, ``-`` in names becomes ``_`` before the
expression is evaluated with expr-lang, and the result must be a bool.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping

from wfsync.errors import ExitCode, WfsyncError
from wfsync.expressions import exprlang
from wfsync.expressions.exprlang import ast
from wfsync.model.depends import TASK_NAME, depends_names

RESULT_NAMES = (
    "Succeeded",
    "Failed",
    "Errored",
    "Skipped",
    "Omitted",
    "Daemoned",
    "AnySucceeded",
    "AllFailed",
)


class DependsError(WfsyncError):
    """A ``depends`` expression that cannot be evaluated; ``str()`` reads like Argo's message."""

    exit_code = ExitCode.FINDINGS


@dataclasses.dataclass(frozen=True)
class TaskResult:
    """What a finished dependency looks like to ``depends``.

    ``child_phases`` is set for a TaskGroup (a looped task) and drives ``AnySucceeded`` and
    ``AllFailed``; ``daemoned`` marks a daemon node.
    """

    phase: str
    daemoned: bool = False
    child_phases: tuple[str, ...] | None = None

    def flags(self) -> dict[str, bool]:
        """The eight booleans Argo exposes (``TaskResults`` in ``dag.go``)."""
        children = self.child_phases or ()
        return {
            "Succeeded": self.phase == "Succeeded",
            "Failed": self.phase == "Failed",
            "Errored": self.phase == "Error",
            "Skipped": self.phase == "Skipped",
            "Omitted": self.phase == "Omitted",
            "Daemoned": self.daemoned and self.phase != "Pending",
            "AnySucceeded": any(p == "Succeeded" for p in children),
            "AllFailed": bool(children) and all(p == "Failed" for p in children),
        }


def _continue_on_flag(continue_on: object, name: str) -> bool:
    if continue_on is None:
        return False
    if isinstance(continue_on, Mapping):
        return bool(continue_on.get(name))
    return bool(getattr(continue_on, name, False))


def expand_dependency(name: str, continue_on: object = None) -> str:
    """``(A.Succeeded || A.Skipped || A.Daemoned [|| A.Errored] [|| A.Failed])`` for one task."""
    results = ["Succeeded", "Skipped", "Daemoned"]
    if _continue_on_flag(continue_on, "error"):
        results.append("Errored")
    if _continue_on_flag(continue_on, "failed"):
        results.append("Failed")
    return "(" + " || ".join(f"{name}.{result}" for result in results) + ")"


def expand_dependencies(deps: Iterable[str], continue_on: Mapping[str, object] | None = None) -> str:
    """The ``depends`` logic equivalent to ``dependencies: [...]``; ``continue_on`` maps task name to its continueOn."""
    continue_on = continue_on or {}
    return " && ".join(expand_dependency(dep, continue_on.get(dep)) for dep in deps)


def expand_depends(depends: str, continue_on: Mapping[str, object] | None = None) -> str:
    """Replace bare task names in ``depends`` by their default expansion (``GetTaskDependencies``)."""
    continue_on = continue_on or {}
    pieces: list[str] = []
    last = 0
    for match in TASK_NAME.finditer(depends):
        if match.group(2) is not None:
            pieces.append(depends[last : match.start()])
            pieces.append(expand_dependency(match.group(2), continue_on.get(match.group(2))))
            last = match.end()
    pieces.append(depends[last:])
    return "".join(pieces)


def depends_on(depends: str) -> set[str]:
    """The task names a ``depends`` expression refers to (``A`` in ``A.Failed || A``)."""
    return depends_names(depends)


def task_logic(
    depends: str | None, dependencies: Iterable[str] | None, continue_on: Mapping[str, object] | None = None
) -> str:
    """A task's full dependency logic from its ``depends`` or ``dependencies`` ("" when it has none)."""
    if depends:
        return expand_depends(depends, continue_on)
    return expand_dependencies(dependencies or (), continue_on)


def _check_members(node: ast.Node, logic: str) -> None:
    if isinstance(node, ast.Member) and isinstance(node.prop, ast.Literal):
        if isinstance(node.obj, ast.Identifier) and node.prop.value not in RESULT_NAMES:
            raise DependsError(
                f"unable to evaluate expression '{logic}': type common.TaskResults has no field {node.prop.value}"
            )
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        children = value if isinstance(value, tuple) else (value,)
        for child in children:
            if isinstance(child, ast.Node):
                _check_members(child, logic)


@functools.lru_cache(maxsize=2048)
def _checked_program(logic: str) -> exprlang.Program:
    program = exprlang.compile(logic)
    _check_members(program.tree, logic)
    return program


def evaluate_depends(
    depends: str, results: Mapping[str, TaskResult], continue_on: Mapping[str, object] | None = None
) -> bool:
    """Whether a task whose dependencies have all finished should run (``evaluateDependsLogic``).

    ``depends`` may hold bare task names; they are expanded first (``continue_on`` gives each
    dependency's continueOn). ``results`` holds every referenced task, keyed by its real name.
    """
    logic = expand_depends(depends, continue_on).replace("-", "_")
    scope = {name.replace("-", "_"): result.flags() for name, result in results.items()}
    try:
        value = exprlang.evaluate(_checked_program(logic), scope, functions={})
    except exprlang.ExprError as exc:
        raise DependsError(f"unable to evaluate expression '{logic}': {exc}") from None
    if not isinstance(value, bool):
        raise DependsError(f"unable to cast expression result '{value}' to bool")
    return value
