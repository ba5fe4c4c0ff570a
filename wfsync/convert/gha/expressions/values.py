"""GitHub expression values as plain Python data, and GitHub's coercion rules between them.

Values are ``None``, ``bool``, ``int``/``float`` (numbers; results are always ``float``), ``str``,
sequences (arrays) and mappings (objects). Object keys are matched case-insensitively, the first
matching key winning. Numbers behave like JavaScript doubles: string conversion, ``NaN``,
``Infinity`` and the string-to-number rules follow ECMAScript, which is what GitHub's reference
implementation (``@actions/expressions``) does.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal


class Kind(enum.IntEnum):
    """The six kinds of expression data."""

    NULL = 0
    BOOLEAN = 1
    NUMBER = 2
    STRING = 3
    ARRAY = 4
    OBJECT = 5


KIND_NAMES = {
    Kind.NULL: "Null",
    Kind.BOOLEAN: "Boolean",
    Kind.NUMBER: "Number",
    Kind.STRING: "String",
    Kind.ARRAY: "Array",
    Kind.OBJECT: "Object",
}


class FilteredArray(list[object]):
    """The result of a ``*`` filter: a further ``.name`` or ``[i]`` applies to every element."""


_KIND_BY_TYPE: dict[type, Kind] = {
    type(None): Kind.NULL,
    bool: Kind.BOOLEAN,
    int: Kind.NUMBER,
    float: Kind.NUMBER,
    str: Kind.STRING,
    list: Kind.ARRAY,
    tuple: Kind.ARRAY,
    FilteredArray: Kind.ARRAY,
    dict: Kind.OBJECT,
}


def kind_of(value: object) -> Kind:
    """The expression kind of a Python value (anything unknown counts as a string)."""
    kind = _KIND_BY_TYPE.get(type(value))
    if kind is not None:
        return kind
    if value is None:
        return Kind.NULL
    if value is True or value is False:
        return Kind.BOOLEAN
    if isinstance(value, str):
        return Kind.STRING
    if isinstance(value, int | float):
        return Kind.NUMBER
    if isinstance(value, Mapping):
        return Kind.OBJECT
    if isinstance(value, Sequence | set | frozenset) and not isinstance(value, bytes | bytearray):
        return Kind.ARRAY
    return Kind.STRING


def array_items(value: object) -> Sequence[object] | None:
    """The elements of an array value (kind ARRAY), None for any other kind."""
    if kind_of(value) is not Kind.ARRAY:
        return None
    if isinstance(value, Sequence):
        return value
    return list(value) if isinstance(value, set | frozenset) else None


def is_primitive(value: object) -> bool:
    """Null, boolean, number or string: the kinds that coerce to a string meaningfully."""
    return kind_of(value) < Kind.ARRAY


# --- numbers -------------------------------------------------------------------------------------

# ECMAScript WhiteSpace and LineTerminator, which Number() strips; Python's str.strip() differs.
_JS_SPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_RADIX = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")
_RADIX_BASE = {"x": 16, "o": 8, "b": 2}


def string_to_number(text: str) -> float:
    """ECMAScript ``Number(text)``: trimmed, empty is 0, hex/octal/binary literals, else NaN."""
    text = text.strip(_JS_SPACE)
    if not text:
        return 0.0
    if _DECIMAL.fullmatch(text):
        return float(text.replace("Infinity", "inf"))
    if _RADIX.fullmatch(text):
        return float(int(text[2:], _RADIX_BASE[text[1].lower()]))
    return math.nan


def to_number(value: object) -> float:
    """A value as a number: null 0, booleans 0/1, strings parsed, arrays and objects NaN."""
    kind = kind_of(value)
    if kind is Kind.NUMBER and isinstance(value, int | float):
        return float(value)
    if kind is Kind.STRING:
        return string_to_number(value if isinstance(value, str) else str(value))
    if kind is Kind.BOOLEAN:
        return 1.0 if value else 0.0
    if kind is Kind.NULL:
        return 0.0
    return math.nan


_SAFE_INTEGER = 2.0**53


def js_number_to_string(number: float) -> str:
    """ECMAScript ``Number::toString``: shortest round-trip digits, exponent outside 1e-7..1e21."""
    if number != number:
        return "NaN"
    if number in (math.inf, -math.inf):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    if number.is_integer() and abs(number) <= _SAFE_INTEGER:
        return str(int(number))
    sign = "-" if number < 0 else ""
    mantissa, _, exp_text = repr(abs(number)).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    digits = int_part + frac_part
    # point: where the decimal point sits relative to the digit string (ECMAScript's "n").
    point = len(int_part) + (int(exp_text) if exp_text else 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    exponent = point - 1
    exp = f"e+{exponent}" if exponent >= 0 else f"e-{-exponent}"
    if k == 1:
        return sign + digits + exp
    return sign + digits[0] + "." + digits[1:] + exp


_FIFTEEN = Decimal("1e-15")


def number_to_string(number: float) -> str:
    """A number as GitHub coerces it to a string: at most 15 decimals, JavaScript formatting.

    The reference implementation formats ``+x.toFixed(15)``; ``toFixed`` rounds half up on the
    exact binary value, which ``Decimal`` reproduces.
    """
    if number != number or number in (math.inf, -math.inf) or number == 0:
        return js_number_to_string(number)
    if number.is_integer() or abs(number) >= 1e21:
        return js_number_to_string(number)
    rounded = float(Decimal(number).quantize(_FIFTEEN, rounding=ROUND_HALF_UP))
    return js_number_to_string(rounded)


# --- strings -------------------------------------------------------------------------------------


def to_string(value: object) -> str:
    """A value as a string: null '', booleans 'true'/'false', 'Array' and 'Object' for containers."""
    if isinstance(value, str):
        return value
    kind = kind_of(value)
    if kind is Kind.NULL:
        return ""
    if kind is Kind.BOOLEAN:
        return "true" if value else "false"
    if kind is Kind.NUMBER:
        return number_to_string(to_number(value))
    if kind is Kind.STRING:
        return str(value)
    return KIND_NAMES[kind]


def upper_special(text: str) -> str:
    """Upper-case for comparisons, leaving the dotless i alone as GitHub does."""
    if "ı" not in text:
        return text.upper()
    return "ı".join(part.upper() for part in text.split("ı"))


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


# --- truthiness and comparison -------------------------------------------------------------------


def truthy(value: object) -> bool:
    """GitHub truthiness: null, false, 0, NaN and '' are false, everything else true."""
    kind = kind_of(value)
    if kind is Kind.NULL:
        return False
    if kind is Kind.BOOLEAN:
        return bool(value)
    if kind is Kind.NUMBER:
        return not (value == 0 or value != value)
    if kind is Kind.STRING:
        return len(to_string(value)) > 0
    return True


def _coerce_pair(left: object, right: object) -> tuple[Kind, object, Kind, object]:
    """JavaScript's loose-equality coercion, except that containers are never converted."""
    lk, rk = kind_of(left), kind_of(right)
    while lk is not rk:
        if lk is Kind.NUMBER and rk is Kind.STRING:
            return lk, to_number(left), Kind.NUMBER, to_number(right)
        if lk is Kind.STRING and rk is Kind.NUMBER:
            return Kind.NUMBER, to_number(left), rk, to_number(right)
        if lk in (Kind.NULL, Kind.BOOLEAN):
            left, lk = to_number(left), Kind.NUMBER
            continue
        if rk in (Kind.NULL, Kind.BOOLEAN):
            right, rk = to_number(right), Kind.NUMBER
            continue
        break
    return lk, left, rk, right


