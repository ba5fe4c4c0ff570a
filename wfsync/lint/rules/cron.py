"""CronWorkflow schedules and time zones, as Argo's controller parses them.

Argo reads ``spec.schedule`` / ``spec.schedules`` with robfig/cron's standard parser: five
fields (minute, hour, day of month, month, day of week; names such as ``MON`` and ``JAN``,
``*``, ``?``, ranges, steps and lists), a descriptor (``@hourly``, ``@daily``, ...) or
``@every <duration>``, optionally after ``CRON_TZ=<zone>``. ``spec.timezone`` is an IANA zone.
A bad value is only noticed by the controller when the CronWorkflow is created, so lint says it.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator, Mapping
from functools import cache

from wfsync.lint.rules.spec import Problem

DESCRIPTORS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    (
        "month",
        1,
        12,
        {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)},
    ),
    ("day of week", 0, 6, {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}),
)
_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone_problem(zone: str) -> str | None:
    """Why ``zone`` is not a time zone Go's ``time.LoadLocation`` accepts, or None."""
    if zone in ("", "UTC", "Local") or zone in _zones():
        return None
    return f"timezone {zone!r} is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)"


def schedule_problem(schedule: str) -> str | None:
    """Why ``schedule`` is not a cron schedule Argo accepts, or None."""
    text = schedule.strip()
    if text.startswith(("CRON_TZ=", "TZ=")):
        zone, _, text = text.partition(" ")
        problem = timezone_problem(zone.split("=", 1)[1])
        if problem:
            return problem
        text = text.strip()
    if text.startswith("@"):
        if text in DESCRIPTORS:
            return None
        if text.startswith("@every "):
            duration = text[len("@every ") :].strip()
            return (
                None
                if _DURATION.match(duration)
                else f"@every needs a duration such as 1h30m, not {duration!r}"
            )
        return f"unknown descriptor {text.split()[0]!r} (use {', '.join(sorted(DESCRIPTORS))} or @every <duration>)"
    fields = text.split()
    if len(fields) != len(_FIELDS):
        return f"expected 5 fields (minute hour day-of-month month day-of-week), found {len(fields)}"
    for value, (name, low, high, names) in zip(fields, _FIELDS, strict=True):
        problem = _field_problem(value, low, high, names)
        if problem:
            return f"{name} field {value!r}: {problem}"
    return None


def _field_problem(field: str, low: int, high: int, names: Mapping[str, int]) -> str | None:
    for part in field.split(","):
        if part in ("*", "?"):
            continue
        rng, slash, step = part.partition("/")
        if slash and (not step.isdigit() or int(step) == 0):
            return f"step {step!r} must be a positive number"
        if rng in ("*", "?"):
            continue
        bounds = rng.split("-")
        if len(bounds) > 2 or not all(bounds):
            return f"{part!r} is not a value, range or step"
        numbers = []
        for bound in bounds:
            number = names.get(bound.lower()) if not bound.isdigit() else int(bound)
            if number is None:
                return f"{bound!r} is not a number" + (" or a name" if names else "")
            if not low <= number <= high:
                return f"{number} is outside {low}-{high}"
            numbers.append(number)
        if len(numbers) == 2 and numbers[0] > numbers[1]:
            return f"range {rng!r} ends before it starts"
    return None


def cron_problems(body: Mapping[str, object], kind: str) -> Iterator[Problem]:
    """Problems of a CronWorkflow's ``schedule``, ``schedules`` and ``timezone``."""
    if kind != "CronWorkflow" or not isinstance(spec := body.get("spec"), dict):
        return
    found: list[tuple[tuple[str | int, ...], object]] = []
    if "schedule" in spec:
        found.append((("spec", "schedule"), spec["schedule"]))
    schedules = spec.get("schedules")
    if isinstance(schedules, list):
        found.extend((("spec", "schedules", i), s) for i, s in enumerate(schedules))
    for path, value in found:
        if not isinstance(value, str):
            continue  # the schema check reports the type
        problem = schedule_problem(value)
        if problem:
            yield path, "cron-schedule", f"schedule {value!r}: {problem}"
    zone = spec.get("timezone")
    if isinstance(zone, str):
        problem = timezone_problem(zone)
        if problem:
            yield ("spec", "timezone"), "cron-schedule", problem
