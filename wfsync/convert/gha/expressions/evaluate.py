"""Evaluation of a parsed expression against contexts, with GitHub's semantics.

Property access on anything that is not an object or array gives null, a ``*`` filter on a
scalar gives ``[]``, ``&&``/``||`` return the deciding operand, and function arguments are all
evaluated before the call. Strings held at once by one call are limited to GitHub's memory
budget, which also stops nested ``format`` calls from blowing up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from wfsync.convert.gha.expressions import nodes
from wfsync.convert.gha.expressions.errors import MAX_MEMORY_BYTES, ExpressionError
from wfsync.convert.gha.expressions.functions import BUILTINS, Function, JobStatus, Runtime
from wfsync.convert.gha.expressions.parser import parse
from wfsync.convert.gha.expressions.values import (
    FilteredArray,
    array_items,
    equals,
    get_key,
    greater_than,
    is_primitive,
    less_than,
    to_number,
    to_string,
    truthy,
)


class _Evaluator:
    def __init__(
        self, contexts: Mapping[str, object], functions: Mapping[str, Function], runtime: Runtime
    ) -> None:
        self.contexts = contexts
        self.functions = functions
        self.runtime = runtime

    def eval(self, node: nodes.Expr) -> object:
        return _DISPATCH[type(node)](self, node)

    def literal(self, node: nodes.Literal) -> object:
        return node.value

    def context(self, node: nodes.ContextRef) -> object:
        return get_key(self.contexts, node.name)[1]

    def negate(self, node: nodes.Not) -> bool:
        return not truthy(self.eval(node.operand))

    def compare(self, node: nodes.Compare) -> bool:
        left = self.eval(node.left)
        right = self.eval(node.right)
        op = node.op
        if op == "==":
            return equals(left, right)
        if op == "!=":
            return not equals(left, right)
        if op == ">":
            return greater_than(left, right)
        if op == "<":
            return less_than(left, right)
        if op == ">=":
            return equals(left, right) or greater_than(left, right)
        return equals(left, right) or less_than(left, right)

    def logical(self, node: nodes.Logical) -> object:
        want = node.op == "||"
        result: object = None
        for arg in node.args:
            result = self.eval(arg)
            if truthy(result) is want:
                break
        return result

    def index(self, node: nodes.Index) -> object:
        star = isinstance(node.index, nodes.Star)
        index = None if star else self.eval(node.index)  # type: ignore[arg-type]
        target = self.eval(node.target)
        if isinstance(target, Mapping):  # kind OBJECT
            if star:
                return FilteredArray(target.values())
            return get_key(target, to_string(index))[1] if is_primitive(index) else None
        items = array_items(target)
        if items is not None:
            if isinstance(target, FilteredArray):
                return _filtered_access(target, star, index)
            if star:
                return FilteredArray(items)
            position = _position(index)
            return items[position] if position is not None and position < len(items) else None
        return FilteredArray() if star else None

    def call(self, node: nodes.Call) -> object:
        args = [self.eval(arg) for arg in node.args]
        name = node.name.lower()
        function = self.functions.get(name) or BUILTINS.get(name)
        if function is None:
            raise ExpressionError(f"Unrecognized function: '{node.name}'", kind="evaluation")
        result = function.call(args, self.runtime)
        held = sum(2 * len(value) for value in (*args, result) if isinstance(value, str))
        if held > MAX_MEMORY_BYTES:
            raise ExpressionError("The maximum allowed memory size was exceeded", kind="evaluation")
        return result


_DISPATCH: dict[type, Callable[[_Evaluator, Any], object]] = {
    nodes.Literal: _Evaluator.literal,
    nodes.ContextRef: _Evaluator.context,
    nodes.Index: _Evaluator.index,
    nodes.Not: _Evaluator.negate,
    nodes.Compare: _Evaluator.compare,
    nodes.Logical: _Evaluator.logical,
    nodes.Call: _Evaluator.call,
}


def _position(index: object) -> int | None:
    """An index as an array position: a finite number >= 0, rounded down."""
    number = to_number(index)
    return int(number) if math.isfinite(number) and number >= 0 else None


def _filtered_access(items: FilteredArray, star: bool, index: object) -> FilteredArray:
    """Apply ``.name``, ``[i]`` or ``.*`` to every element of a filtered array."""
    result = FilteredArray()
    key = to_string(index) if not star and is_primitive(index) else None
    position = None if star else _position(index)
    for item in items:
        elements = array_items(item)
        if isinstance(item, Mapping):  # kind OBJECT
            if star:
                result.extend(item.values())
            elif key is not None:
                found, value = get_key(item, key)
                if found:
                    result.append(value)
        elif elements is not None:
            if star:
                result.extend(elements)
            elif position is not None and position < len(elements):
                result.append(elements[position])
    return result


def evaluate(
    expression: nodes.Expr | str,
    contexts: Mapping[str, object] | None = None,
    *,
    functions: Mapping[str, Function] | None = None,
    status: JobStatus | None = None,
    workspace: Path | None = None,
) -> object:
    """Evaluate an expression (parsed, or text without ``${{ }}``) against ``contexts``.

    Text is parsed allowing exactly the context names given, as GitHub does, so an unknown
    name is an error; a tree parsed without that check reads a missing context as null. ``functions`` add to or replace GitHub's functions; ``status`` is what
    ``success()``/``failure()``/``cancelled()`` test; ``workspace`` is where ``hashFiles`` looks.
    Returns plain Python data (numbers as ``float``); raises :class:`ExpressionError`.
    """
    contexts = contexts if contexts is not None else {}
    text = expression if isinstance(expression, str) else ""
    if isinstance(expression, str):
        arities = {name: (f.min_args, f.max_args) for name, f in functions.items()} if functions else None
        expression = parse(expression, contexts=contexts.keys(), functions=arities)
    extra = {name.lower(): f for name, f in functions.items()} if functions else {}
    evaluator = _Evaluator(contexts, extra, Runtime(workspace=workspace, status=status))
    try:
        return evaluator.eval(expression)
    except ExpressionError as exc:
        raise exc.with_expression(text) if text else exc from None
    except RecursionError:
        raise ExpressionError("Exceeded max expression depth", kind="evaluation", expression=text) from None