def equals(left: object, right: object) -> bool:
    """``==``: coerced comparison; strings ignore case; arrays and objects by identity."""
    lk, lv, rk, rv = _coerce_pair(left, right)
    if lk is not rk:
        return False
    if lk is Kind.NULL:
        return True
    if lk is Kind.NUMBER:
        return to_number(lv) == to_number(rv)
    if lk is Kind.STRING:
        return upper_special(to_string(lv)) == upper_special(to_string(rv))
    if lk is Kind.BOOLEAN:
        return bool(lv) == bool(rv)
    return lv is rv


def _ordered(left: object, right: object, greater: bool) -> bool:
    lk, lv, rk, rv = _coerce_pair(left, right)
    if lk is not rk:
        return False
    if lk is Kind.NUMBER:
        a, b = to_number(lv), to_number(rv)
    elif lk is Kind.STRING:
        ls, rs = upper_special(to_string(lv)), upper_special(to_string(rv))
        if _ASTRAL.search(ls) or _ASTRAL.search(rs):
            # The reference compares UTF-16 code units, which differs from code points here.
            lb, rb = ls.encode("utf-16-be"), rs.encode("utf-16-be")
            return lb > rb if greater else lb < rb
        return ls > rs if greater else ls < rs
    elif lk is Kind.BOOLEAN:
        a, b = float(bool(lv)), float(bool(rv))
    else:
        return False
    return a > b if greater else a < b


def greater_than(left: object, right: object) -> bool:
    """``>`` with GitHub's coercions (NaN and mismatched kinds compare false)."""
    return _ordered(left, right, greater=True)


def less_than(left: object, right: object) -> bool:
    """``<`` with GitHub's coercions (NaN and mismatched kinds compare false)."""
    return _ordered(left, right, greater=False)


# --- property access -----------------------------------------------------------------------------


def get_key(obj: Mapping[str, object], key: str) -> tuple[bool, object]:
    """Look ``key`` up case-insensitively, the first matching key in order winning."""
    lowered = key.lower()
    for candidate, value in obj.items():
        name = candidate if isinstance(candidate, str) else to_string(candidate)  # YAML keys like 1 or true
        if name == key or name.lower() == lowered:
            return True, value
    return False, None
