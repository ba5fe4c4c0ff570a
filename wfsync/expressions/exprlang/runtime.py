"""expr-lang's runtime (``vm/runtime``): scopes, operators, member access and slices.

``/`` always yields a float, ``%`` needs integers, ``==`` compares numbers across int/float but
nothing else across types, member access on a map with a missing key yields ``nil``, and type
mismatches fail with "invalid operation: string + int"; compiled closures call these.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable
from typing import Any

from wfsync.expressions.exprlang.builtins import to_int
from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.values import deep_equal, format_v, go_type, is_int, is_number


class Scope:
    """What an expression sees while it runs: environment, functions, ``let`` names, ``#`` values."""

    __slots__ = ("acc", "env", "functions", "index", "item", "variables")

    def __init__(
        self,
        env: Any,
        functions: Any,
        variables: dict[str, Any] | None = None,
        item: object = None,
        index: int = 0,
        acc: object = None,
    ) -> None:
        self.env = env
        self.functions = functions
        self.variables = variables
        self.item = item
        self.index = index
        self.acc = acc

    def element(self, item: object, index: int, acc: object = None) -> Scope:
        """The scope of one predicate call over ``item``."""
        return Scope(self.env, self.functions, self.variables, item, index, acc)

    def bind(self, name: str, value: object) -> Scope:
        """The scope of a ``let`` body."""
        variables = dict(self.variables or {})
        variables[name] = value
        return Scope(self.env, self.functions, variables, self.item, self.index, self.acc)


Fn = Callable[[Scope], Any]
_MISSING = object()


class _NilChain(Exception):
    """Raised at a ``?.`` on nil; the enclosing chain turns it into ``nil``."""


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    kind = "nil" if value is None else go_type(value)
    raise ExprError(f"interface conversion: interface {{}} is {kind}, not bool")


# --- operators ---------------------------------------------------------------------------------


def _mismatch(a: object, op: str, b: object) -> ExprError:
    return ExprError(f"invalid operation: {go_type(a)} {op} {go_type(b)}")


def equal(a: object, b: object) -> bool:
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
    def compare(a: object, b: object) -> bool:
        if (is_number(a) and is_number(b)) or (isinstance(a, str) and isinstance(b, str)):
            return check(a, b)
        if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
            return check(a, b)
        if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
            return check(a, b)
        raise _mismatch(a, op, b)

    return compare


def _in(needle: object, haystack: object) -> bool:
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
    def compare(a: object, b: object) -> bool:
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


def _matches(a: object, b: object) -> bool:
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


def _slice(obj: object, start: object, stop: object) -> Any:
    if not isinstance(obj, list | tuple | str):
        raise ExprError(f"cannot slice {go_type(obj)}")
    length = len(obj)
    a = 0 if start is None else to_int(start)
    b = length if stop is None else to_int(stop)
    a = max(a + length if a < 0 else a, 0)
    b = min(max(b + length if b < 0 else b, 0), length)
    return obj[min(a, b) : b]


# --- predicate builtins ------------------------------------------------------------------------
