"""expr-lang evaluator: literals, operators, builtins, Argo functions, env building and rendering."""

from __future__ import annotations

import re
import time

import pytest
import yaml

from tests.conftest import corpus_path
from wfsync.expressions.exprlang import ExprError, build_env, compile, evaluate, render_expression_tag


def ev(text: str, env: dict[str, object] | None = None) -> object:
    return evaluate(text, env or {})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("1.5", 1.5),
        ("0x1F", 31),
        ("1_000", 1000),
        ("1e3", 1000.0),
        ("'it\\'s'", "it's"),
        ('"a\\nb"', "a\nb"),
        ("'\\u00e9'", "é"),
        ("`raw\\n`", "raw\\n"),
        ("nil", None),
        ("true && !false", True),
        ("[1, 'a', nil]", [1, "a", None]),
        ("{a: 1, 'b c': 2}", {"a": 1, "b c": 2}),
        ("{(1 + 1): 'x'}", {"2": "x"}),
    ],
)
def test_literals(text: str, expected: object) -> None:
    result = ev(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7 / 2", 3.5),
        ("6 / 3", 2.0),
        ("7 % 3", 1),
        ("-7 % 3", -1),
        ("2 ** 3", 8.0),
        ("2 ^ 3 ^ 2", 512.0),
        ("-2 ** 2", -4.0),
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("1 + 2.5", 3.5),
        ("'a' + 'b'", "ab"),
        ("1 == 1.0", True),
        ("1 == '1'", False),
        ("[1, 2] == [1, 2]", True),
        ("1 < 2 < 3", True),
        ("3 > 2 > 2", False),
        ("'abc' < 'abd'", True),
        ("true || false && false", True),
        ("not true or true", True),
        ("not (1 == 1)", False),
        ("2 in [1, 2]", True),
        ("2.0 in [1, 2]", True),
        ("'k' in {k: 1}", True),
        ("3 not in [1, 2]", True),
        ("'foobar' contains 'oba'", True),
        ("'foobar' startsWith 'foo'", True),
        ("'foobar' endsWith 'bar'", True),
        ("'foobar' matches '^f.+r$'", True),
        ("'foobar' not matches 'x'", True),
        ("1..3", [1, 2, 3]),
        ("3..1", []),
        ("nil ?? 'd'", "d"),
        ("'v' ?? 'd'", "v"),
        ("true ? 'y' : 'n'", "y"),
        ("false ? 'y' : 'n'", "n"),
        ("1 == 2 ? 'a' : 1 == 1 ? 'b' : 'c'", "b"),
        ("let x = 2; let y = x * 3; y + 1", 7),
    ],
)
def test_operators(text: str, expected: object) -> None:
    result = ev(text)
    assert result == expected
    assert type(result) is type(expected)


def test_member_index_slice_and_optional_chaining() -> None:
    env = {"a": {"b": {"c": "x"}, "list": [1, 2, 3, 4], "n": None}, "s": "hello"}
    assert ev("a.b.c", env) == "x"
    assert ev("a['b']['c']", env) == "x"
    assert ev("a.missing", env) is None
    assert ev("a.n?.deep.deeper", env) is None
    assert ev("a?.b?.c", env) == "x"
    assert ev("a.list[0]", env) == 1
    assert ev("a.list[-1]", env) == 4
    assert ev("a.list[1:3]", env) == [2, 3]
    assert ev("a.list[:2]", env) == [1, 2]
    assert ev("a.list[2:]", env) == [3, 4]
    assert ev("s[1:3]", env) == "el"
    assert ev("a.n?.x ?? 'fallback'", env) == "fallback"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("'a' + 1", "invalid operation: string + int"),
        ("1 - 'a'", "invalid operation: int - string"),
        ("1.5 % 2", "invalid operation: float64 % int"),
        ("1 % 0", "integer divide by zero"),
        ("'a' < 1", "invalid operation: string < int"),
        ("missing", "unknown name missing"),
        ("a.n.deep", "cannot fetch deep from <nil>"),
        ("[1][5]", "index out of range: 5 (array length is 1)"),
        ("!'x'", "interface conversion: interface {} is string, not bool"),
        ("1 +", "unexpected token EOF"),
        ("(1", "unexpected token EOF"),
        ("1 ?? 2 + 3", "Operator (+) and coalesce expressions (??) cannot be mixed"),
        ("'abc", "literal not terminated (1:1)"),
        ("a @ b", "unrecognized character: U+0040 '@' (1:3)"),
        ("# > 1", "cannot use pointer accessor outside predicate"),
    ],
)
def test_errors_read_like_expr(text: str, message: str) -> None:
    with pytest.raises(ExprError, match=re.escape(message)):
        ev(text, {"a": {"n": None}})


