"""YAML loading as Argo's decoder does it, with lines for any JSON path."""

from __future__ import annotations

import pytest

from wfsync.library.yamlload import YamlSyntaxError, load_stream, node_line


def test_documents_lines_and_paths() -> None:
    text = "a: 1\n---\n# c\nkind: X\nspec:\n  t:\n    - name: a\n      x: 2\n"
    first, second = load_stream(text)
    assert (first.line, second.line) == (1, 4)
    assert node_line(second.node, ("spec", "t", 0, "x")) == 8
    assert node_line(second.node, ("spec", "t", 0)) == 7
    assert node_line(second.node, ("spec", "missing", 3)) == 5


def test_timestamps_stay_strings_and_on_is_a_key_in_argo_files() -> None:
    (doc,) = load_stream("d: 2024-01-01\nt: 2024-01-01T10:00:00Z\n")
    assert doc.data == {"d": "2024-01-01", "t": "2024-01-01T10:00:00Z"}


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("a: 1\nb: {x: 1, x: 2}\n", 2, 11),
        ("a:\n  b: 1\n  b: 2\n", 3, 3),
        ("a: [1\n", 2, 1),
        ("a: 'x\n", 2, 1),
    ],
)
def test_errors_have_line_and_column(text: str, line: int, column: int) -> None:
    with pytest.raises(YamlSyntaxError) as info:
        list(load_stream(text))
    assert (info.value.line, info.value.column) == (line, column)


def test_merge_keys_may_be_overridden() -> None:
    (doc,) = load_stream("base: &b {x: 1, y: 1}\nc:\n  <<: *b\n  x: 2\n")
    assert doc.data["c"] == {"x": 2, "y": 1}


def test_remembered_scalar_tags_are_per_loader_and_match_the_resolver() -> None:
    """The composer remembers plain scalars' tags; YAML 1.1 and the converter's 1.2 stay apart."""
    from wfsync.convert.gha.yaml12 import load as load12
    from wfsync.convert.gha.yaml12 import to_python

    text = "a: yes\nb: 'yes'\nc: 010\nd: 1_000\ne: ~\nf: null\ng: 2024-01-02\nh: .5\n"
    for _ in range(2):  # the second pass reads the remembered tags
        assert [d.data for d in load_stream(text)] == [
            {"a": True, "b": "yes", "c": 8, "d": 1000, "e": None, "f": None, "g": "2024-01-02", "h": 0.5}
        ]
        assert to_python(load12("a: yes\nc: 010\n")) == {"a": "yes", "c": 10}
