"""Go durations as Argo reads and writes them: ``1m30s`` in specs, ``2 minutes`` in messages.

Kept apart because retries, deadlines, timeouts and suspends all parse the same strings.
"""

from __future__ import annotations

_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: object) -> float:
    """Seconds of an int, a numeric string or a Go duration string (``ParseStringToDuration``)."""
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    try:
        return float(int(text))
    except ValueError:
        pass
    total, number, pos = 0.0, "", 0
    if not text:
        raise ValueError("empty duration")
    while pos < len(text):
        ch = text[pos]
        if ch.isdigit() or ch == ".":
            number += ch
            pos += 1
            continue
        unit = next((u for u in ("ns", "us", "µs", "ms", "h", "m", "s") if text.startswith(u, pos)), None)
        if unit is None or not number:
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(number) * _GO_UNITS[unit]
        number = ""
        pos += len(unit)
    if number:
        raise ValueError(f'time: missing unit in duration "{text}"')
    return total


def humanize_duration(seconds: float) -> str:
    """A short duration like ``humanize.Duration`` (``10 seconds``, ``2 minutes``)."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} second{'s' if whole != 1 else ''}"
    minutes = whole // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def go_float(value: float) -> str:
    """Seconds as Go prints a float64 (``lastRetry.duration``): ``1.5``, ``2``."""
    text = repr(round(value, 9))
    return text[:-2] if text.endswith(".0") else text
