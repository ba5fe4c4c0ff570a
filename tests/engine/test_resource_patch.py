"""The kubectl patch arithmetic of resource templates (pure functions, no cluster)."""

from __future__ import annotations

import pytest

from wfsync.engine.executor import Unsupported
from wfsync.engine.resource_manifest import ResourceFailed
from wfsync.engine.resource_patch import patched, three_way


def test_merge_patch_sets_nested_fields_deletes_nulls_and_leaves_the_original() -> None:
    obj: dict[str, object] = {"metadata": {"labels": {"a": "1", "b": "2"}}, "data": {"k": "v"}}
    out = patched(obj, {"metadata": {"labels": {"a": None, "c": "3"}}, "data": {"k": "w"}}, "merge")
    assert out == {"metadata": {"labels": {"b": "2", "c": "3"}}, "data": {"k": "w"}}
    assert obj == {"metadata": {"labels": {"a": "1", "b": "2"}}, "data": {"k": "v"}}


def test_json_patch_add_replace_remove_and_test() -> None:
    obj: dict[str, object] = {"spec": {"items": [1, 2], "x": 1}}
    ops = [
        {"op": "add", "path": "/spec/items/-", "value": 3},
        {"op": "replace", "path": "/spec/x", "value": 9},
        {"op": "remove", "path": "/spec/items/0"},
        {"op": "test", "path": "/spec/x", "value": 9},
    ]
    assert patched(obj, ops, "json") == {"spec": {"items": [2, 3], "x": 9}}


@pytest.mark.parametrize(
    ("op", "message"),
    [
        ({"op": "remove", "path": "/spec/missing"}, "remove operation does not apply"),
        ({"op": "remove", "path": "/spec/x/0"}, "remove operation does not apply"),
        ({"op": "replace", "path": "/spec/missing", "value": 1}, "doc is missing key"),
        ({"op": "test", "path": "/spec/x", "value": 2}, "testing value /spec/x failed"),
        ({"op": "add", "path": "/nope/deeper", "value": 1}, "doc is missing path"),
    ],
)
def test_json_patch_failures_fail_the_node_with_kubectls_words(op: dict[str, object], message: str) -> None:
    with pytest.raises(ResourceFailed, match=message):
        patched({"spec": {"x": 1}}, [op], "json")


def test_strategic_patch_of_lists_and_unknown_ops_are_refused_not_guessed() -> None:
    with pytest.raises(Unsupported):
        patched({"spec": {}}, {"spec": {"containers": [{"name": "a"}]}}, "strategic")
    with pytest.raises(Unsupported):
        patched({"spec": {}}, [{"op": "move", "path": "/spec", "from": "/x"}], "json")


def test_three_way_removes_what_the_last_apply_set_and_the_new_one_drops() -> None:
    last = {"metadata": {"labels": {"a": "1", "gone": "x"}}, "data": {"k": "v"}, "old": 1}
    new = {"metadata": {"labels": {"a": "2"}}, "data": {"k": "v"}}
    patch = three_way(last, new)
    assert patch == {"old": None, "metadata": {"labels": {"gone": None, "a": "2"}}, "data": {"k": "v"}}
    # applied to what the server holds (another writer's field stays), it gives the new manifest's fields
    live: dict[str, object] = {**last, "status": {"phase": "x"}}
    assert patched(live, patch, "merge") == {**new, "status": {"phase": "x"}}
