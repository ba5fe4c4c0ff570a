"""Expand ``strategy.matrix`` into its legs with GitHub's include/exclude rules."""

from __future__ import annotations

import itertools
from typing import Any


class MatrixError(ValueError):
    """A matrix GitHub would reject at run time (for example an exclude key not in the matrix)."""


def expand_matrix(matrix: dict[str, Any]) -> list[dict[str, Any]]:
    """The legs, in GitHub's order.

    1. the cartesian product of the vectors; 2. drop legs that an ``exclude`` entry matches
    (partially); 3. merge each ``include`` entry into every leg whose original values it does
    not contradict, else add it as a new leg. An empty result is one empty leg.
    """
    vectors = {k: v for k, v in matrix.items() if k not in ("include", "exclude")}
    include = matrix.get("include") or []
    exclude = matrix.get("exclude") or []
    if not isinstance(include, list) or not isinstance(exclude, list):
        raise MatrixError("include and exclude must be lists")
    for vector in vectors.values():
        if not isinstance(vector, list):
            raise MatrixError("a matrix vector must be a list")
    keys = list(vectors)
    legs = (
        [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*vectors.values())]
        if keys
        else []
    )
    for entry in exclude:
        if not isinstance(entry, dict):
            raise MatrixError("an exclude entry must be a mapping")
        for key in entry:
            if key not in vectors:
                raise MatrixError(f"exclude key '{key}' is not a key of the matrix")
        legs = [leg for leg in legs if not all(_equal(leg.get(k), v) for k, v in entry.items())]
    originals = [dict(leg) for leg in legs]
    for entry in include:
        if not isinstance(entry, dict):
            raise MatrixError("an include entry must be a mapping")
        merged = False
        for leg, original in zip(legs, originals, strict=True):
            if all(k not in original or _equal(original[k], v) for k, v in entry.items()):
                leg.update(entry)
                merged = True
        if not merged:
            legs.append(dict(entry))
            originals.append({})
    return legs or [{}]


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return bool(a == b)
