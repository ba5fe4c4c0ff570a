"""Semantics of the GitHub Actions expression evaluator (wfsync.convert.gha.expressions)."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

import pytest

from wfsync.convert.gha.expressions import (
    ExpressionError,
    FilteredArray,
    Function,
    evaluate,
    evaluate_field,
    evaluate_template,
    find_expressions,
    parse,
    referenced_contexts,
    referenced_functions,
)
from wfsync.convert.gha.expressions.values import js_number_to_string, number_to_string, string_to_number

CONTEXTS: dict[str, Any] = {
    "github": {
        "event_name": "push",
        "ref": "refs/heads/Main",
        "event": {"pull_request": {"labels": [{"name": "bug"}, {"name": "Skip-CI"}, {"other": 1}]}},
    },
    "matrix": {"os": "ubuntu-latest", "version": 3},
    "steps": {"build": {"outputs": {"tag": "v1"}, "outcome": "success"}, "test": {"outputs": {"tag": "v2"}}},
    "env": {"EMPTY": "", "ZERO": "0"},
}


def ev(text: str, **options: Any) -> Any:
    return evaluate(text, CONTEXTS, **options)


# --- coercion and comparison ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0 == ''", True),
        ("null == 0", True),
        ("false == '  '", True),
        ("true == 1", True),
        ("'0x10' == 16", True),
        ("'1.0' == 1", True),
        ("'abc' == 0", False),
        ("NaN == NaN", False),
        ("NaN != NaN", True),
        ("null == false", True),
        ("'ABC' == 'abc'", True),
        ("'b' > 'A'", True),
        ("'a' < 'B'", True),
        ("true > false", True),
        ("1 >= '1'", True),
        ("'x' < 1", False),
        ("github == github", True),
        ("fromJSON('[]') == fromJSON('[]')", False),
    ],
)
def test_comparison_coerces_like_github(text: str, expected: bool) -> None:
    assert ev(text) is expected


def test_null_equals_empty_string_after_coercion() -> None:
    # null -> 0 and then number vs string -> '' becomes 0: GitHub says equal.
    assert ev("null == ''") is True


def test_logical_operators_return_the_deciding_operand() -> None:
    assert ev("'a' && 'b'") == "b"
    assert ev("'' && 'b'") == ""
    assert ev("env.EMPTY || 'fallback'") == "fallback"
    assert ev("0 || null") is None
    assert ev("!env.EMPTY") is True
    assert ev("!env.ZERO") is False  # '0' is a non-empty string


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1.0, "1"),
        (0.1, "0.1"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1.5e-7, "1.5e-7"),
        (2.0**60, "1152921504606847000"),
    ],
)
def test_numbers_print_like_javascript(number: float, text: str) -> None:
    assert js_number_to_string(number) == text


def test_string_coercion_keeps_fifteen_decimals() -> None:
    assert number_to_string(1 / 3) == "0.333333333333333"
    assert ev("format('{0}', fromJSON('0.30000000000000004'))") == "0.3"
    assert ev("format('{0}|{1}|{2}|{3}', null, true, NaN, -Infinity)") == "|true|NaN|-Infinity"
    assert ev("format('{0} {1}', github, fromJSON('[1]'))") == "Object Array"


def test_strings_convert_to_numbers_like_javascript() -> None:
    assert string_to_number(" 42 ") == 42
    assert string_to_number("") == 0
    assert string_to_number("0b101") == 5
    assert math.isnan(string_to_number("1_000"))
    assert math.isnan(string_to_number("inf"))
    assert string_to_number("-Infinity") == -math.inf


# --- property access and filters -----------------------------------------------------------------


def test_property_access_is_case_insensitive_and_missing_is_null() -> None:
    assert ev("GITHUB.Event_Name") == "push"
    assert ev("github['EVENT_NAME']") == "push"
    assert ev("github.nope.deeper") is None
    assert ev("matrix.version.x") is None
    assert evaluate("a.key", {"a": {"KEY": 1, "key": 2}}) == 1  # first matching key wins


def test_array_index_coerces_and_floors() -> None:
    labels = "github.event.pull_request.labels"
    assert ev(f"{labels}[1].name") == "Skip-CI"
    assert ev(f"{labels}['1'].name") == "Skip-CI"
    assert ev(f"{labels}[1.9].name") == "Skip-CI"
    assert ev(f"{labels}[5]") is None
    assert ev(f"{labels}[-1]") is None


def test_object_filter_collects_matching_properties() -> None:
    names = ev("github.event.pull_request.labels.*.name")
    assert isinstance(names, FilteredArray)
    assert names == ["bug", "Skip-CI"]  # the element without 'name' is dropped
    assert ev("steps.*.outputs.tag") == ["v1", "v2"]
    assert ev("matrix.os.*") == []
    assert ev("contains(github.event.pull_request.labels.*.name, 'skip-ci')") is True


# --- functions -----------------------------------------------------------------------------------


def test_format_placeholders_and_escapes() -> None:
    assert ev("format('{0}-{1}-{0}', matrix.os, matrix.version)") == "ubuntu-latest-3-ubuntu-latest"
    assert ev("format('{{literal}} {0}', 'x')") == "{literal} x"
    with pytest.raises(ExpressionError, match="references more arguments"):
        ev("format('{1}', 'x')")
    with pytest.raises(ExpressionError, match="format string is invalid"):
        ev("format('{0', 'x')")


def test_join_and_contains_and_prefixes() -> None:
    assert ev("join(github.event.pull_request.labels.*.name)") == "bug,Skip-CI"
    assert ev("join(fromJSON('[1, true, null]'), ' + ')") == "1 + true + "
    assert ev("join('abc', '-')") == "abc"
    assert ev("contains('Hello World', 'WORLD')") is True
    assert ev("contains(fromJSON('[1, 2]'), '2')") is True
    assert ev("contains(github, 'push')") is False
    assert ev("startsWith(github.ref, 'REFS/heads/')") is True
    assert ev("endsWith(github.ref, '/main')") is True
    assert ev("startsWith(github, 'x')") is False


def test_tojson_pretty_prints_and_fromjson_round_trips() -> None:
    assert ev("toJSON(matrix)") == '{\n  "os": "ubuntu-latest",\n  "version": 3\n}'
    assert (
        ev("toJSON(fromJSON('[1.5, [], {}, null, \"é\"]'))") == '[\n  1.5,\n  [],\n  {},\n  null,\n  "é"\n]'
    )
    assert ev("fromJSON('{\"a\": [1, 2]}').A[1]") == 2
    assert ev("fromJSON('true')") is True
    with pytest.raises(ExpressionError):
        ev("fromJSON('NaN')")
    with pytest.raises(ExpressionError, match="empty input"):
        ev("fromJSON('  ')")


def test_case_picks_the_first_true_predicate() -> None:
    assert ev("case(matrix.os == 'windows', 'pwsh', matrix.os == 'ubuntu-latest', 'bash', 'sh')") == "bash"
    assert ev("case(false, 1, 2)") == 2
    with pytest.raises(ExpressionError, match="must evaluate to a boolean"):
        ev("case('yes', 1, 2)")
    with pytest.raises(ExpressionError, match="Even number of parameters"):
        parse("case(true, 1, false, 2)")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("success", {"success": True, "failure": False, "cancelled": False, "always": True}),
        ("failure", {"success": False, "failure": True, "cancelled": False, "always": True}),
        ("cancelled", {"success": False, "failure": False, "cancelled": True, "always": True}),
    ],
)
def test_status_functions_read_the_job_status(status: Any, expected: dict[str, bool]) -> None:
    for name, value in expected.items():
        assert ev(f"{name}()", status=status) is value
    assert ev("failure() && steps.build.outcome == 'success'", status=status) is expected["failure"]


def test_status_functions_without_a_status_are_an_error() -> None:
    with pytest.raises(ExpressionError, match="job status"):
        ev("success()")
    assert ev("always()") is True


def _sha(*contents: bytes) -> str:
    outer = hashlib.sha256()
    for content in contents:
        outer.update(hashlib.sha256(content).digest())
    return outer.hexdigest()


def test_hash_files_over_a_workspace(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "requirements.txt").write_bytes(b"one")
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / "b" / "deep" / "requirements.txt").write_bytes(b"two")
    (tmp_path / "b" / "other.lock").write_bytes(b"three")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "requirements.txt").write_bytes(b"four")

    def hf(args: str) -> Any:
        return evaluate(f"hashFiles({args})", {}, workspace=tmp_path)

    # sorted path order: .hidden/, a/, b/deep/
    assert hf("'**/requirements.txt'") == _sha(b"four", b"one", b"two")
    assert hf("'**/requirements.txt', '!.hidden'") == _sha(b"one", b"two")
    assert hf("'b'") == _sha(b"two", b"three")  # a directory matches everything below it
    assert hf("'b/*.lock', 'a/*'") == _sha(b"one", b"three")
    assert hf("'nothing/*'") == ""
    with pytest.raises(ExpressionError, match="workspace"):
        evaluate("hashFiles('*')", {})


# --- errors, limits and parsing ------------------------------------------------------------------


def test_parse_errors_carry_github_messages_and_positions() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("1 2")
    assert info.value.kind == "parsing"
    assert info.value.position == 3
    assert str(info.value) == "Unexpected symbol: '2'. Located at position 3 within expression: 1 2"
    with pytest.raises(ExpressionError, match="Unrecognized named-value: 'vars'") as info:
        parse("github.x && vars.y", contexts=["github"])
    assert info.value.position == 13
    with pytest.raises(ExpressionError, match="Unrecognized function: 'nope'"):
        parse("nope()")
    with pytest.raises(ExpressionError, match="Exceeded max expression depth 50"):
        parse("!" * 51 + "true")
    with pytest.raises(ExpressionError) as info:
        parse("1 = 2")
    assert info.value.kind == "lexing"


def test_unknown_contexts_are_rejected_when_evaluating_text() -> None:
    with pytest.raises(ExpressionError, match="Unrecognized named-value: 'secrets'"):
        evaluate("secrets.TOKEN", CONTEXTS)


def test_memory_limit_stops_exponential_strings() -> None:
    text = "'x'"
    for _ in range(25):
        text = f"format('{{0}}{{0}}', {text})"
    with pytest.raises(ExpressionError, match="maximum allowed memory"):
        ev(text)


def test_parse_is_cached_and_reports_what_it_reads() -> None:
    text = "success() && contains(needs.build.outputs.tags, matrix.os) || GITHUB.ref"
    assert parse(text) is parse(text)
    expr = parse(text)
    assert referenced_contexts(expr) == {"needs", "matrix", "github"}
    assert referenced_functions(expr) == {"success", "contains"}


def test_custom_functions_extend_and_override() -> None:
    shout = Function("shout", 1, 1, lambda args, _runtime: str(args[0]).upper())
    fixed = Function("hashFiles", 1, 255, lambda args, _runtime: "cafe")
    assert evaluate("shout(matrix.os)", CONTEXTS, functions={"shout": shout}) == "UBUNTU-LATEST"
    assert evaluate("hashFiles('*.lock')", CONTEXTS, functions={"hashFiles": fixed}) == "cafe"
    with pytest.raises(ExpressionError, match="Unrecognized function"):
        evaluate("shout('x')", CONTEXTS)


# --- templates -----------------------------------------------------------------------------------


def test_find_expressions_honours_quotes() -> None:
    text = "a ${{ '}}' }} b ${{ matrix.os }}"
    spans = find_expressions(text)
    assert [s.expression for s in spans] == ["'}}'", "matrix.os"]
    assert text[spans[0].start : spans[0].end] == "${{ '}}' }}"
    assert find_expressions("no expressions {{ here }}") == []
    with pytest.raises(ExpressionError, match="not closed"):
        find_expressions("x ${{ 'a' ")


def test_evaluate_template_and_field() -> None:
    assert (
        evaluate_template("os=${{ matrix.os }} v${{ matrix.version }}!", CONTEXTS) == "os=ubuntu-latest v3!"
    )
    assert evaluate_template("${{ github.nope }}|${{ true }}", CONTEXTS) == "|true"
    assert evaluate_field("${{ matrix.version }}", CONTEXTS) == 3
    assert evaluate_field("${{ fromJSON('[1]') }}", CONTEXTS) == [1.0]
    assert evaluate_field("${{ false }}\n", CONTEXTS) == "false\n"  # a block scalar is a string
    assert evaluate_field("v${{ matrix.version }}", CONTEXTS) == "v3"
    assert evaluate_field("plain", CONTEXTS) == "plain"
    with pytest.raises(ExpressionError, match="An expression was expected"):
        evaluate_template("${{ }}", CONTEXTS)
