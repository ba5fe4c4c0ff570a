"""The ``wfsync.io/version`` label against the classification: which bump a change needs.

breaking needs a major bump, feature at least a minor, fix at least a patch; cosmetic changes
(descriptions, annotations, formatting) need none, because callers see no difference.
A version that goes down, or is not ``MAJOR.MINOR.PATCH``, is a finding too.
"""

from __future__ import annotations

import re

from wfsync.review.classify import ChangeClass

_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$")
NEEDED = {ChangeClass.BREAKING: "major", ChangeClass.FEATURE: "minor", ChangeClass.FIX: "patch"}
"""The least bump each class needs."""
_LEVEL = {"major": 0, "minor": 1, "patch": 2}


def parse(version: str) -> tuple[int, int, int] | None:
    """``(major, minor, patch)``, or None when ``version`` is not a semantic version."""
    m = _SEMVER.match(version.strip())
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def bump_of(old: str, new: str) -> str | None:
    """``major``, ``minor``, ``patch``, ``none`` or ``down``; None when either is not a version."""
    a, b = parse(old), parse(new)
    if a is None or b is None:
        return None
    if b == a:
        return "none"
    if b < a:
        return "down"
    if b[0] > a[0]:
        return "major"
    if b[1] > a[1]:
        return "minor"
    return "patch"


def check(change: ChangeClass, old: str, new: str) -> str:
    """A finding ('' when the versions fit the change)."""
    needed = NEEDED.get(change)
    if needed is None:
        return ""
    bump = bump_of(old, new)
    if bump is None:
        shown = new or "(none)"
        return f"{change.value} change, but the version label {shown!r} is not MAJOR.MINOR.PATCH"
    if bump == "down":
        return f"version went down from {old} to {new}"
    if bump == "none":
        return f"{change.value} change without a version bump (still {new}; needs a {needed} bump)"
    if _LEVEL[bump] > _LEVEL[needed]:
        return f"{change.value} change with only a {bump} bump ({old} -> {new}; needs a {needed} bump)"
    return ""


def bumped(old: str, level: str) -> str:
    """``old`` raised by ``level`` (``major``, ``minor`` or ``patch``); 0.1.0 when ``old`` is no version."""
    v = parse(old)
    if v is None:
        return "0.1.0"
    major, minor, patch = v
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"
