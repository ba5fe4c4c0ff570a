"""DAG `dependencies` / `depends` (argo-semantics.md section 3.2)."""

from __future__ import annotations

import pytest

from wfsync.expressions.depends import (
    DependsError,
    TaskResult,
    depends_on,
    evaluate_depends,
    expand_dependencies,
    expand_depends,
    task_logic,
)

OK = TaskResult("Succeeded")
FAILED = TaskResult("Failed")
ERROR = TaskResult("Error")
SKIPPED = TaskResult("Skipped")
OMITTED = TaskResult("Omitted")


def test_expand_dependencies_with_continue_on() -> None:
    assert expand_dependencies(["A", "B"]) == (
        "(A.Succeeded || A.Skipped || A.Daemoned) && (B.Succeeded || B.Skipped || B.Daemoned)"
    )
    assert expand_dependencies(["A"], {"A": {"failed": True, "error": True}}) == (
        "(A.Succeeded || A.Skipped || A.Daemoned || A.Errored || A.Failed)"
    )
    assert expand_dependencies([]) == ""


def test_bare_names_in_depends_expand_but_results_stay() -> None:
    assert expand_depends("A && B.Failed") == "(A.Succeeded || A.Skipped || A.Daemoned) && B.Failed"
    assert task_logic(None, ["x-y"]) == "(x-y.Succeeded || x-y.Skipped || x-y.Daemoned)"
    assert task_logic("A", ["ignored"]) == "(A.Succeeded || A.Skipped || A.Daemoned)"


def test_depends_on_lists_task_names() -> None:
    assert depends_on("A && (C.Succeeded || C.Failed)") == {"A", "C"}
    assert depends_on("should-execute-2.Succeeded || should-not-execute") == {
        "should-execute-2",
        "should-not-execute",
    }
    assert depends_on("b2 && b3 && b4") == {"b2", "b3", "b4"}


@pytest.mark.parametrize(
    ("depends", "results", "expected"),
    [
        ("A", {"A": OK}, True),
        ("A", {"A": SKIPPED}, True),
        ("A", {"A": FAILED}, False),
        ("A", {"A": OMITTED}, False),  # omission cascades
        ("A", {"A": TaskResult("Running", daemoned=True)}, True),
        ("A", {"A": TaskResult("Pending", daemoned=True)}, False),
        ("B.Failed && C", {"B": FAILED, "C": OK}, True),
        ("A && (C.Succeeded || C.Failed)", {"A": OK, "C": FAILED}, True),
        ("A.Errored", {"A": ERROR}, True),
        ("A.Omitted", {"A": OMITTED}, True),
        ("B || C", {"B": FAILED, "C": SKIPPED}, True),
        (
            "should-execute-2.Succeeded || should-not-execute",
            {"should-execute-2": OK, "should-not-execute": FAILED},
            True,
        ),
        ("L.AnySucceeded", {"L": TaskResult("Failed", child_phases=("Failed", "Succeeded"))}, True),
        ("L.AllFailed", {"L": TaskResult("Failed", child_phases=("Failed", "Failed"))}, True),
        ("L.AllFailed", {"L": TaskResult("Failed", child_phases=("Failed", "Error"))}, False),
        ("L.AllFailed", {"L": TaskResult("Succeeded", child_phases=())}, False),
        ("!A.Succeeded", {"A": FAILED}, True),
    ],
)
def test_evaluate_depends(depends: str, results: dict[str, TaskResult], expected: bool) -> None:
    assert evaluate_depends(depends, results) is expected


def test_continue_on_applies_to_bare_names() -> None:
    assert evaluate_depends("A", {"A": FAILED}, {"A": {"failed": True}}) is True
    assert evaluate_depends("A", {"A": ERROR}, {"A": {"failed": True}}) is False


def test_hyphenated_names_are_evaluated_through_underscores() -> None:
    # Argo replaces '-' with '_' in both the logic and the scope before evaluating.
    assert evaluate_depends("a-b.Failed && c-d", {"a-b": FAILED, "c-d": OK}) is True
    with pytest.raises(DependsError, match="a_b.Failed"):
        evaluate_depends("a-b.Failed && x", {"a-b": FAILED})


@pytest.mark.parametrize(
    ("depends", "message"),
    [
        ("A.Finished", "has no field Finished"),
        ("A && B", "unknown name B"),
        ("A.Succeeded ||", "unexpected token"),
    ],
)
def test_depends_errors(depends: str, message: str) -> None:
    with pytest.raises(DependsError, match=message):
        evaluate_depends(depends, {"A": OK})