def test_division_by_zero_is_a_float_infinity_like_go() -> None:
    assert ev("1 / 0") == float("inf")
    with pytest.raises(ExprError, match="unsupported value: \\+Inf"):
        render_expression_tag(ev("1 / 0"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("filter([1, 2, 3, 4], # % 2 == 0)", [2, 4]),
        ("filter([1, 2, 3], {# > 1})", [2, 3]),
        ("map([1, 2], {# * 10})", [10, 20]),
        ("map([{n: 'a'}, {n: 'b'}], .n)", ["a", "b"]),
        ("map(['x', 'y'], #index)", [0, 1]),
        ("all([1, 2], # > 0)", True),
        ("any([1, 2], # > 1)", True),
        ("one([1, 2], # > 1)", True),
        ("none([1, 2], # > 5)", True),
        ("count([1, 2, 3], # > 1)", 2),
        ("count([true, false, true])", 2),
        ("sum([1, 2, 3])", 6),
        ("sum([1, 2], # * 1.5)", 4.5),
        ("find([1, 2, 3], # > 1)", 2),
        ("findIndex([1, 2, 3], # > 1)", 1),
        ("findLast([1, 2, 3], # > 1)", 3),
        ("find([1], # > 5)", None),
        ("reduce([1, 2, 3], #acc + #)", 6),
        ("reduce([1, 2, 3], #acc + #, 10)", 16),
        ("sortBy([3, 1, 2], #)", [1, 2, 3]),
        ("groupBy([1, 2, 3], # % 2)", {1: [1, 3], 0: [2]}),
        ("[1, 2, 3] | filter(# > 1) | map(# * 2)", [4, 6]),
        ("len('héllo')", 6),
        ("len([1, 2])", 2),
        ("abs(-3)", 3),
        ("int('42')", 42),
        ("int(3.9)", 3),
        ("float('2.5')", 2.5),
        ("string(1.5)", "1.5"),
        ("string(2.0)", "2"),
        ("string([1, 'a'])", "[1 a]"),
        ("trim('  x ')", "x"),
        ("upper('a') + lower('B')", "Ab"),
        ("split('a,b,c', ',')", ["a", "b", "c"]),
        ("replace('aXa', 'a', 'b')", "bXb"),
        ("join(['a', 'b'], '-')", "a-b"),
        ("keys({b: 1, a: 2})", ["a", "b"]),
        ("values({b: 1, a: 2})", [2, 1]),
        ("first([7, 8])", 7),
        ("last([7, 8])", 8),
        ("first([])", None),
        ("max(1, 5, 3)", 5),
        ("min([4, 2.5])", 2.5),
        ("fromJSON('{\"a\": [1, 2]}')", {"a": [1.0, 2.0]}),
        ("toJSON({b: 1, a: [true]})", '{\n  "a": [\n    true\n  ],\n  "b": 1\n}'),
        ("toBase64('hi')", "aGk="),
        ("fromBase64('aGk=')", "hi"),
        ("indexOf('abc', 'c')", 2),
        ("hasPrefix('abc', 'ab')", True),
        ("sort([3, 1, 2])", [1, 2, 3]),
        ("uniq([1, 1, 2])", [1, 2]),
        ("flatten([[1], [2, [3]]])", [1, 2, 3]),
    ],
)
def test_builtins(text: str, expected: object) -> None:
    assert ev(text) == expected


def test_now_and_duration() -> None:
    assert ev("duration('1h30m').Minutes()") == 90.0
    assert ev("(now() - now()).Seconds() <= 0")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("asInt('12') * 10", 120),
        ("asInt('-3')", -3),
        ("asFloat('1.5') * 2", 3.0),
        ("toJson({b: [1, 2], a: 'x<'})", '{"a":"x\\u003c","b":[1,2]}'),
        ("toJson(1.0)", "1"),
    ],
)
def test_argo_functions(text: str, expected: object) -> None:
    result = ev(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize("value", ["1.5", " 1", "1_000", "", "0x10", "１"])
def test_as_int_rejects_what_strconv_atoi_rejects(value: str) -> None:
    with pytest.raises(ExprError, match=re.escape(f"invalid operation: int({value})")):
        ev(f"asInt({value!r})")


@pytest.mark.parametrize("value", ["abc", "1_0", " 1.5"])
def test_as_float_rejects_what_parse_float_rejects(value: str) -> None:
    with pytest.raises(ExprError, match="invalid operation: float"):
        ev(f"asFloat({value!r})")


CONFIG = '{"a": "1", "b": "2", "c": "3", "employees": [{"name": "Baris", "age": 43}, {"name": "Mo", "age": 42}, {"name": "Jai", "age": 44}]}'


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("$.a", "1"),
        ("$.employees[0].name", "Baris"),
        ("$.employees[-1].age", "44"),
        ("$.employees[*].name", '["Baris","Mo","Jai"]'),
        ("$.employees[0:1]", '[{"age":43,"name":"Baris"}]'),
        ('$.employees[?(@.name=="Baris")].age', "[43]"),
        ("$.employees[?(@.age>42 && @.age<44)].age", "[43]"),
        ("$.employees[?(@.age >= 43 || @.name == 'Mo')].name", '["Baris","Mo","Jai"]'),
        ("$..name", '["Baris","Mo","Jai"]'),
    ],
)
def test_jsonpath(path: str, rendered: str) -> None:
    result = evaluate("jsonpath(config, path)", {"config": CONFIG, "path": path})
    assert render_expression_tag(result) == rendered


