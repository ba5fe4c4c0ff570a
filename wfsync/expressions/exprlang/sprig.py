"""The Sprig functions Argo exposes as ``sprig.*`` in expressions (Masterminds/sprig v3 semantics).

Sprig functions are typed Go functions called through reflection, so a wrong argument type fails
the way Go's ``reflect.Call`` does, while the ``interface{}`` ones convert with ``spf13/cast`` and
quietly fall back to zero (``sprig.int("x") == 0``), exactly as in Argo. Conversions and dates have
their own modules (:mod:`.sprig_cast`, :mod:`.sprig_time`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import math
import random
import re
import string
import uuid
import zlib
from collections.abc import Callable
from typing import Any, TypeVar

from wfsync.expressions.exprlang.builtins import go_split
from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.gostrconv import parse_int_base0
from wfsync.expressions.exprlang.sprig_cast import (
    _go_div,
    _i,
    _s,
    _strslice,
    empty,
    strval,
    to_float64,
    to_int64,
)
from wfsync.expressions.exprlang.sprig_time import _date, _date_in_zone, _to_date, _to_time, go_time_format
from wfsync.expressions.exprlang.values import from_go_json, go_json, go_type, json_string

__all__ = ["SPRIG", "empty", "go_time_format", "strval", "to_float64", "to_int64"]

Function = Callable[..., object]


_GO_REPLACEMENT = re.compile(r"\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")


def _python_replacement(template: str) -> Callable[[re.Match[str]], str]:
    """Go's ``Regexp.Expand`` template (``$1``, ``${name}``, ``$$``) as a substitution function."""

    def expand(match: re.Match[str]) -> str:
        def group(found: re.Match[str]) -> str:
            if found.group(1) == "$":
                return "$"
            name = found.group(2) or found.group(3)
            try:
                key: int | str = int(name) if name.isdigit() else name
                return match.group(key) or ""
            except IndexError:
                return ""

        return _GO_REPLACEMENT.sub(group, template)

    return expand


def _regex(pattern: object) -> re.Pattern[str]:
    try:
        return re.compile(_s(pattern))
    except re.error as exc:
        raise ExprError(f"regexp: Compile({json_string(_s(pattern))}): error parsing regexp: {exc}") from None


def _rand(alphabet: str) -> Function:
    def call(count: object) -> str:
        rng = random.SystemRandom()
        return "".join(rng.choice(alphabet) for _ in range(max(_i(count), 0)))

    return call


def _trunc(count: object, text: object) -> str:
    c, s = _i(count), _s(text)
    if c < 0 and len(s) + c > 0:
        return s[len(s) + c :]
    if c >= 0 and len(s) > c:
        return s[:c]
    return s


def _substr(start: object, end: object, text: object) -> str:
    a, b, s = _i(start), _i(end), _s(text)
    if a < 0:
        return s[:b]
    if b < 0 or b > len(s):
        return s[a:]
    return s[a:b]


def _split(sep: object, text: object) -> dict[str, object]:
    return {f"_{i}": part for i, part in enumerate(go_split(_s(text), _s(sep)))}


def _splitn(sep: object, count: object, text: object) -> dict[str, object]:
    return {f"_{i}": part for i, part in enumerate(go_split(_s(text), _s(sep), _i(count)))}


def _dict(*pairs: object) -> dict[str, object]:
    items = list(pairs) + ([""] if len(pairs) % 2 else [])
    return {strval(items[i]): items[i + 1] for i in range(0, len(items), 2)}


def _from_json(text: object) -> object:
    try:
        return from_go_json(_s(text))
    except ValueError:
        return None


def _to_json(value: object) -> str:
    try:
        return go_json(value)
    except ExprError:
        return ""


def _to_pretty_json(value: object) -> str:
    try:
        return go_json(value, indent="  ")
    except ExprError:
        return ""


def _b64dec(text: object) -> str:
    try:
        return base64.b64decode(_s(text), validate=True).decode("utf-8", errors="replace")
    except binascii.Error as exc:
        return f"illegal base64 data: {exc}"


def _b32dec(text: object) -> str:
    try:
        return base64.b32decode(_s(text)).decode("utf-8", errors="replace")
    except binascii.Error as exc:
        return f"illegal base32 data: {exc}"


