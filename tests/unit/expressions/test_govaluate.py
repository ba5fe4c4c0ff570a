"""`when` with govaluate plus Argo's VARIABLE-to-STRING quirk (argo-semantics.md section 2)."""

from __future__ import annotations

import re

import pytest

from wfsync.expressions.govaluate import WhenError, evaluate_when


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("heads == heads", True),
        ("heads == tails", False),
        ("heads != tails", True),
        ("5 == 5.0", True),
        ("007 == 7", True),
        ("True == true", False),
        ("true == true", True),
        ("'5' == 5", False),
        ("'foo-bar' == 'foo-bar'", True),
        ('"a b" == "a b"', True),
        ("true", True),
        ("false", False),
        ("", True),
        ("0x10 == 16", True),
        ("'ab' + 'c' == 'abc'", True),
        ("1 + 2 == 3", True),
        ("10 > 9 && 1 < 2", True),
        ("'b' > 'a'", True),
        ("true || false && false", True),
        ("!false", True),
        ("-5 < 0", True),
        ("2 ** 3 == 8", True),
        ("7 % 4 == 3", True),
        ("hello =~ '^h.l'", True),
        ("hello !~ '^x'", True),
        ("'a' in ('a', 'b')", True),
        ("c in (a, b)", False),
        ("'a' in ('a')", True),
        ("false ? 1 : 2 == 2", True),
        ("true ? true : false", True),
        ("'2024-01-01' < '2024-01-02'", True),
        ("'2024-01-01T00:00:00Z' == '2024-01-01'", True),
        ("Succeeded == Succeeded", True),
        ("Failed != Succeeded", True),
        ("(a == a) && (b != c)", True),
    ],
)
def test_when_values(when: str, expected: bool) -> None:
    assert evaluate_when(when) is expected


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (
            "hello world == x",
            "Invalid 'when' expression 'hello world == x': "
            "Cannot transition token types from VARIABLE [hello] to VARIABLE [world]",
        ),
        (
            "foo-bar == foo-bar",
            "Failed to evaluate 'when' expresion 'foo-bar == foo-bar': "
            "Value 'foo' cannot be used with the modifier '-', it is not a number",
        ),
        ("v1.2 == v1.2", "Failed to evaluate 'when' expresion 'v1.2 == v1.2': No parameter 'v1' found."),
        ("foo.bar == foo.bar", "Unable to access unexported field 'bar' in token 'foo.bar'"),
        ("a/b == a/b", "Value 'a' cannot be used with the modifier '/', it is not a number"),
        (
            "http://x == y",
            "Invalid 'when' expression 'http://x == y': Invalid token: '://' "
            '(hint: try wrapping the affected expression in quotes ("))',
        ),
        ("1e3 == 1000", "Cannot transition token types from NUMERIC [1] to VARIABLE [e3]"),
        ("1 ? 2 : 3", "Value '1' cannot be used with the ternary operator '?', it is not a bool"),
        ("'a' < 1", "Value 'a' cannot be used with the comparator '<', it is not a number"),
        ("true && 'x'", "Value 'x' cannot be used with the logical operator '&&', it is not a bool"),
        ("!foo == x", "Failed to parse 'when' expression '!foo == x': Cannot transition token types"),
        ("(a == a", "Unbalanced parenthesis"),
        ("'abc == abc", "Unclosed string literal"),
        ("a ==", "Unexpected end of expression"),
        ("heads", "Expected boolean evaluation for 'heads'. Got heads"),
        ("1 + 1", "Expected boolean evaluation for '1 + 1'. Got 2"),
    ],
)
def test_when_errors(when: str, message: str) -> None:
    with pytest.raises(WhenError, match=re.escape(message)):
        evaluate_when(when)


@pytest.mark.parametrize("value", ["foo-bar", "v1.2.3", "a:b", "http://x/y", "it's"])
def test_quoting_both_sides_fixes_awkward_values(value: str) -> None:
    if "'" in value:  # a quote of either kind ends a govaluate string, so quoting cannot help
        for quote in "'\"":
            with pytest.raises(WhenError, match="Cannot transition token types from STRING"):
                evaluate_when(f"{quote}{value}{quote} == {quote}{value}{quote}")
        return
    assert evaluate_when(f"'{value}' == '{value}'") is True
    assert evaluate_when(f"'{value}' != 'other'") is True


@pytest.mark.parametrize(("rendered", "expected"), [("true", True), ("false", False)])
def test_expression_tag_results_read_as_booleans(rendered: str, expected: bool) -> None:
    # `when: "{{=inputs.parameters['x'] == 'example'}}"` substitutes to true/false
    assert evaluate_when(rendered) is expected
    assert evaluate_when(f"{rendered} == true") is expected


def test_corpus_style_conditions() -> None:
    assert evaluate_when("heads == heads") is True
    assert evaluate_when("2 != 1 && 2 != 2") is False
    assert evaluate_when("5 < 10") is True
    assert evaluate_when("even == even") is True
    assert evaluate_when("YES == YES") is True
