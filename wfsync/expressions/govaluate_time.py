"""Quoted dates in govaluate: a string that parses as one of Go's layouts becomes Unix seconds.

So ``'2024-01-01' > '2023-12-31'`` compares floats in Argo, and these layouts decide which
strings change type.
"""

from __future__ import annotations

import datetime as dt
import math
import re

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MONTH = r"(?P<mon>" + "|".join(_MONTHS) + ")"
_FRAC = r"(?:[.,](?P<frac>\d+))?"
_CLOCK = r"(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})" + _FRAC
_DATE = r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
_TIME_LAYOUTS = [
    re.compile(p + r"\Z")
    for p in (
        rf"{_WEEKDAY} {_MONTH} ?(?P<d>\d{{1,2}}) {_CLOCK} (?P<y>\d{{4}})",  # ANSIC
        rf"{_WEEKDAY} {_MONTH} ?(?P<d>\d{{1,2}}) {_CLOCK} (?P<abbr>[A-Z]{{3,5}}) (?P<y>\d{{4}})",  # UnixDate
        rf"{_WEEKDAY} {_MONTH} (?P<d>\d{{2}}) {_CLOCK} (?P<tz>[+-]\d{{4}}) (?P<y>\d{{4}})",  # RubyDate
        r"(?P<kh>\d{1,2}):(?P<mi>\d{2})(?P<ampm>AM|PM)",  # Kitchen
        rf"{_DATE}T(?P<h>\d{{2}}):(?P<mi>\d{{2}}):(?P<s>\d{{2}}){_FRAC}(?P<tz>Z|[+-]\d{{2}}:\d{{2}})",  # RFC3339
        _DATE,
        rf"{_DATE} (?P<h>\d{{1,2}}):(?P<mi>\d{{2}})",
        rf"{_DATE} {_CLOCK}",
        rf"{_DATE} {_CLOCK}(?P<tz>[+-]\d{{2}}:\d{{2}})",
        rf"{_DATE}T(?P<h>\d{{1,2}})(?P<tz>Z|[+-]\d{{4}})",
        rf"{_DATE}T(?P<h>\d{{1,2}}):(?P<mi>\d{{2}})(?P<tz>Z|[+-]\d{{4}})",
        rf"{_DATE}T{_CLOCK}(?P<tz>Z|[+-]\d{{4}})",
    )
]
_YEAR_ZERO_UNIX = -62167219200  # Go's time.Date(0, 1, 1, 0, 0, 0, 0, UTC).Unix()


def parse_time(text: str) -> float | None:
    """The Unix seconds of a string govaluate reads as a date/time, else ``None`` (zone-less is UTC)."""
    for layout in _TIME_LAYOUTS:
        match = layout.match(text)
        if match:
            parts = match.groupdict()
            try:
                return _unix(parts)
            except ValueError:
                return None
    return None


def _unix(parts: dict[str, str | None]) -> float:
    minute = int(parts.get("mi") or 0)
    if parts.get("kh") is not None:
        hour = int(parts["kh"] or 0)
        if hour > 12 or minute > 59:
            raise ValueError("hour out of range")
        hour = hour % 12 + (12 if parts["ampm"] == "PM" else 0)
        return float(_YEAR_ZERO_UNIX + hour * 3600 + minute * 60)
    month = _MONTHS.index(parts["mon"]) + 1 if parts.get("mon") else int(parts["mo"] or 0)
    moment = dt.datetime(
        int(parts["y"] or 0), month, int(parts["d"] or 0), int(parts.get("h") or 0), minute,
        int(parts.get("s") or 0), tzinfo=_zone(parts.get("tz")),
    )  # fmt: skip
    return float(math.floor(moment.timestamp()))


def _zone(text: str | None) -> dt.tzinfo:
    if not text or text == "Z":
        return dt.UTC
    digits = text[1:].replace(":", "")
    offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]))
    return dt.timezone(-offset if text[0] == "-" else offset)