def _round(value: object, places: object, *round_on: Any) -> float:
    on = float(round_on[0]) if round_on else 0.5
    number = to_float64(value)
    power = math.pow(10, _i(places))
    digit = power * number
    fraction = digit - math.trunc(digit)
    return (math.ceil(digit) if fraction >= on else math.floor(digit)) / power


def _list_of(name: str, value: object) -> list[object]:
    if isinstance(value, list | tuple):
        return list(value)
    raise ExprError(f"Cannot find {name} on type {go_type(value)}")


def _has(needle: object, haystack: object) -> bool:
    if haystack is None:
        return False
    return any(type(item) is type(needle) and item == needle for item in _list_of("has", haystack))


def _uniq(items: object) -> list[object]:
    out: list[object] = []
    for item in _list_of("uniq", items):
        if not any(type(item) is type(seen) and item == seen for seen in out):
            out.append(item)
    return out


def _until_step(start: object, stop: object, step: object) -> list[object]:
    a, b, c = _i(start), _i(stop), _i(step)
    if c == 0 or (c > 0 and a >= b) or (c < 0 and a <= b):
        return []
    return list(range(a, b, c))


def _seq(*params: object) -> str:
    ints = [to_int64(p) for p in params]
    if len(ints) == 1:
        start, step, end = 1, 1, ints[0]
    elif len(ints) == 2:
        start, end = ints
        step = 1 if end >= start else -1
    elif len(ints) == 3:
        start, step, end = ints
    else:
        return ""
    if step == 0 or (step > 0 and start > end) or (step < 0 and start < end):
        return ""
    return " ".join(str(v) for v in range(start, end + (1 if step > 0 else -1), step))


