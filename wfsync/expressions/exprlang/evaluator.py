"""Turns a syntax tree into nested Python closures once, so each evaluation is a plain call chain.

Runtime semantics follow expr-lang's VM and ``vm/runtime`` helpers: ``/`` always yields a float,
``%`` needs integers, ``==`` compares numbers across int/float but nothing else across types,
member access on a map with a missing key yields ``nil``, and type mismatches fail with
"invalid operation: string + int".
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable
from typing import Any

from wfsync.expressions.exprlang import ast
from wfsync.expressions.exprlang.builtins import BUILTINS, to_int
from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.parser import PREDICATES
from wfsync.expressions.exprlang.values import deep_equal, format_v, go_type, is_int, is_number


class Scope:
    """What an expression sees while it runs: environment, functions, ``let`` names, ``#`` values."""

    __slots__ = ("acc", "env", "functions", "index", "item", "variables")

    def __init__(
        self,
        env: Any,
        functions: Any,
        variables: dict[str, Any] | None = None,
        item: Any = None,
        index: int = 0,
        acc: Any = None,
    ) -> None:
        self.env = env
        self.functions = functions
        self.variables = variables
        self.item = item
        self.index = index
        self.acc = acc

    def element(self, item: Any, index: int, acc: Any = None) -> Scope:
        """The scope of one predicate call over ``item``."""
        return Scope(self.env, self.functions, self.variables, item, index, acc)

    def bind(self, name: str, value: Any) -> Scope:
        """The scope of a ``let`` body."""
        variables = dict(self.variables or {})
        variables[name] = value
        return Scope(self.env, self.functions, variables, self.item, self.index, self.acc)


Fn = Callable[[Scope], Any]
_MISSING = object()


class _NilChain(Exception):
    """Raised at a ``?.`` on nil; the enclosing chain turns it into ``nil``."""


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    kind = "nil" if value is None else go_type(value)
    raise ExprError(f"interface conversion: interface {{}} is {kind}, not bool")


# --- operators ---------------------------------------------------------------------------------


def _mismatch(a: Any, op: str, b: Any) -> ExprError:
    return ExprError(f"invalid operation: {go_type(a)} {op} {go_type(b)}")


def equal(a: Any, b: Any) -> bool:
    """Expr's ``==``: numbers compare across int/float, other values only with their own type."""
    if is_number(a) and is_number(b):
        return bool(a == b)
    if a is None or b is None:
        return a is None and b is None
    return deep_equal(a, b)


def _add(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return a + b
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(a, dt.datetime) and isinstance(b, dt.timedelta):
        return a + b
    if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta | dt.datetime):
        return a + b
    raise _mismatch(a, "+", b)


def _sub(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return a - b
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime | dt.timedelta):
        return a - b
    if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
        return a - b
    raise _mismatch(a, "-", b)


