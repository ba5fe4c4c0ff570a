"""How Sprig's ``interface{}`` functions convert arguments: ``spf13/cast``, quietly zero on failure.

So ``sprig.int("x") == 0`` as in Argo, while typed Go functions reject a wrong type.
"""

from __future__ import annotations

import math
import re

from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.gostrconv import parse_float, parse_int_base0
from wfsync.expressions.exprlang.values import format_v, go_type


def _s(value: object) -> str:
    if not isinstance(value, str):
        raise ExprError(f"reflect: Call using {go_type(value)} as type string")
    return value


def _i(value: object) -> int:
    if type(value) is not int:
        raise ExprError(f"reflect: Call using {go_type(value)} as type int")
    return value


def strval(value: object) -> str:
    """Sprig's ``strval``: strings as they are, everything else through ``%v``."""
    return value if isinstance(value, str) else format_v(value)


def to_int64(value: object) -> int:
    """``cast.ToInt64`` with errors ignored (sprig's ``toInt64``)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return 0 if math.isnan(value) or math.isinf(value) else int(value)
    if isinstance(value, str):
        text = re.sub(r"\.0+\Z", "", value) if re.search(r"\d\.0+\Z", value) else value
        parsed = parse_int_base0(text)
        return 0 if parsed is None else parsed
    return 0


def to_float64(value: object) -> float:
    """``cast.ToFloat64`` with errors ignored."""
    if value is None:
        return 0.0
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        parsed = parse_float(value)
        return 0.0 if parsed is None else parsed
    return 0.0


def empty(value: object) -> bool:
    """Sprig's ``empty``: nil, zero numbers, false, and empty strings, lists and maps."""
    if value is None:
        return True
    if isinstance(value, str | list | tuple | dict):
        return len(value) == 0
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value == 0
    return False


def _strslice(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [strval(item) for item in value if item is not None]
    return [strval(value)]


def _go_div(a: int, b: int, op: str) -> int:
    if b == 0:
        raise ExprError("runtime error: integer divide by zero")
    quotient = abs(a) // abs(b)
    if op == "/":
        return quotient if (a >= 0) == (b >= 0) else -quotient
    remainder = abs(a) - quotient * abs(b)
    return remainder if a >= 0 else -remainder
