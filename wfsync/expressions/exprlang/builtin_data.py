"""Builtins that convert data: JSON, base64, durations and dates (Go's formats, not Python's)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re

from wfsync.expressions.exprlang.builtin_args import _arity, _string
from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.values import from_go_json, go_json


def _to_json(*args: object) -> str:
    _arity("toJSON", args, 1)
    return go_json(args[0], indent="  ")


def _from_json(*args: object) -> object:
    _arity("fromJSON", args, 1)
    try:
        return from_go_json(_string("fromJSON", args[0]))
    except ValueError as exc:
        raise ExprError(f"fromJSON: {exc}") from None


def _to_base64(*args: object) -> str:
    _arity("toBase64", args, 1)
    return base64.b64encode(_string("toBase64", args[0]).encode()).decode()


def _from_base64(*args: object) -> str:
    _arity("fromBase64", args, 1)
    try:
        return base64.b64decode(_string("fromBase64", args[0]), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ExprError(f"illegal base64 data: {exc}") from None


def _now(*args: object) -> dt.datetime:
    _arity("now", args, 0)
    return dt.datetime.now(dt.UTC)


_DURATION_PART = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> dt.timedelta:
    """Go's ``time.ParseDuration`` (``1h30m``, ``-2.5s``, ``0``)."""
    body = text.lstrip("+-")
    negative = text.startswith("-")
    if body == "0":
        return dt.timedelta(0)
    pos, seconds = 0, 0.0
    while pos < len(body):
        match = _DURATION_PART.match(body, pos)
        if not match:
            raise ExprError(f'time: invalid duration "{text}"')
        seconds += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if not body:
        raise ExprError(f'time: invalid duration "{text}"')
    return dt.timedelta(seconds=-seconds if negative else seconds)


def _duration(*args: object) -> dt.timedelta:
    _arity("duration", args, 1)
    return parse_duration(_string("duration", args[0]))


def parse_time(text: str) -> dt.datetime:
    """The layouts expr's ``date()`` accepts that workflows use (RFC 3339 and plain dates)."""
    candidate = text.replace("Z", "+00:00") if text.endswith("Z") else text
    for layout in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = dt.datetime.strptime(candidate, layout)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    raise ExprError(f'cannot parse "{text}" as date')


def _date(*args: object) -> dt.datetime:
    _arity("date", args, 1, 3)
    if isinstance(args[0], dt.datetime):
        return args[0]
    return parse_time(_string("date", args[0]))
