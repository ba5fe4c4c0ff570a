"""Argument checks every builtin shares, with expr's wording (``invalid argument for len``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.gostrconv import atoi, parse_float
from wfsync.expressions.exprlang.values import go_type

Function = Callable[..., object]
_N = TypeVar("_N", int, float)


def _arity(name: str, args: tuple[object, ...], low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if len(args) < low:
        raise ExprError(f"not enough arguments to call {name}")
    if len(args) > high:
        raise ExprError(f"too many arguments to call {name}")


def _string(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ExprError(f"invalid argument for {name} (type {go_type(value)})")
    return value


def _list(name: str, value: object) -> list[object]:
    if not isinstance(value, list | tuple):
        raise ExprError(f"invalid argument for {name} (type {go_type(value)})")
    return list(value)


def to_int(value: object) -> int:
    """Expr's ``int()`` (and Argo's ``asInt``): floats truncate, strings must pass ``strconv.Atoi``."""
    if isinstance(value, bool):
        raise ExprError("invalid operation: int(bool)")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return -(2**63)
        return int(value)
    if isinstance(value, str):
        return _parsed("int", value, atoi(value))
    raise ExprError(f"invalid operation: int({go_type(value)})")


def to_float(value: object) -> float:
    """Expr's ``float()`` (and Argo's ``asFloat``): strings must pass ``strconv.ParseFloat``."""
    if isinstance(value, bool):
        raise ExprError("invalid operation: float(bool)")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return _parsed("float", value, parse_float(value))
    raise ExprError(f"invalid operation: float({go_type(value)})")


def _parsed(kind: str, text: str, parsed: _N | None) -> _N:
    """A string's conversion by ``int()`` or ``float()``; ``None`` (Go's parse error) is refused."""
    if parsed is None:
        raise ExprError(f"invalid operation: {kind}({text})")
    return parsed