def test_jsonpath_missing_key_is_an_error() -> None:
    with pytest.raises(ExprError, match="not found"):
        evaluate("jsonpath(config, '$.nope')", {"config": CONFIG})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sprig.trim('  x  ')", "x"),
        ("sprig.upper('a')", "A"),
        ("sprig.lower('A')", "a"),
        ("sprig.replace('a', 'b', 'aXa')", "bXb"),
        ("sprig.toString(5)", "5"),
        ("sprig.atoi('42')", 42),
        ("sprig.atoi('x')", 0),
        ("sprig.int('0x10')", 16),
        ("sprig.int('12.00')", 12),
        ("sprig.float64('2.5')", 2.5),
        ("sprig.add(1, '2', 3.9)", 6),
        ("sprig.sub(5, 2)", 3),
        ("sprig.mul(2, 3, 4)", 24),
        ("sprig.div(7, 2)", 3),
        ("sprig.div(-7, 2)", -3),
        ("sprig.max(1, 9, 3)", 9),
        ("sprig.min(4, 2, 3)", 2),
        ("sprig.default('d', '')", "d"),
        ("sprig.default('d', 'v')", "v"),
        ("sprig.empty('')", True),
        ("sprig.empty([1])", False),
        ("sprig.contains('b', 'abc')", True),
        ("sprig.hasPrefix('a', 'abc')", True),
        ("sprig.hasSuffix('c', 'abc')", True),
        ("sprig.split('$', 'a$b')", {"_0": "a", "_1": "b"}),
        ("sprig.splitList(',', 'a,b')", ["a", "b"]),
        ("sprig.join('-', ['a', 1])", "a-1"),
        ("sprig.list(1, 'a')", [1, "a"]),
        ("sprig.dict('a', 1, 'b', 2)", {"a": 1, "b": 2}),
        ("sprig.toJson({a: 1})", '{"a":1}'),
        ("sprig.fromJson('[1]')", [1.0]),
        ("sprig.b64enc('hi')", "aGk="),
        ("sprig.b64dec('aGk=')", "hi"),
        ("sprig.quote('a', 'b')", '"a" "b"'),
        ("sprig.squote('a')", "'a'"),
        ("sprig.trunc(2, 'abc')", "ab"),
        ("sprig.trunc(-2, 'abc')", "bc"),
        ("sprig.repeat(3, 'ab')", "ababab"),
        ("sprig.regexMatch('^a+$', 'aaa')", True),
        ("sprig.regexFind('[0-9]+', 'ab12cd34')", "12"),
        ("sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '${1}W')", "-W-xxW-"),
        ("sprig.date('2006-01-02', sprig.toDate('2006-01-02', '2021-03-04'))", "2021-03-04"),
        ("sprig.date('Jan 2 15:04', 0)", "Jan 1 00:00"),
        ("len(sprig.randAlphaNum(8))", 8),
        ("sprig.ternary('y', 'n', 1 > 0)", "y"),
    ],
)
def test_sprig(text: str, expected: object) -> None:
    assert ev(text) == expected


def test_sprig_typed_parameters_fail_like_reflect_call() -> None:
    with pytest.raises(ExprError, match="reflect: Call using int as type string"):
        ev("sprig.trim(5)")


def test_build_env_expands_and_drops_shadowed_prefix_keys() -> None:
    env = build_env(
        {
            "workflow.parameters": '[{"name":"x"}]',
            "workflow.parameters.x": "1",
            "workflow.parameters.json": '[{"name":"x"}]',
            "steps.a-b.outputs.result": "r",
            "item": "i",
        }
    )
    assert env == {
        "workflow": {"parameters": {"x": "1", "json": '[{"name":"x"}]'}},
        "steps": {"a-b": {"outputs": {"result": "r"}}},
        "item": "i",
    }
    assert evaluate("steps['a-b'].outputs.result + item", env) == "ri"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain <text>", "plain <text>"),
        (3, "3"),
        (3.0, "3"),
        (35.8, "35.8"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (True, "true"),
        ([1, "a"], '[1,"a"]'),
        ({"b": 1, "a": "<"}, '{"a":"\\u003c","b":1}'),
    ],
)
def test_render_expression_tag(value: object, text: str) -> None:
    assert render_expression_tag(value) == text


