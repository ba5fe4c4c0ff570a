"""expr-lang's predicate builtins (``all``, ``filter``, ``map``, ``reduce`` ...) over closures.

A predicate runs its body once per element with ``#`` (and ``#index``, ``#acc``) bound; the
searching ones stop as soon as their answer is known, as expr's VM does.
"""

from __future__ import annotations

from collections.abc import Callable

from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.runtime import Fn, Scope, _add, _bool
from wfsync.expressions.exprlang.values import go_type

SEARCHES = ("all", "any", "none", "one", "filter", "find", "findIndex", "findLast", "findLastIndex")
STOP_AT_FIRST = ("any", "find", "findIndex", "findLast", "findLastIndex")


def _items(name: str, value: object) -> list[object]:
    if isinstance(value, list | tuple):
        return list(value)
    raise ExprError(f"cannot iterate over {go_type(value)} in {name}")


def _predicate(name: str, args: tuple[Fn, ...]) -> Fn:
    """The closure of predicate builtin ``name`` over its compiled arguments."""
    source, pred = args[0], args[1] if len(args) > 1 else None
    extra = args[2] if len(args) > 2 else None
    if name in SEARCHES:
        assert pred is not None
        return _search(name, source, pred)
    if name == "reduce":
        assert pred is not None
        return _reduce(name, source, pred, extra)
    return _aggregate(name, source, pred, extra)


def _search(name: str, source: Fn, pred: Fn) -> Fn:
    """all, any, none, one, filter and the find family: which elements the body holds for."""

    def run(scope: Scope) -> object:
        items = _items(name, source(scope))
        indexes = (
            range(len(items) - 1, -1, -1) if name in ("findLast", "findLastIndex") else range(len(items))
        )
        hits: list[int] = []
        for i in indexes:
            if _bool(pred(scope.element(items[i], i))):
                hits.append(i)
                if name in STOP_AT_FIRST:
                    break
            elif name == "all":
                return False
            if name == "none" and hits:
                return False
        results: dict[str, Callable[[], object]] = {
            "all": lambda: True,
            "any": lambda: bool(hits),
            "none": lambda: not hits,
            "one": lambda: len(hits) == 1,
            "filter": lambda: [items[i] for i in hits],
            "find": lambda: items[hits[0]] if hits else None,
            "findLast": lambda: items[hits[0]] if hits else None,
            "findIndex": lambda: hits[0] if hits else -1,
            "findLastIndex": lambda: hits[0] if hits else -1,
        }
        return results[name]()

    return run


def _aggregate(name: str, source: Fn, pred: Fn | None, extra: Fn | None) -> Fn:
    """map, count, sum, groupBy and sortBy: every element's value of the body."""

    def each(scope: Scope) -> list[tuple[object, object]]:
        items = _items(name, source(scope))
        if pred is None:
            return [(item, item) for item in items]
        return [(item, pred(scope.element(item, i))) for i, item in enumerate(items)]

    if name == "map":
        return lambda scope: [value for _, value in each(scope)]
    if name == "count":
        return lambda scope: sum(1 for _, value in each(scope) if _bool(value))
    if name == "sum":

        def total(scope: Scope) -> object:
            result: object = 0
            for _, value in each(scope):
                result = _add(result, value)
            return result

        return total
    if name == "groupBy":

        def group(scope: Scope) -> dict[object, list[object]]:
            out: dict[object, list[object]] = {}
            for item, key in each(scope):
                out.setdefault(key, []).append(item)
            return out

        return group

    def sort_by(scope: Scope) -> list[object]:
        order = extra(scope) if extra else "asc"
        pairs = each(scope)
        try:
            pairs.sort(key=lambda pair: pair[1], reverse=order == "desc")
        except TypeError:
            raise ExprError("sortBy: cannot compare values of different types") from None
        return [item for item, _ in pairs]

    return sort_by


def _reduce(name: str, source: Fn, pred: Fn, extra: Fn | None) -> Fn:
    def reduce(scope: Scope) -> object:
        items = _items(name, source(scope))
        if extra is not None:
            acc, start = extra(scope), 0
        elif items:
            acc, start = items[0], 1
        else:
            raise ExprError("reduce of empty array with no initial value")
        for i in range(start, len(items)):
            acc = pred(scope.element(items[i], i, acc))
        return acc

    return reduce
