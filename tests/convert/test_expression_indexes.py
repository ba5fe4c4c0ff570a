"""Indexes and filters in expressions compile to Argo's expression language and evaluate as on GitHub."""

from __future__ import annotations

import json

import pytest

from wfsync.convert.gha.compiler import to_argo, to_argo_condition
from wfsync.convert.gha.expressions import evaluate, parse
from wfsync.convert.gha.translate import Scope
from wfsync.expressions import exprlang

EVENT = {
    "commits": [{"message": "first"}, {"message": "second"}],
    "pull_request": {"labels": [{"name": "Bug"}, {"name": "docs"}]},
}
NEEDS = {"y": json.dumps([5, {"k": "v"}]), "key": "k"}


def _argo(expression: str, *, condition: bool = False) -> object:
    scope = Scope("job", task_names={"x": "x"})
    compiled = (to_argo_condition if condition else to_argo)(expression, scope)
    env = {
        "workflow": {"parameters": {"github-event": json.dumps(EVENT)}},
        "inputs": {"parameters": {"needs-x": json.dumps(NEEDS)}},
    }
    return exprlang.evaluate(compiled, env)


def _github(expression: str) -> object:
    return evaluate(parse(expression), {"github": {"event": EVENT}, "needs": {"x": {"outputs": NEEDS}}})


@pytest.mark.parametrize(
    "expression",
    [
        "fromJSON(needs.x.outputs.y)[0]",
        "fromJSON(needs.x.outputs.y)[1].k",
        "fromJSON(needs.x.outputs.y)[1][needs.x.outputs.key]",
        "github.event.commits[1].message",
        "github.event.commits.*.message",
        "github.event.pull_request.labels.*.name",
    ],
)
def test_indexes_and_filters_give_githubs_value(expression: str) -> None:
    expected = _github(expression)
    got = _argo(expression)
    assert (list(got) if isinstance(got, (list, tuple)) else got) == (
        list(expected) if isinstance(expected, (list, tuple)) else expected
    )


@pytest.mark.parametrize(("label", "found"), [("bug", True), ("DOCS", True), ("feature", False)])
def test_contains_over_a_filter_is_an_item_match(label: str, found: bool) -> None:
    expression = f"contains(github.event.pull_request.labels.*.name, '{label}')"
    assert _github(expression) is found
    assert _argo(expression, condition=True) is found
