"""Semantic diff: secret masking never hides a change, and odd list items do not crash it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wfsync.sync.semdiff import REDACTED, REDACTED_CHANGED, field_changes, mask_pair


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    return [c.to_json() for c in field_changes({"spec": before}, {"spec": after})]


def test_an_item_named_by_a_list_is_diffed_by_index_not_a_crash() -> None:
    # the counterexample hypothesis found: ``name: [null]`` is unhashable
    assert _changes({}, {"x": [{"name": [None]}]}) == [
        {"path": "spec.x", "change": "added", "after": [{"name": [None]}]}
    ]
    assert _changes({"x": [{"name": ["a"], "v": 1}]}, {"x": [{"name": ["a"], "v": 2}]}) == [
        {"path": "spec.x[0].v", "change": "changed", "before": 1, "after": 2}
    ]


@pytest.mark.parametrize(
    ("before", "after", "path"),
    [
        # unnamed items: paired by index, as the diff pairs them
        ({"x": [{"password": "s"}]}, {"x": [{"password": "t"}]}, "spec.x[0].password"),
        # a name that is not a string
        (
            {"x": [{"name": {"a": 1}, "token": "s"}]},
            {"x": [{"name": {"a": 1}, "token": "t"}]},
            "spec.x[0].token",
        ),
        # the same name twice: the list is matched by index, so is the masking
        (
            {"x": [{"name": "a", "password": "s"}, {"name": "a", "password": "t"}]},
            {"x": [{"name": "a", "password": "t"}, {"name": "a", "password": "t"}]},
            "spec.x[0].password",
        ),
        # scalars under a secret key
        ({"tokens": ["a", "b"]}, {"tokens": ["a", "c"]}, "spec.tokens[1]"),
        # named items still pair by name, whatever their order
        (
            {"env": [{"name": "apiKey", "value": "s"}, {"name": "b", "value": "1"}]},
            {"env": [{"name": "b", "value": "1"}, {"name": "apiKey", "value": "t"}]},
            "spec.env[apiKey].value",
        ),
    ],
)
def test_a_changed_secret_in_a_list_shows_as_changed_and_is_never_printed(
    before: dict[str, Any], after: dict[str, Any], path: str
) -> None:
    changes = _changes(before, after)
    assert changes == [{"path": path, "change": "changed", "before": REDACTED, "after": REDACTED_CHANGED}]


SECRET_KEYS = st.sampled_from(
    ["name", "value", "password", "token", "image", "env", "args", "DB_PASS", "GITHUB_PAT", "AUTH", "author"]
)
# secret-shaped values (every hidden part contains SEKRIT) and flags that make the next item secret
SHAPED = [
    "--password=SEKRIT1",
    "--password=SEKRIT2",
    "https://u:SEKRIT3@h/x",
    "ghp_" + "SEKRIT" * 6,
    "ghp_" + "SEKRET" * 6,
    "echo TOKEN=SEKRIT4 ok",
    "--token",
    "-----BEGIN PRIVATE KEY-----\nSEKRIT5\n-----END PRIVATE KEY-----",
]
LEAVES = st.one_of(
    st.sampled_from(["a", "b", "token", "x", "SLACK_WEBHOOK_URL", *SHAPED]), st.integers(0, 2), st.none()
)
TREES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(SECRET_KEYS, children, max_size=3)
    ),
    max_leaves=12,
)


def _mutated(tree: Any, data: st.DataObject) -> Any:
    """``tree`` with one leaf somewhere replaced (so the two differ in one place, maybe a secret)."""
    if isinstance(tree, dict) and tree and data.draw(st.integers(0, 3)):
        key = data.draw(st.sampled_from(sorted(tree)))
        return {**tree, key: _mutated(tree[key], data)}
    if isinstance(tree, list) and tree and data.draw(st.integers(0, 3)):
        at = data.draw(st.integers(0, len(tree) - 1))
        return [*tree[:at], _mutated(tree[at], data), *tree[at + 1 :]]
    return data.draw(LEAVES if not isinstance(tree, dict | list) else TREES)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(SECRET_KEYS, TREES, min_size=1, max_size=4), st.data())
def test_different_objects_always_show_a_change(before: dict[str, Any], data: st.DataObject) -> None:
    # masking may hide values, never the fact that something changed
    after = _mutated(before, data)
    old, new = mask_pair(before, after)
    assert (old == new) == (before == after)
    if before != after:
        assert field_changes({"spec": before}, {"spec": after})
    # and a secret-shaped value never shows, whatever its key or place
    assert "SEKRIT" not in repr((old, new)) and "SEKRET" not in repr((old, new))
