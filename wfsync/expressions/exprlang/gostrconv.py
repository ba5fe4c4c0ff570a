"""Go's ``strconv`` parsing rules, stricter than Python's (no spaces, no stray underscores)."""

from __future__ import annotations

import math
import re

_INT = re.compile(r"[+-]?[0-9]+\Z")
_BASE_PREFIXED = re.compile(r"([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)\Z")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_SPECIAL_FLOATS = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf,
                   "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan}  # fmt: skip


def atoi(text: str) -> int | None:
    """``strconv.Atoi``: decimal only, optional sign, within int64; ``None`` when Go would fail."""
    if not _INT.match(text):
        return None
    value = int(text, 10)
    return value if -(2**63) <= value < 2**63 else None


def parse_int_base0(text: str) -> int | None:
    """``strconv.ParseInt(s, 0, 64)``: ``0x``/``0o``/``0b``/leading-``0`` octal prefixes, underscores."""
    match = _BASE_PREFIXED.match(text)
    if not match:
        return None
    sign, body = match.groups()
    digits = body.replace("_", "")
    try:
        if body[:2].lower() in ("0x", "0o", "0b"):
            value = int(digits, 0)
        elif len(digits) > 1 and digits[0] == "0":
            value = int(digits, 8)
        else:
            value = int(digits, 10)
    except ValueError:
        return None
    value = -value if sign == "-" else value
    return value if -(2**63) <= value < 2**63 else None


def parse_float(text: str) -> float | None:
    """``strconv.ParseFloat(s, 64)`` for decimal forms and inf/nan; ``None`` when Go would fail."""
    special = _SPECIAL_FLOATS.get(text.lower())
    if special is not None:
        return special
    if not _FLOAT.match(text):
        if text[:3].lower() in ("0x", "+0x", "-0x"):
            try:
                return float.fromhex(text)
            except ValueError:
                return None
        return None
    value = float(text)
    return None if math.isinf(value) else value
