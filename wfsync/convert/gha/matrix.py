"""Expand ``strategy.matrix`` into its legs with GitHub's include/exclude rules.

``MatrixError``, ``expand_matrix`` and ``_equal`` are also copied, by their source text, into the
script that expands a run-time matrix (:func:`.matrix_runtime.generator_script`): editing them,
even an annotation, changes converted output and its goldens.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from wfsync.convert.gha.expressions import ExpressionError, find_expressions, to_string


class MatrixError(ValueError):
    """A matrix GitHub would reject at run time (for example an exclude key not in the matrix)."""


class DynamicMatrix(Exception):
    """A matrix that needs run-time values (``needs`` outputs, ``github`` fields ...)."""


Fold = Callable[[str], tuple[bool, object]]
"""Folds a field's text: ``(True, value)`` when it is known now (one whole expression keeps its type)."""


def is_insert(key: str) -> bool:
    """Whether a mapping key is GitHub's ``${{ insert }}`` directive."""
    text = key.strip()
    try:
        spans = find_expressions(text)
    except ExpressionError:
        return False
    return (
        len(spans) == 1
        and spans[0].start == 0
        and spans[0].end == len(text)
        and spans[0].expression.strip() == "insert"
    )


def resolve_matrix(value: object, fold: Fold) -> object:
    """``strategy.matrix`` with its ``${{ }}`` evaluated, as GitHub's template evaluation does.

    A whole-expression value keeps its type; ``${{ insert }}: <mapping>`` merges the mapping into
    its parent; an expression item of a sequence that gives a sequence is spliced into it (act
    documents this as GitHub's undocumented array merge). Raises :class:`DynamicMatrix` when a
    value is only known at run time.
    """
    if isinstance(value, str):
        if "${{" not in value:
            return value
        ok, folded = fold(value)
        if not ok:
            raise DynamicMatrix(value)
        return folded
    if isinstance(value, list):
        items: list[object] = []
        for item in value:
            resolved = resolve_matrix(item, fold)
            if isinstance(item, str) and "${{" in item and isinstance(resolved, list):
                items.extend(resolved)
            else:
                items.append(resolved)
        return items
    if isinstance(value, dict):
        mapping: dict[str, object] = {}
        for key, item in value.items():
            if is_insert(str(key)):
                inserted = resolve_matrix(item, fold)
                if not isinstance(inserted, dict):
                    raise MatrixError("${{ insert }} needs a mapping")
                mapping.update(inserted)
                continue
            name = resolve_matrix(str(key), fold)
            mapping[to_string(name)] = resolve_matrix(item, fold)
        return mapping
    return value


def expand_matrix(matrix: dict[str, object]) -> list[dict[str, object]]:
    """The legs, in GitHub's order.

    1. the cartesian product of the vectors; 2. drop legs that an ``exclude`` entry matches
    (partially); 3. merge each ``include`` entry into every leg whose original values it does
    not contradict, else add it as a new leg. An empty result is one empty leg.
    """
    include = matrix.get("include") or []
    exclude = matrix.get("exclude") or []
    if not isinstance(include, list) or not isinstance(exclude, list):
        raise MatrixError("include and exclude must be lists")
    vectors: dict[str, list[object]] = {}
    for key, vector in matrix.items():
        if key in ("include", "exclude"):
            continue
        if not isinstance(vector, list):
            raise MatrixError("a matrix vector must be a list")
        vectors[key] = vector
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


def _equal(a: object, b: object) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return bool(a == b)
