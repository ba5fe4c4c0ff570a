"""Builtins over arrays and maps: ``first``, ``keys``, ``sort``, ``flatten``, ``uniq`` ..."""

from __future__ import annotations

from typing import Any

from wfsync.expressions.exprlang.builtin_args import _arity, _list, _string, to_int
from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.values import format_v, go_type, is_int


def _first(*args: object) -> object:
    _arity("first", args, 1)
    value = args[0]
    if isinstance(value, list | tuple | str):
        return value[0] if value else None
    raise ExprError(f"cannot get first element from {go_type(value)}")


def _last(*args: object) -> object:
    _arity("last", args, 1)
    value = args[0]
    if isinstance(value, list | tuple | str):
        return value[-1] if value else None
    raise ExprError(f"cannot get last element from {go_type(value)}")


def _get(*args: object) -> object:
    _arity("get", args, 2)
    value, key = args
    if isinstance(value, dict):
        return value.get(key) if isinstance(key, str) else None
    if isinstance(value, list | tuple) and is_int(key):
        index = key + len(value) if key < 0 else key
        return value[index] if 0 <= index < len(value) else None
    return None


def _take(*args: object) -> list[object]:
    _arity("take", args, 2)
    return _list("take", args[0])[: max(to_int(args[1]), 0)]


def _keys(*args: object) -> list[object]:
    _arity("keys", args, 1)
    if not isinstance(args[0], dict):
        raise ExprError(f"cannot get keys from {go_type(args[0])}")
    return sorted(args[0])


def _values(*args: object) -> list[object]:
    _arity("values", args, 1)
    if not isinstance(args[0], dict):
        raise ExprError(f"cannot get values from {go_type(args[0])}")
    return [args[0][key] for key in sorted(args[0])]


def _to_pairs(*args: object) -> list[object]:
    _arity("toPairs", args, 1)
    if not isinstance(args[0], dict):
        raise ExprError(f"cannot transform {go_type(args[0])} to pairs")
    return [[key, args[0][key]] for key in sorted(args[0])]


def _from_pairs(*args: object) -> dict[str, object]:
    _arity("fromPairs", args, 1)
    out: dict[str, object] = {}
    for pair in _list("fromPairs", args[0]):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ExprError(f"invalid pair {format_v(pair)}")
        out[pair[0]] = pair[1]
    return out


def _sort(*args: object) -> list[object]:
    _arity("sort", args, 1, 2)
    items: list[Any] = _list("sort", args[0])  # numbers or strings; sorted() refuses a mix
    order = _string("sort", args[1]) if len(args) > 1 else "asc"
    if order not in ("asc", "desc"):
        raise ExprError(f"unknown order {order}, use asc or desc")
    try:
        return sorted(items, reverse=order == "desc")
    except TypeError:
        raise ExprError("cannot sort values of different types") from None


def _concat(*args: object) -> list[object]:
    out: list[object] = []
    for arg in args:
        out.extend(_list("concat", arg))
    return out


def _flatten(*args: object) -> list[object]:
    _arity("flatten", args, 1)

    def walk(items: list[object]) -> list[object]:
        out: list[object] = []
        for item in items:
            out.extend(walk(list(item)) if isinstance(item, list | tuple) else [item])
        return out

    return walk(_list("flatten", args[0]))


def _uniq(*args: object) -> list[object]:
    _arity("uniq", args, 1)
    out: list[object] = []
    for item in _list("uniq", args[0]):
        if not any(type(item) is type(seen) and item == seen for seen in out):
            out.append(item)
    return out


def _reverse(*args: object) -> list[object]:
    _arity("reverse", args, 1)
    return _list("reverse", args[0])[::-1]
