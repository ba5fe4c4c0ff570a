"""expr-lang's non-predicate builtins (``len``, ``int``, ``toJSON``, ``keys``, ...).

Each takes already-evaluated arguments and raises :class:`ExprError` with expr's wording when the
argument types do not fit. Predicate builtins (``filter``, ``map``, ...) need closures and live in
the evaluator.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from wfsync.expressions.exprlang.builtin_args import Function, _arity, _list, _string, to_float, to_int
from wfsync.expressions.exprlang.builtin_data import (
    _date,
    _duration,
    _from_base64,
    _from_json,
    _now,
    _to_base64,
    _to_json,
    parse_duration,
    parse_time,
)
from wfsync.expressions.exprlang.builtin_lists import (
    _concat,
    _first,
    _flatten,
    _from_pairs,
    _get,
    _keys,
    _last,
    _reverse,
    _sort,
    _take,
    _to_pairs,
    _uniq,
    _values,
)
from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.values import format_v, go_type, is_int, is_number

__all__ = ["BUILTINS", "Function", "go_split", "parse_duration", "parse_time", "to_float", "to_int"]


def _len(*args: object) -> int:
    _arity("len", args, 1)
    value = args[0]
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, list | tuple | dict):
        return len(value)
    raise ExprError(f"invalid argument for len (type {go_type(value)})")


def _type(*args: object) -> str:
    _arity("type", args, 1)
    value = args[0]
    if value is None:
        return "nil"
    names = {bool: "bool", int: "int", float: "float", str: "string", list: "array", dict: "map"}
    if type(value) in names:
        return names[type(value)]
    if isinstance(value, dt.datetime):
        return "time.Time"
    if isinstance(value, dt.timedelta):
        return "time.Duration"
    return "func" if callable(value) else "unknown"


def _abs(*args: Any) -> Any:
    _arity("abs", args, 1)
    if is_number(args[0]):
        return abs(args[0])
    raise ExprError(f"invalid argument for abs (type {go_type(args[0])})")


def _rounder(name: str, fn: Callable[[float], float]) -> Function:
    def call(*args: Any) -> float:
        _arity(name, args, 1)
        if is_number(args[0]):
            return float(fn(args[0]))
        raise ExprError(f"invalid argument for {name} (type {go_type(args[0])})")

    return call


def _go_round(value: float) -> float:
    return float(math.floor(abs(value) + 0.5)) * (1 if value >= 0 else -1)


def _trim(*args: object) -> str:
    _arity("trim", args, 1, 2)
    text = _string("trim", args[0])
    return text.strip(_string("trim", args[1])) if len(args) > 1 else text.strip(" \t\n\r\v\f\x85\xa0")


def _trim_prefix(*args: object) -> str:
    _arity("trimPrefix", args, 1, 2)
    text = _string("trimPrefix", args[0])
    return text.removeprefix(_string("trimPrefix", args[1]) if len(args) > 1 else " ")


def _trim_suffix(*args: object) -> str:
    _arity("trimSuffix", args, 1, 2)
    text = _string("trimSuffix", args[0])
    return text.removesuffix(_string("trimSuffix", args[1]) if len(args) > 1 else " ")


def _split(*args: object) -> list[Any]:
    _arity("split", args, 2, 3)
    text, sep = _string("split", args[0]), _string("split", args[1])
    limit = to_int(args[2]) if len(args) > 2 else -1
    return go_split(text, sep, limit)


def go_split(text: str, sep: str, limit: int = -1) -> list[Any]:
    """Go's ``strings.SplitN`` (``sep == ""`` splits into characters)."""
    if limit == 0:
        return []
    if sep == "":
        chars: list[Any] = list(text)
        if 0 < limit < len(chars):
            chars = [*chars[: limit - 1], "".join(chars[limit - 1 :])]
        return chars
    parts: list[Any] = text.split(sep) if limit < 0 else text.split(sep, limit - 1)
    return parts


def _split_after(*args: object) -> list[Any]:
    _arity("splitAfter", args, 2, 3)
    text, sep = _string("splitAfter", args[0]), _string("splitAfter", args[1])
    parts = go_split(text, sep, to_int(args[2]) if len(args) > 2 else -1)
    return [part + sep for part in parts[:-1]] + parts[-1:]


def _replace(*args: object) -> str:
    _arity("replace", args, 3)
    return _string("replace", args[0]).replace(_string("replace", args[1]), _string("replace", args[2]))


def _repeat(*args: object) -> str:
    _arity("repeat", args, 2)
    count = to_int(args[1])
    if count < 0:
        raise ExprError("invalid argument for repeat (type int)")
    return _string("repeat", args[0]) * count


def _join(*args: object) -> str:
    _arity("join", args, 1, 2)
    items = _list("join", args[0])
    sep = _string("join", args[1]) if len(args) > 1 else ""
    return sep.join(_string("join", item) for item in items)


