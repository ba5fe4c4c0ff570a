"""Sprig's dates: Go's reference-time layouts (``2006-01-02``), not strftime patterns."""

from __future__ import annotations

import datetime as dt
import re

from wfsync.expressions.exprlang.builtins import parse_time
from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.sprig_cast import _s

_LAYOUT_CHUNKS = (
    "January", "Jan", "Monday", "Mon", "MST", "2006", "002", "01", "02", "03", "04", "05", "06", "15",
    "__2", "_2", "-07:00:00", "-070000", "-07:00", "-0700", "-07", "Z07:00:00", "Z070000", "Z07:00",
    "Z0700", "Z07", "PM", "pm", "1", "2", "3", "4", "5",
)  # fmt: skip


def go_time_format(moment: dt.datetime, layout: str) -> str:
    """Go's ``time.Time.Format`` with a reference-time layout (``2006-01-02T15:04:05Z07:00``)."""
    out: list[str] = []
    i = 0
    while i < len(layout):
        frac = re.compile(r"[.,](0+|9+)(?![0-9])").match(layout, i)
        if frac:
            digits = len(frac.group(1))
            text = f"{moment.microsecond:06d}000"[:digits]
            if frac.group(1)[0] == "9":
                text = text.rstrip("0")
                out.append(layout[i] + text if text else "")
            else:
                out.append(layout[i] + text)
            i = frac.end()
            continue
        chunk = next((c for c in _LAYOUT_CHUNKS if layout.startswith(c, i)), None)
        if chunk is None:
            out.append(layout[i])
            i += 1
            continue
        out.append(_format_chunk(moment, chunk))
        i += len(chunk)
    return "".join(out)


def _format_chunk(moment: dt.datetime, chunk: str) -> str:
    offset = moment.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hh, mm = divmod(abs(minutes), 60)
    if chunk.startswith("Z") and minutes == 0:
        return "Z"
    zones = {"-07:00:00": f"{sign}{hh:02d}:{mm:02d}:00", "-070000": f"{sign}{hh:02d}{mm:02d}00",
             "-07:00": f"{sign}{hh:02d}:{mm:02d}", "-0700": f"{sign}{hh:02d}{mm:02d}", "-07": f"{sign}{hh:02d}"}  # fmt: skip
    if chunk.lstrip("Z-") != chunk and ("-" + chunk.lstrip("Z-")) in zones:
        return zones["-" + chunk.lstrip("Z-")]
    hour12 = moment.hour % 12 or 12
    table: dict[str, str] = {
        "January": moment.strftime("%B"), "Jan": moment.strftime("%b"), "Monday": moment.strftime("%A"),
        "Mon": moment.strftime("%a"), "MST": moment.tzname() or "UTC", "2006": f"{moment.year:04d}",
        "002": f"{moment.timetuple().tm_yday:03d}", "__2": f"{moment.timetuple().tm_yday:>3d}",
        "01": f"{moment.month:02d}", "02": f"{moment.day:02d}", "03": f"{hour12:02d}",
        "04": f"{moment.minute:02d}", "05": f"{moment.second:02d}", "06": f"{moment.year % 100:02d}",
        "15": f"{moment.hour:02d}", "_2": f"{moment.day:>2d}", "PM": "PM" if moment.hour >= 12 else "AM",
        "pm": "pm" if moment.hour >= 12 else "am", "1": str(moment.month), "2": str(moment.day),
        "3": str(hour12), "4": str(moment.minute), "5": str(moment.second),
    }  # fmt: skip
    return table[chunk]


def _to_time(value: object) -> dt.datetime:
    """Sprig's date argument: a time, or Unix seconds; anything else (strings too) means now."""
    if isinstance(value, dt.datetime):
        return value
    if type(value) is int:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    return dt.datetime.now(dt.UTC)


def _date(layout: object, value: object) -> str:
    return go_time_format(_to_time(value).astimezone(dt.UTC), _s(layout))


def _date_in_zone(layout: object, value: object, zone: object) -> str:
    moment = _to_time(value)
    if _s(zone) in ("UTC", "Local", ""):
        moment = moment.astimezone(dt.UTC)
    else:
        try:
            from zoneinfo import ZoneInfo

            moment = moment.astimezone(ZoneInfo(_s(zone)))
        except Exception:
            moment = moment.astimezone(dt.UTC)
    return go_time_format(moment, _s(layout))


def _to_date(layout: object, text: object) -> dt.datetime:
    _s(layout)
    try:
        return parse_time(_s(text))
    except ExprError:
        return dt.datetime(1, 1, 1, tzinfo=dt.UTC)
