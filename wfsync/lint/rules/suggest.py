"""Suggestions for misspelt names: "did you mean `say`?" names the closest valid one.

Rules put the hint at the end of their message with :func:`did_you_mean`; :func:`suggestion_in`
reads it back, so every finding carries it as a separate field without each rule returning it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

CUTOFF = 0.6
"""difflib's similarity ratio below which a name is not offered (``mesage``/``message``: 0.92)."""
_HINT = re.compile(r"; did you mean `([^`]+)`\?$")


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``name`` (case-insensitive), or None when none is close enough."""
    options = {c.lower(): c for c in sorted(set(candidates)) if c and c != name}
    found = difflib.get_close_matches(name.lower(), list(options), n=1, cutoff=CUTOFF)
    return options[found[0]] if found else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean `x`?"`` for the closest candidate, or ``""``."""
    best = closest(name, candidates)
    return f"; did you mean `{best}`?" if best is not None else ""


def suggestion_in(message: str) -> str | None:
    """The name a message suggests (see :func:`did_you_mean`), or None."""
    match = _HINT.search(message)
    return match.group(1) if match else None