def _index_of(*args: object) -> int:
    _arity("indexOf", args, 2)
    text, sub = _string("indexOf", args[0]), _string("indexOf", args[1])
    return text.find(sub)


def _last_index_of(*args: object) -> int:
    _arity("lastIndexOf", args, 2)
    text, sub = _string("lastIndexOf", args[0]), _string("lastIndexOf", args[1])
    return text.rfind(sub)


def _has_prefix(*args: object) -> bool:
    _arity("hasPrefix", args, 2)
    return _string("hasPrefix", args[0]).startswith(_string("hasPrefix", args[1]))


def _has_suffix(*args: object) -> bool:
    _arity("hasSuffix", args, 2)
    return _string("hasSuffix", args[0]).endswith(_string("hasSuffix", args[1]))


def _flatten_numbers(name: str, args: tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    for arg in args:
        if isinstance(arg, list | tuple):
            out.extend(_flatten_numbers(name, tuple(arg)))
        elif is_number(arg):
            out.append(arg)
        else:
            raise ExprError(f"invalid argument for {name} (type {go_type(arg)})")
    return out


def _min_max(name: str, pick: Callable[[Any, Any], bool]) -> Function:
    def call(*args: object) -> Any:
        if not args:
            raise ExprError(f"not enough arguments to call {name}")
        if len(args) == 1 and not isinstance(args[0], list | tuple) and not is_number(args[0]):
            return args[0]
        best: Any = None
        for value in _flatten_numbers(name, args):
            if best is None or pick(value, best):
                best = value
        return best

    return call


def _mean(*args: object) -> float:
    values = _flatten_numbers("mean", args)
    return sum(values) / len(values) if values else 0.0


def _median(*args: object) -> float:
    values = sorted(_flatten_numbers("median", args))
    if not values:
        return 0.0
    mid = len(values) // 2
    return float(values[mid]) if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _bitwise(name: str, fn: Callable[[int, int], int]) -> Function:
    def call(*args: Any) -> int:
        _arity(name, args, 2)
        if not (is_int(args[0]) and is_int(args[1])):
            raise ExprError(f"invalid argument for {name} (type {go_type(args[0])})")
        return fn(args[0], args[1])

    return call


def _bitnot(*args: Any) -> int:
    _arity("bitnot", args, 1)
    if not is_int(args[0]):
        raise ExprError(f"invalid argument for bitnot (type {go_type(args[0])})")
    return int(~args[0])


def _string_fn(*args: object) -> str:
    _arity("string", args, 1)
    return format_v(args[0])


def _simple(name: str, fn: Callable[[str], str]) -> Function:
    def call(*args: object) -> str:
        _arity(name, args, 1)
        return fn(_string(name, args[0]))

    return call


def _int_fn(*args: object) -> int:
    _arity("int", args, 1)
    return to_int(args[0])


def _float_fn(*args: object) -> float:
    _arity("float", args, 1)
    return to_float(args[0])


BUILTINS: dict[str, Function] = {
    "len": _len,
    "type": _type,
    "abs": _abs,
    "ceil": _rounder("ceil", math.ceil),
    "floor": _rounder("floor", math.floor),
    "round": _rounder("round", _go_round),
    "int": _int_fn,
    "float": _float_fn,
    "string": _string_fn,
    "trim": _trim,
    "trimPrefix": _trim_prefix,
    "trimSuffix": _trim_suffix,
    "upper": _simple("upper", str.upper),
    "lower": _simple("lower", str.lower),
    "split": _split,
    "splitAfter": _split_after,
    "replace": _replace,
    "repeat": _repeat,
    "join": _join,
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "hasPrefix": _has_prefix,
    "hasSuffix": _has_suffix,
    "max": _min_max("max", lambda a, b: a > b),
    "min": _min_max("min", lambda a, b: a < b),
    "mean": _mean,
    "median": _median,
    "toJSON": _to_json,
    "fromJSON": _from_json,
    "toBase64": _to_base64,
    "fromBase64": _from_base64,
    "now": _now,
    "duration": _duration,
    "date": _date,
    "first": _first,
    "last": _last,
    "get": _get,
    "take": _take,
    "keys": _keys,
    "values": _values,
    "toPairs": _to_pairs,
    "fromPairs": _from_pairs,
    "sort": _sort,
    "concat": _concat,
    "flatten": _flatten,
    "uniq": _uniq,
    "reverse": _reverse,
    "bitand": _bitwise("bitand", lambda a, b: a & b),
    "bitor": _bitwise("bitor", lambda a, b: a | b),
    "bitxor": _bitwise("bitxor", lambda a, b: a ^ b),
    "bitnand": _bitwise("bitnand", lambda a, b: a & ~b),
    "bitshl": _bitwise("bitshl", lambda a, b: a << b),
    "bitshr": _bitwise("bitshr", lambda a, b: a >> b),
    "bitnot": _bitnot,
}