def _dict_arg(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ExprError(f"reflect: Call using {go_type(value)} as type map[string]interface {{}}")
    return value


def _merge(dst: object, *sources: object) -> dict[str, object]:
    target = _dict_arg(dst)
    for source in sources:
        for key, value in _dict_arg(source).items():
            target.setdefault(key, value)
    return target


def _regex_find_all(pattern: object, text: object, count: object) -> list[object]:
    found: list[object] = [m.group(0) for m in _regex(pattern).finditer(_s(text))]
    limit = _i(count)
    return found if limit < 0 else found[:limit]


def _regex_split(pattern: object, text: object, count: object) -> list[object]:
    limit = _i(count)
    if limit == 0:
        return []
    parts: list[object] = _regex(pattern).split(_s(text), maxsplit=0 if limit < 0 else limit - 1)
    return parts


def _regex_find(pattern: object, text: object) -> str:
    match = _regex(pattern).search(_s(text))
    return match.group(0) if match else ""


def _regex_match(pattern: object, text: object) -> bool:
    try:
        compiled = re.compile(_s(pattern))
    except re.error:
        return False
    return compiled.search(_s(text)) is not None


def _indent(spaces: object, text: object) -> str:
    pad = " " * _i(spaces)
    return pad + _s(text).replace("\n", "\n" + pad)


def _duration(seconds: object) -> str:
    from wfsync.expressions.exprlang.values import format_duration

    return format_duration(dt.timedelta(seconds=to_int64(seconds)))


def _ternary(true_value: object, false_value: object, condition: object) -> object:
    if not isinstance(condition, bool):
        raise ExprError(f"reflect: Call using {go_type(condition)} as type bool")
    return true_value if condition else false_value


_N = TypeVar("_N", int, float)


def _fold(convert: Callable[[object], _N], fn: Callable[[_N, _N], _N]) -> Function:
    """Sprig's variadic math: every argument converted (to int64 or float64), then folded by ``fn``."""

    def call(first: object, *rest: object) -> _N:
        total = convert(first)
        for value in rest:
            total = fn(total, convert(value))
        return total

    return call


def _divf(first: object, *rest: object) -> float:
    total = to_float64(first)
    for value in rest:
        divisor = to_float64(value)
        total = total / divisor if divisor else math.copysign(math.inf, total) if total else math.nan
    return total


SPRIG: dict[str, Function] = {
    # strings
    "trim": lambda s: _s(s).strip(" \t\n\r\v\f\x85\xa0"),
    "trimAll": lambda cut, s: _s(s).strip(_s(cut)),
    "trimPrefix": lambda prefix, s: _s(s).removeprefix(_s(prefix)),
    "trimSuffix": lambda suffix, s: _s(s).removesuffix(_s(suffix)),
    "upper": lambda s: _s(s).upper(),
    "lower": lambda s: _s(s).lower(),
    "title": lambda s: re.sub(r"(?<![A-Za-z0-9])([a-z])", lambda m: m.group(1).upper(), _s(s)),
    "untitle": lambda s: re.sub(r"(?<![A-Za-z0-9])([A-Z])", lambda m: m.group(1).lower(), _s(s)),
    "substr": _substr,
    "repeat": lambda count, s: _s(s) * max(_i(count), 0),
    "nospace": lambda s: re.sub(r"\s", "", _s(s)),
    "trunc": _trunc,
    "contains": lambda sub, s: _s(sub) in _s(s),
    "hasPrefix": lambda prefix, s: _s(s).startswith(_s(prefix)),
    "hasSuffix": lambda suffix, s: _s(s).endswith(_s(suffix)),
    "quote": lambda *items: " ".join(
        json_string(strval(v)).replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")
        for v in items
        if v is not None
    ),
    "squote": lambda *items: " ".join(f"'{strval(v)}'" for v in items if v is not None),
    "cat": lambda *items: " ".join(strval(v) for v in items if v is not None),
    "indent": _indent,
    "nindent": lambda spaces, s: "\n" + _indent(spaces, s),
    "replace": lambda old, new, src: _s(src).replace(_s(old), _s(new)),
    "swapcase": lambda s: _s(s).swapcase(),
    "snakecase": lambda s: re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", _s(s)).lower().replace("-", "_"),
    "kebabcase": lambda s: re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", _s(s)).lower().replace("_", "-"),
    "randAlphaNum": _rand(string.ascii_letters + string.digits),
    "randAlpha": _rand(string.ascii_letters),
    "randNumeric": _rand(string.digits),
    "randAscii": _rand("".join(chr(c) for c in range(32, 127))),
    # conversion
    "toString": strval,
    "toStrings": _strslice,
    "atoi": lambda s: to_int64(_s(s)) if re.fullmatch(r"[+-]?[0-9]+", _s(s)) else 0,
    "int": to_int64,
    "int64": to_int64,
    "float64": to_float64,
    "toDecimal": lambda v: parse_int_base0("0" + strval(v).lstrip("0")) or 0,
    # lists and maps
    "split": _split,
    "splitn": _splitn,
    "splitList": lambda sep, s: go_split(_s(s), _s(sep)),
    "join": lambda sep, items: _s(sep).join(_strslice(items)),
    "sortAlpha": lambda items: sorted(_strslice(items)),
    "list": lambda *items: list(items),
    "dict": _dict,
    "get": lambda d, key: _dict_arg(d).get(_s(key), ""),
    "set": lambda d, key, value: _dict_arg(d) | {_s(key): value},
    "unset": lambda d, key: _dict_arg(d).pop(_s(key), None) and d or d,
    "hasKey": lambda d, key: _s(key) in _dict_arg(d),
    "keys": lambda *dicts: sorted(k for d in dicts for k in _dict_arg(d)),
    "values": lambda d: [v for _, v in sorted(_dict_arg(d).items())],
    "pluck": lambda key, *dicts: [_dict_arg(d)[_s(key)] for d in dicts if _s(key) in _dict_arg(d)],
    "pick": lambda d, *keys: {k: v for k, v in _dict_arg(d).items() if k in keys},
    "omit": lambda d, *keys: {k: v for k, v in _dict_arg(d).items() if k not in keys},
    "merge": _merge,
    "first": lambda items: (_list_of("first", items) or [None])[0],
    "last": lambda items: (_list_of("last", items) or [None])[-1],
    "rest": lambda items: _list_of("rest", items)[1:],
    "initial": lambda items: _list_of("initial", items)[:-1],
    "append": lambda items, value: [*_list_of("append", items), value],
    "push": lambda items, value: [*_list_of("push", items), value],
    "prepend": lambda items, value: [value, *_list_of("prepend", items)],
    "concat": lambda *lists: [item for lst in lists for item in _list_of("concat", lst)],
    "reverse": lambda items: _list_of("reverse", items)[::-1],
    "uniq": _uniq,
    "without": lambda items, *omit: [v for v in _list_of("without", items) if not _has(v, list(omit))],
    "has": _has,
    "compact": lambda items: [v for v in _list_of("compact", items) if not empty(v)],
    "slice": lambda items, *idx: _list_of("slice", items)[slice(*(_i(i) for i in idx))],
    "until": lambda count: _until_step(0, count, 1 if _i(count) >= 0 else -1),
    "untilStep": _until_step,
    "seq": _seq,
    # defaults and logic
    "default": lambda default, *given: default if not given or empty(given[0]) else given[0],
    "empty": empty,
    "coalesce": lambda *values: next((v for v in values if not empty(v)), None),
    "all": lambda *values: all(not empty(v) for v in values),
    "any": lambda *values: any(not empty(v) for v in values),
    "ternary": _ternary,
    "toJson": _to_json,
    "toRawJson": _to_json,
    "toPrettyJson": _to_pretty_json,
    "fromJson": _from_json,
    "typeOf": go_type,
    "kindOf": lambda v: {"<nil>": "invalid", "[]interface {}": "slice", "map[string]interface {}": "map"}.get(
        go_type(v), go_type(v)
    ),
    "deepEqual": lambda a, b: type(a) is type(b) and a == b,
    # math
    "add": lambda *values: sum(to_int64(v) for v in values),
    "add1": lambda v: to_int64(v) + 1,
    "sub": lambda a, b: to_int64(a) - to_int64(b),
    "mul": _fold(to_int64, lambda a, b: a * b),
    "div": lambda a, b: _go_div(to_int64(a), to_int64(b), "/"),
    "mod": lambda a, b: _go_div(to_int64(a), to_int64(b), "%"),
    "max": _fold(to_int64, max),
    "min": _fold(to_int64, min),
    "biggest": _fold(to_int64, max),
    "floor": lambda v: float(math.floor(to_float64(v))),
    "ceil": lambda v: float(math.ceil(to_float64(v))),
    "round": _round,
    "addf": lambda *values: math.fsum(to_float64(v) for v in values),
    "add1f": lambda v: to_float64(v) + 1,
    "subf": _fold(to_float64, lambda a, b: a - b),
    "mulf": _fold(to_float64, lambda a, b: a * b),
    "divf": _divf,
    "maxf": _fold(to_float64, max),
    "minf": _fold(to_float64, min),
    # encoding and hashing
    "b64enc": lambda s: base64.b64encode(_s(s).encode()).decode(),
    "b64dec": _b64dec,
    "b32enc": lambda s: base64.b32encode(_s(s).encode()).decode(),
    "b32dec": _b32dec,
    "sha1sum": lambda s: hashlib.sha1(_s(s).encode()).hexdigest(),
    "sha256sum": lambda s: hashlib.sha256(_s(s).encode()).hexdigest(),
    "adler32sum": lambda s: str(zlib.adler32(_s(s).encode())),
    "uuidv4": lambda: str(uuid.uuid4()),
    # regular expressions
    "regexMatch": _regex_match,
    "regexFind": _regex_find,
    "regexFindAll": _regex_find_all,
    "regexReplaceAll": lambda p, s, repl: _regex(p).sub(_python_replacement(_s(repl)), _s(s)),
    "regexReplaceAllLiteral": lambda p, s, repl: _regex(p).sub(lambda _m: _s(repl), _s(s)),
    "regexSplit": _regex_split,
    "regexQuoteMeta": lambda s: re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", _s(s)),
    # dates
    "now": lambda: dt.datetime.now(dt.UTC),
    "date": _date,
    "dateInZone": _date_in_zone,
    "date_in_zone": _date_in_zone,
    "htmlDate": lambda v: go_time_format(_to_time(v).astimezone(dt.UTC), "2006-01-02"),
    "unixEpoch": lambda v: str(int(_to_time(v).timestamp())),
    "toDate": _to_date,
    "duration": _duration,
}
