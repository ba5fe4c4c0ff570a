"""Go-compatible rendering of expression values.

Argo runs expr-lang inside Go, so what users see is Go's formatting: ``fmt``'s ``%v``,
``encoding/json``'s ``Marshal`` (sorted keys, HTML-safe escapes, ``3`` not ``3.0``) and Go type
names in error messages. Values are plain Python objects: ``int`` (Go ``int``), ``float``
(``float64``), ``str``, ``bool``, ``None`` (``nil``), ``list`` and ``dict`` (JSON-like), plus
``datetime``/``timedelta`` for ``now()`` and durations.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import TypeGuard

from wfsync.expressions.exprlang.errors import ExprError


def is_int(value: object) -> TypeGuard[int]:
    """True for Go integers (Python ``bool`` is an ``int`` subclass and must not count)."""
    return type(value) is int


def is_number(value: object) -> bool:
    """True for Go ``int`` or ``float64``."""
    return type(value) is int or type(value) is float


def go_type(value: object) -> str:
    """The Go type name expr-lang would print for ``value`` (``%T``)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, dt.datetime):
        return "time.Time"
    if isinstance(value, dt.timedelta):
        return "time.Duration"
    if callable(value):
        return "func(...interface {}) interface {}"
    return type(value).__name__


def _digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits of a finite non-zero ``|value|`` and its decimal point position."""
    sign_digits_exp = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(str(d) for d in sign_digits_exp.digits)
    exponent = sign_digits_exp.exponent
    assert isinstance(exponent, int)
    return digits, len(digits) + exponent


def _fixed(digits: str, point: int) -> str:
    if point <= 0:
        return "0." + "0" * -point + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return digits[:point] + "." + digits[point:]


def _exponent(digits: str, point: int) -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exp = point - 1
    return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def format_float(value: float) -> str:
    """Go's ``%v`` for a ``float64`` (``strconv.FormatFloat(f, 'g', -1, 64)``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    digits, point = _digits(value)
    exp = point - 1
    text = _exponent(digits, point) if exp < -4 or exp >= 6 else _fixed(digits, point)
    return ("-" if value < 0 else "") + text


def json_float(value: float) -> str:
    """Go ``encoding/json``'s text for a ``float64``; NaN and infinities are an error, as in Go."""
    if math.isnan(value) or math.isinf(value):
        raise ExprError(f"json: unsupported value: {format_float(value)}")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    digits, point = _digits(value)
    magnitude = abs(value)
    if magnitude < 1e-6 or magnitude >= 1e21:
        text = _exponent(digits, point)
        mantissa, _, exp = text.partition("e")
        sign, number = exp[0], exp[1:].lstrip("0") or "0"
        text = f"{mantissa}e{sign}{number}"
    else:
        text = _fixed(digits, point)
    return ("-" if value < 0 else "") + text


def format_duration(value: dt.timedelta) -> str:
    """Go's ``time.Duration.String()`` (``1h2m3.5s``, ``0s``)."""
    nanos = (value.days * 86400 + value.seconds) * 1_000_000_000 + value.microseconds * 1000
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    nanos = abs(nanos)
    if nanos < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1000), ("ns", 1)):
            if nanos >= size:
                return sign + _trim_decimal(nanos / size) + unit
    hours, rest = divmod(nanos, 3600 * 1_000_000_000)
    minutes, rest = divmod(rest, 60 * 1_000_000_000)
    seconds = _trim_decimal(rest / 1_000_000_000)
    text = f"{minutes}m{seconds}s" if hours or minutes else f"{seconds}s"
    return sign + (f"{hours}h" if hours else "") + text


def _trim_decimal(number: float) -> str:
    text = f"{number:.9f}".rstrip("0").rstrip(".")
    return text or "0"


def format_time(value: dt.datetime) -> str:
    """Go's ``time.Time.String()`` shape: ``2006-01-02 15:04:05.999999999 -0700 MST``."""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    text = aware.strftime("%Y-%m-%d %H:%M:%S")
    if aware.microsecond:
        text += f".{aware.microsecond:06d}".rstrip("0")
    offset = aware.strftime("%z")
    zone = aware.tzname() or ""
    return f"{text} {offset} {'UTC' if zone in ('UTC', 'UTC+00:00') else zone}"


def format_v(value: object) -> str:
    """Go's ``fmt.Sprintf("%v", value)`` for expression values."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "[" + " ".join(format_v(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{format_v(k)}:{format_v(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, dt.datetime):
        return format_time(value)
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    return str(value)


_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_string(text: str) -> str:
    """A JSON string literal the way Go writes it (HTML-safe, UTF-8 kept)."""
    out = json.dumps(text, ensure_ascii=False)
    if any(ch in out for ch in _HTML_ESCAPES):
        out = "".join(_HTML_ESCAPES.get(ch, ch) for ch in out)
    return out


def rfc3339(value: dt.datetime) -> str:
    """``time.Time`` as Go's JSON encoder writes it (RFC 3339 with nanoseconds trimmed)."""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    text = aware.strftime("%Y-%m-%dT%H:%M:%S")
    if aware.microsecond:
        text += f".{aware.microsecond:06d}".rstrip("0")
    offset = aware.utcoffset()
    if not offset:
        return text + "Z"
    raw = aware.strftime("%z")
    return f"{text}{raw[:3]}:{raw[3:5]}"


def go_json(value: object, indent: str | None = None, _level: int = 0) -> str:
    """Go's ``json.Marshal`` (or ``MarshalIndent(v, "", indent)``) of an expression value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json_float(value)
    if isinstance(value, str):
        return json_string(value)
    if isinstance(value, dt.datetime):
        return json_string(rfc3339(value))
    if isinstance(value, dt.timedelta):
        return str((value.days * 86400 + value.seconds) * 1_000_000_000 + value.microseconds * 1000)
    if isinstance(value, list | tuple):
        items = [go_json(item, indent, _level + 1) for item in value]
        return _join("[", "]", items, indent, _level)
    if isinstance(value, dict):
        pairs = [
            json_string(str(key))
            + (": " if indent is not None else ":")
            + go_json(value[key], indent, _level + 1)
            for key in sorted(value, key=str)
        ]
        return _join("{", "}", pairs, indent, _level)
    raise ExprError(f"json: unsupported type: {go_type(value)}")


def _join(opener: str, closer: str, items: list[str], indent: str | None, level: int) -> str:
    if not items:
        return opener + closer
    if indent is None:
        return opener + ",".join(items) + closer
    inner = "\n" + indent * (level + 1)
    return opener + inner + ("," + inner).join(items) + "\n" + indent * level + closer


def from_go_json(text: str) -> object:
    """``json.Unmarshal`` into ``interface{}``: every JSON number becomes a ``float64``."""
    return json.loads(text, parse_int=float, parse_constant=_reject_constant)


def _reject_constant(name: str) -> object:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


def deep_equal(left: object, right: object) -> bool:
    """Go's ``reflect.DeepEqual`` on JSON-like values: types must match exactly."""
    if type(left) is not type(right):
        return False
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(deep_equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(deep_equal(left[k], right[k]) for k in left)
    return bool(left == right)
