"""A DAG's shape without running it: dependencies, leaves and ancestry of its tasks."""

from __future__ import annotations

from typing import Any

from wfsync.engine.dag_graph import DagShape


def _dag(*tasks: dict[str, Any]) -> DagShape:
    return DagShape({"dag": {"tasks": list(tasks)}})


DIAMOND = _dag(
    {"name": "a"},
    {"name": "b", "dependencies": ["a"]},
    {"name": "c", "depends": "a.Succeeded || a.Failed"},
    {"name": "d", "depends": "(c && b.Succeeded) || missing"},
)


def test_dependencies_from_depends_and_dependencies_unknown_names_dropped() -> None:
    assert DIAMOND.deps("a") == []
    assert DIAMOND.deps("b") == ["a"]
    assert DIAMOND.deps("c") == ["a"]
    assert DIAMOND.deps("d") == ["b", "c"]


def test_logic_is_empty_only_without_dependencies() -> None:
    assert DIAMOND.logic("a") == ""
    assert DIAMOND.logic("b")
    assert "a.Failed" in DIAMOND.logic("c")


def test_leaves_are_the_tasks_nobody_depends_on_sorted() -> None:
    shape = _dag({"name": "z"}, {"name": "y", "dependencies": ["z"]}, {"name": "x"})
    assert shape.leaves() == ["x", "y"]
    assert DIAMOND.leaves() == ["d"]


def test_ancestors_are_transitive_and_listed_once() -> None:
    assert sorted(DIAMOND.ancestors("d")) == ["a", "b", "c"]
    assert DIAMOND.ancestors("a") == []


def test_an_empty_dag_has_no_tasks() -> None:
    shape = DagShape({"dag": {}})
    assert shape.tasks == {}
    assert shape.leaves() == []
