"""Argo's expression environment (``util/expr/env``) and how a ``{{=...}}`` result becomes text."""

from __future__ import annotations

from collections.abc import Mapping

from wfsync.expressions.exprlang import jsonpath
from wfsync.expressions.exprlang.builtins import to_float, to_int
from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.sprig import SPRIG
from wfsync.expressions.exprlang.values import from_go_json, go_json, go_type


def build_env(flat: Mapping[str, object]) -> dict[str, object]:
    """Expand dotted keys into nested maps, as Argo's ``expand.Expand`` does.

    ``{"steps.a.outputs.result": "x"}`` becomes ``{"steps": {"a": {"outputs": {"result": "x"}}}}``.
    A key that is the prefix of the next key in sorted order is dropped first (so
    ``workflow.parameters`` is a map, not the JSON string). Go then lets map iteration order
    decide any remaining clash; here the nested map always wins, which keeps every longer key.
    """
    keys = sorted(flat)
    kept = {key: flat[key] for key in keys}
    for shorter, longer in zip(keys, keys[1:], strict=False):
        if longer.startswith(shorter + "."):
            kept.pop(shorter, None)
    env: dict[str, object] = {}
    for key in sorted(kept, key=lambda k: k.count(".")):
        *parents, leaf = key.split(".")
        node = env
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        if not isinstance(node.get(leaf), dict):
            node[leaf] = kept[key]
    return env


def _as_int(*args: object) -> int:
    if len(args) != 1:
        raise ExprError(f"asInt expects 1 argument, got {len(args)}")
    return to_int(args[0])


def _as_float(*args: object) -> float:
    if len(args) != 1:
        raise ExprError(f"asFloat expects 1 argument, got {len(args)}")
    return to_float(args[0])


def _to_json(value: object) -> str:
    return go_json(value)


def _jsonpath(document: object, path: object) -> object:
    if not isinstance(document, str) or not isinstance(path, str):
        raise ExprError(f"reflect: Call using {go_type(document)} as type string")
    try:
        data = from_go_json(document)
    except ValueError as exc:
        raise ExprError(f"jsonpath: invalid JSON: {exc}") from None
    return jsonpath.query(path, data)


ARGO_FUNCTIONS: dict[str, object] = {
    "asInt": _as_int,
    "asFloat": _as_float,
    "toJson": _to_json,
    "jsonpath": _jsonpath,
    "sprig": SPRIG,
}
"""The functions Argo adds on top of expr's builtins; they shadow environment keys of the same name."""


def render_expression_tag(result: object) -> str:
    """The text an expression tag leaves in the template (``expression_template.go``).

    ``json.Marshal`` the result; a JSON string loses its quotes (so the raw text is spliced in),
    anything else is spliced as JSON text (``[1,2]``, ``true``, ``3``, ``{"a":1}``). A ``nil``
    result is an error.
    """
    if result is None:
        raise ExprError("failed to evaluate expression: result is nil")
    if isinstance(result, str):
        return result
    text = go_json(result)
    if len(text) > 1 and text[0] == '"' and text[-1] == '"':
        return str(from_go_json(text))
    return text