def test_render_nil_is_an_error() -> None:
    with pytest.raises(ExprError):
        render_expression_tag(None)


def test_compile_is_cached_and_fast() -> None:
    text = "asInt(inputs.parameters.n) * 10 + len(filter([1, 2, 3], # > 1))"
    assert compile(text) is compile(text)
    env = build_env({"inputs.parameters.n": "4"})
    program = compile(text)
    start = time.perf_counter()
    for _ in range(2000):
        assert evaluate(program, env) == 42
    assert time.perf_counter() - start < 1.0


# --- the expressions Argo's own examples use -------------------------------------------------------

EXAMPLE_ENV = build_env(
    {
        "inputs.parameters.foo": "3",
        "inputs.parameters.should-print": "true",
        "inputs.parameters.num": "2",
        "inputs.parameters.week-temps": '{"avg":35.8,"max":57,"min":15}',
        "workflow.parameters.config": CONFIG,
        "workflow.parameters.json": '[{"name":"should-print","value":"true"}]',
        "workflow.parameters.weather": '{"weekWeather": "eyJ0ZW1wcyI6IFszNCwgMjcsIDE1LCA1NywgNDZdfQo="}',
        "workflow.creationTimestamp": "2024-05-06T07:08:09Z",
        "workflow.status": "Succeeded",
        "workflow.parameters.foo": "bar",
        "item": "1",
        "steps.flip-coin.outputs.result": "heads",
        "steps.heads.outputs.result": "it was heads",
        "steps.tails.outputs.result": "it was tails",
        "steps.fibonacci-helper.outputs.parameters.result": "5",
        "tasks.flip-coin.outputs.result": "tails",
        "tasks.heads.outputs.result": "H",
        "tasks.tails.outputs.result": "T",
        "lastRetry.exitCode": "2",
        "lastRetry.status": "Failed",
        "lastRetry.duration": "10",
        "lastRetry.message": "pod deleted",
        "steps.step-1.status": "Running",
        "steps.step2.status": "Succeeded",
    }
)
EXAMPLE_ENV["tasks"]["producer"] = {"outputs": {"parameters": {"msg": None}}}
EXAMPLE_ENV["data"] = ["a/main.log", "b/other.log"]


def _example_expressions() -> list[str]:
    folder = corpus_path("argo", "examples")
    found: list[str] = []
    for path in sorted(folder.rglob("*.yaml")):
        text = path.read_text()
        found += [m.strip() for m in re.findall(r"\{\{=(.*?)\}\}", text, flags=re.S)]
        for doc in yaml.safe_load_all(text):
            found += _expression_fields(doc)
    return sorted(set(found))


def _expression_fields(node: object) -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expression" and isinstance(value, str) and "{{" not in value:
                out.append(value)
            else:
                out += _expression_fields(value)
    elif isinstance(node, list):
        for item in node:
            out += _expression_fields(item)
    return out


EXPECTED = {
    "asInt(inputs.parameters.foo) * 10": "30",
    "jsonpath(workflow.parameters.config, '$.employees[?(@.name==\\\"Baris\\\")].age')": "[43]",
    "jsonpath(workflow.parameters.config, '$.employees[*].name')": '["Baris","Mo","Jai"]',
    "toJson(filter([1, 3], {# > 1}))": "[3]",
    "sprig.date('2006', workflow.creationTimestamp)": str(time.gmtime().tm_year),
    "steps['flip-coin'].outputs.result == 'heads' ? steps.heads.outputs.result : steps.tails.outputs.result": (
        "it was heads"
    ),
    "tasks.producer.outputs.parameters.msg ?? 'expr-fallback'": "expr-fallback",
    'filter(data, {# endsWith "main.log"})': '["a/main.log"]',
}


@pytest.mark.corpus
def test_every_expression_in_argo_examples_evaluates() -> None:
    expressions = _example_expressions()
    assert len(expressions) >= 20
    unsupported = {"cronworkflow"}  # CronWorkflow `when` needs the cron scheduler's environment
    results: dict[str, str] = {}
    for text in expressions:
        source = text.replace('\\"', '"')
        compile(source)
        if any(name in source for name in unsupported):
            continue
        results[text] = render_expression_tag(evaluate(source, EXAMPLE_ENV))
    for text, rendered in EXPECTED.items():
        assert results[text] == rendered, text
    weekly = [v for k, v in results.items() if "weekWeather" in k]
    assert weekly == ['{"avg":35.8,"max":57,"min":15}']
    assert results["jsonpath(inputs.parameters['week-temps'], '$.avg')"] == "35.8"