def _mul(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return a * b
    if isinstance(a, dt.timedelta) and is_number(b):
        return a * b
    raise _mismatch(a, "*", b)


def _div(a: Any, b: Any) -> float:
    if not (is_number(a) and is_number(b)):
        raise _mismatch(a, "/", b)
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return float(a) / float(b)


def _mod(a: Any, b: Any) -> int:
    if not (is_int(a) and is_int(b)):
        raise _mismatch(a, "%", b)
    if b == 0:
        raise ExprError("integer divide by zero")
    remainder = int(abs(a) % abs(b))
    return remainder if a >= 0 else -remainder


def _pow(a: Any, b: Any) -> float:
    if not (is_number(a) and is_number(b)):
        raise _mismatch(a, "**", b)
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.inf if a > 0 or float(b) % 2 == 0 else -math.inf
    except ValueError:
        return math.inf if a == 0 else math.nan


def _ordered(op: str, check: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        if (is_number(a) and is_number(b)) or (isinstance(a, str) and isinstance(b, str)):
            return check(a, b)
        if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
            return check(a, b)
        if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
            return check(a, b)
        raise _mismatch(a, op, b)

    return compare


def _in(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    if isinstance(haystack, list | tuple):
        return any(equal(item, needle) for item in haystack)
    if isinstance(haystack, dict):
        if needle is None or isinstance(needle, str):
            return needle in haystack
        raise ExprError(f"cannot use {go_type(needle)} as type string in map key")
    raise ExprError(f'operator "in" not defined on {go_type(haystack)}')


def _strings(op: str, check: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        if isinstance(a, str) and isinstance(b, str):
            return check(a, b)
        raise _mismatch(a, op, b)

    return compare


@functools.lru_cache(maxsize=512)
def go_regexp(pattern: str) -> re.Pattern[str]:
    """Compile a Go (RE2) pattern with Python's ``re``; the common syntax is shared."""
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ExprError(f"error parsing regexp: {exc}: `{pattern}`") from None


def _matches(a: Any, b: Any) -> bool:
    if not isinstance(a, str) or not isinstance(b, str):
        raise _mismatch(a, "matches", b)
    return go_regexp(b).search(a) is not None


def _range(a: Any, b: Any) -> list[Any]:
    if not (is_int(a) and is_int(b)):
        raise _mismatch(a, "..", b)
    return list(range(a, b + 1))


BINARY_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": _add,
    "-": _sub,
    "*": _mul,
    "/": _div,
    "%": _mod,
    "**": _pow,
    "^": _pow,
    "==": equal,
    "!=": lambda a, b: not equal(a, b),
    "<": _ordered("<", lambda a, b: a < b),
    ">": _ordered(">", lambda a, b: a > b),
    "<=": _ordered("<=", lambda a, b: a <= b),
    ">=": _ordered(">=", lambda a, b: a >= b),
    "in": _in,
    "contains": _strings("contains", lambda a, b: b in a),
    "startsWith": _strings("startsWith", lambda a, b: a.startswith(b)),
    "endsWith": _strings("endsWith", lambda a, b: a.endswith(b)),
    "matches": _matches,
    "..": _range,
}


# --- member access -----------------------------------------------------------------------------

_DURATION_METHODS: dict[str, Callable[[dt.timedelta], Any]] = {
    "Seconds": lambda d: d.total_seconds(),
    "Minutes": lambda d: d.total_seconds() / 60,
    "Hours": lambda d: d.total_seconds() / 3600,
    "Milliseconds": lambda d: int(d.total_seconds() * 1000),
    "String": format_v,
}
_TIME_METHODS: dict[str, Callable[[dt.datetime], Any]] = {
    "Unix": lambda t: int(t.timestamp()),
    "Year": lambda t: t.year,
    "Day": lambda t: t.day,
    "Hour": lambda t: t.hour,
    "Minute": lambda t: t.minute,
    "Second": lambda t: t.second,
    "String": format_v,
}


def fetch(obj: Any, key: Any) -> Any:
    """``obj.key`` / ``obj[key]`` with expr's rules (negative indexes count from the end)."""
    if isinstance(obj, dict):
        if isinstance(key, str):
            return obj.get(key)
        raise ExprError(f"cannot fetch {format_v(key)} from {go_type(obj)}")
    if isinstance(obj, list | tuple | str):
        if isinstance(key, float) and not math.isnan(key):
            key = int(key)
        if not is_int(key):
            raise ExprError(f"cannot fetch {format_v(key)} from {go_type(obj)}")
        seq: Any = obj.encode() if isinstance(obj, str) else obj
        index = key + len(seq) if key < 0 else key
        if not 0 <= index < len(seq):
            raise ExprError(f"index out of range: {index} (array length is {len(seq)})")
        return seq[index]
    if isinstance(obj, dt.timedelta) and key in _DURATION_METHODS:
        return lambda: _DURATION_METHODS[key](obj)
    if isinstance(obj, dt.datetime) and key in _TIME_METHODS:
        return lambda: _TIME_METHODS[key](obj)
    raise ExprError(f"cannot fetch {format_v(key)} from {go_type(obj)}")


def _slice(obj: Any, start: Any, stop: Any) -> Any:
    if not isinstance(obj, list | tuple | str):
        raise ExprError(f"cannot slice {go_type(obj)}")
    length = len(obj)
    a = 0 if start is None else to_int(start)
    b = length if stop is None else to_int(stop)
    a = max(a + length if a < 0 else a, 0)
    b = min(max(b + length if b < 0 else b, 0), length)
    return obj[min(a, b) : b]


# --- predicate builtins ------------------------------------------------------------------------


def _items(name: str, value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    raise ExprError(f"cannot iterate over {go_type(value)} in {name}")


def _predicate(name: str, args: tuple[Fn, ...]) -> Fn:
    source, pred = args[0], args[1] if len(args) > 1 else None
    extra = args[2] if len(args) > 2 else None

    def each(scope: Scope) -> list[tuple[Any, Any]]:
        items = _items(name, source(scope))
        if pred is None:
            return [(item, item) for item in items]
        return [(item, pred(scope.element(item, i))) for i, item in enumerate(items)]

    if name in ("all", "any", "none", "one", "filter", "find", "findIndex", "findLast", "findLastIndex"):

        def run(scope: Scope) -> Any:
            items = _items(name, source(scope))
            assert pred is not None
            indexes = (
                range(len(items) - 1, -1, -1) if name in ("findLast", "findLastIndex") else range(len(items))
            )
            hits: list[int] = []
            for i in indexes:
                if _bool(pred(scope.element(items[i], i))):
                    hits.append(i)
                    if name in ("any", "find", "findIndex", "findLast", "findLastIndex"):
                        break
                elif name == "all":
                    return False
                if name == "none" and hits:
                    return False
            results: dict[str, Callable[[], Any]] = {
                "all": lambda: True,
                "any": lambda: bool(hits),
                "none": lambda: not hits,
                "one": lambda: len(hits) == 1,
                "filter": lambda: [items[i] for i in hits],
                "find": lambda: items[hits[0]] if hits else None,
                "findLast": lambda: items[hits[0]] if hits else None,
                "findIndex": lambda: hits[0] if hits else -1,
                "findLastIndex": lambda: hits[0] if hits else -1,
            }
            return results[name]()

        return run
    if name == "map":
        return lambda scope: [value for _, value in each(scope)]
    if name == "count":
        return lambda scope: sum(1 for _, value in each(scope) if _bool(value))
    if name == "sum":

        def total(scope: Scope) -> Any:
            result: Any = 0
            for _, value in each(scope):
                result = _add(result, value)
            return result

        return total
    if name == "groupBy":

        def group(scope: Scope) -> dict[Any, list[Any]]:
            out: dict[Any, list[Any]] = {}
            for item, key in each(scope):
                out.setdefault(key, []).append(item)
            return out

        return group
    if name == "sortBy":

        def sort_by(scope: Scope) -> list[Any]:
            order = extra(scope) if extra else "asc"
            pairs = each(scope)
            try:
                pairs.sort(key=lambda pair: pair[1], reverse=order == "desc")
            except TypeError:
                raise ExprError("sortBy: cannot compare values of different types") from None
            return [item for item, _ in pairs]

        return sort_by

    def reduce(scope: Scope) -> Any:
        items = _items(name, source(scope))
        assert pred is not None
        if extra is not None:
            acc, start = extra(scope), 0
        elif items:
            acc, start = items[0], 1
        else:
            raise ExprError("reduce of empty array with no initial value")
        for i in range(start, len(items)):
            acc = pred(scope.element(items[i], i, acc))
        return acc

    return reduce


# --- compilation -------------------------------------------------------------------------------


def compile_node(node: ast.Node) -> Fn:
    """Closure that evaluates ``node`` in a scope."""
    if isinstance(node, ast.Literal):
        value = node.value
        return lambda _scope: value
    if isinstance(node, ast.Identifier):
        return _identifier(node.name)
    if isinstance(node, ast.Pointer):
        if node.name == "":
            return lambda scope: scope.item
        if node.name == "index":
            return lambda scope: scope.index
        if node.name == "acc":
            return lambda scope: scope.acc
        raise ExprError(f"unknown pointer #{node.name}")
    if isinstance(node, ast.Member):
        return _member(node)
    if isinstance(node, ast.Chain):
        inner = compile_node(node.node)

        def chain(scope: Scope) -> Any:
            try:
                return inner(scope)
            except _NilChain:
                return None

        return chain
    if isinstance(node, ast.Slice):
        obj_fn = compile_node(node.obj)
        start_fn = compile_node(node.start) if node.start else None
        stop_fn = compile_node(node.stop) if node.stop else None
        return lambda scope: _slice(
            obj_fn(scope), start_fn(scope) if start_fn else None, stop_fn(scope) if stop_fn else None
        )
    if isinstance(node, ast.Array):
        item_fns = [compile_node(item) for item in node.items]
        return lambda scope: [fn(scope) for fn in item_fns]
    if isinstance(node, ast.Map):
        pair_fns = [(compile_node(k), compile_node(v)) for k, v in node.pairs]
        return lambda scope: {_map_key(k(scope)): v(scope) for k, v in pair_fns}
    if isinstance(node, ast.Unary):
        return _unary(node)
    if isinstance(node, ast.Binary):
        return _binary(node)
    if isinstance(node, ast.Conditional):
        cond_fn, then_fn, else_fn = (
            compile_node(node.cond),
            compile_node(node.then),
            compile_node(node.otherwise),
        )
        return lambda scope: then_fn(scope) if _bool(cond_fn(scope)) else else_fn(scope)
    if isinstance(node, ast.Let):
        value_fn, body_fn, name = compile_node(node.value), compile_node(node.body), node.name
        return lambda scope: body_fn(scope.bind(name, value_fn(scope)))
    if isinstance(node, ast.Predicate):
        return compile_node(node.body)
    if isinstance(node, ast.Builtin):
        arg_fns = tuple(compile_node(arg) for arg in node.args)
        if node.name in PREDICATES:
            return _predicate(node.name, arg_fns)
        builtin = BUILTINS[node.name]
        return lambda scope: builtin(*[fn(scope) for fn in arg_fns])
    if isinstance(node, ast.Call):
        return _call(node)
    raise ExprError(f"unsupported node {type(node).__name__}")


def _map_key(key: Any) -> str:
    return key if isinstance(key, str) else format_v(key)


def _identifier(name: str) -> Fn:
    def lookup(scope: Scope) -> Any:
        variables = scope.variables
        if variables and name in variables:
            return variables[name]
        function = scope.functions.get(name, _MISSING)
        if function is not _MISSING:
            return function
        env = scope.env
        if name in env:
            return env[name]
        raise ExprError(f"unknown name {name}")

    return lookup


def _member(node: ast.Member) -> Fn:
    obj_fn = compile_node(node.obj)
    optional = node.optional
    if isinstance(node.prop, ast.Literal) and isinstance(node.prop.value, str):
        key = node.prop.value

        def named(scope: Scope) -> Any:
            obj = obj_fn(scope)
            if type(obj) is dict:
                return obj.get(key)
            if obj is None:
                if optional:
                    raise _NilChain
                raise ExprError(f"cannot fetch {key} from <nil>")
            return fetch(obj, key)

        return named
    prop_fn = compile_node(node.prop)

    def indexed(scope: Scope) -> Any:
        obj = obj_fn(scope)
        if obj is None:
            if optional:
                raise _NilChain
            raise ExprError(f"cannot fetch {format_v(prop_fn(scope))} from <nil>")
        return fetch(obj, prop_fn(scope))

    return indexed


def _unary(node: ast.Unary) -> Fn:
    operand = compile_node(node.operand)
    if node.op in ("not", "!"):
        return lambda scope: not _bool(operand(scope))

    def sign(scope: Scope) -> Any:
        value = operand(scope)
        if is_number(value) or isinstance(value, dt.timedelta):
            return -value if node.op == "-" else value
        raise ExprError(f"invalid operation: {node.op} {go_type(value)}")

    return sign


def _binary(node: ast.Binary) -> Fn:
    left, right = compile_node(node.left), compile_node(node.right)
    op = node.op
    if op in ("and", "&&"):
        return lambda scope: right(scope) if _bool(left(scope)) else False
    if op in ("or", "||"):
        return lambda scope: True if _bool(left(scope)) else right(scope)
    if op == "??":

        def coalesce(scope: Scope) -> Any:
            try:
                value = left(scope)
            except _NilChain:
                value = None
            return right(scope) if value is None else value

        return coalesce
    operator = BINARY_OPERATORS.get(op)
    if operator is None:
        raise ExprError(f"unknown operator {op}")
    if op == "matches" and isinstance(node.right, ast.Literal) and isinstance(node.right.value, str):
        go_regexp(node.right.value)  # a bad literal pattern is a compile error, as in expr
    return lambda scope: operator(left(scope), right(scope))


def _call(node: ast.Call) -> Fn:
    callee_fn = compile_node(node.callee)
    arg_fns = [compile_node(arg) for arg in node.args]
    callee = node.callee
    name = "function"
    if isinstance(callee, ast.Identifier):
        name = callee.name
    elif isinstance(callee, ast.Member) and isinstance(callee.prop, ast.Literal):
        name = str(callee.prop.value)

    def call(scope: Scope) -> Any:
        function = callee_fn(scope)
        if not callable(function):
            raise ExprError(f"{name} is not callable (type {go_type(function)})")
        args = [fn(scope) for fn in arg_fns]
        try:
            return function(*args)
        except (ExprError, _NilChain):
            raise
        except TypeError as exc:
            raise ExprError(f"reflect: Call of {name} with wrong arguments: {exc}") from None
        except (ValueError, ArithmeticError) as exc:
            raise ExprError(f"{name}: {exc}") from None

    return call
