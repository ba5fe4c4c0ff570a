"""Check a document against Argo's structural schema: unknown fields, types, required fields.

Argo's own ``argo lint --strict`` decodes with ``UnmarshalStrict``, so an unknown or misspelt key
is an error there; Hera's models drop such keys silently. This walker visits every value once
and reports each problem with its JSON path.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from wfsync.lint.rules.suggest import did_you_mean
from wfsync.model.findings import JsonPath

SCHEMA_FILE = Path(__file__).with_name("argo.json")

_TYPE_NAMES = {
    "s": "a string",
    "i": "an integer",
    "n": "a number",
    "b": "a boolean",
    "is": "an integer or a string",
    "as": "a string, number or boolean",
}


@functools.cache
def _schema() -> Mapping[str, Any]:
    data: Mapping[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return data


def schema_source() -> str:
    """Where the shipped schema came from (for ``--version --verbose`` and cache keys)."""
    return str(_schema()["source"])


def known_kinds() -> frozenset[str]:
    """Kinds the schema describes."""
    return frozenset(_schema()["roots"])


def check(body: Mapping[str, object], kind: str) -> Iterator[tuple[JsonPath, str, str]]:
    """Yield ``(json_path, rule, message)`` for every structural problem in ``body``."""
    schema = _schema()
    root = schema["roots"].get(kind)
    if root is None:
        return
    yield from _check_def(body, root, (), schema["defs"])


_DESCRIPTIONS: tuple[tuple[type, str], ...] = (
    (type(None), "null"),
    (bool, "a boolean"),  # before int: a bool is an int
    (int, "an integer"),
    (float, "a number"),
    (str, "a string"),
    (list, "a list"),
    (dict, "a mapping"),
)


def _describe(value: object) -> str:
    return next((text for kind, text in _DESCRIPTIONS if isinstance(value, kind)), type(value).__name__)


def _check_def(
    value: object, name: str, path: JsonPath, defs: Mapping[str, Any]
) -> Iterator[tuple[JsonPath, str, str]]:
    if not isinstance(value, dict):
        yield path, "schema-type", f"expected a mapping ({name}), got {_describe(value)}"
        return
    definition = defs[name]
    if definition.get("open"):
        return
    fields = definition["f"]
    for key, item in value.items():
        spec = fields.get(key)
        if spec is None:
            hint = did_you_mean(key, fields) if isinstance(key, str) else ""
            yield (*path, key), "schema-unknown-field", f"unknown field {key!r} in {name}{hint}"
            continue
        if item is None:
            continue  # null is "unset" for every optional field, as in Go's decoder
        yield from _check_value(item, spec, (*path, key), defs)
    for key in definition["r"]:
        if value.get(key) is None:
            yield (*path, key), "schema-required", f"missing required field {key!r} in {name}"


def _check_value(
    value: Any, spec: Any, path: JsonPath, defs: Mapping[str, object]
) -> Iterator[tuple[JsonPath, str, str]]:
    if isinstance(spec, str):
        if not _scalar_ok(value, spec):
            yield path, "schema-type", f"expected {_TYPE_NAMES[spec]}, got {_describe(value)}"
        return
    if "r" in spec:
        yield from _check_def(value, spec["r"], path, defs)
    elif "l" in spec:
        if not isinstance(value, list):
            yield path, "schema-type", f"expected a list, got {_describe(value)}"
            return
        inner = spec["l"]
        if inner == "a":
            return
        for index, item in enumerate(value):
            if item is not None:
                yield from _check_value(item, inner, (*path, index), defs)
    elif "m" in spec:
        if not isinstance(value, dict):
            yield path, "schema-type", f"expected a mapping, got {_describe(value)}"
            return
        inner = spec["m"]
        for key, item in value.items():
            if not isinstance(key, str):
                yield (*path, str(key)), "schema-type", f"expected a string key, got {_describe(key)}"
            elif item is not None and inner != "a":
                yield from _check_value(item, inner, (*path, key), defs)


def _scalar_ok(value: object, spec: str) -> bool:
    if spec == "s":
        return isinstance(value, str)
    if spec == "a":
        return True
    if spec == "b":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return spec == "as"
    if spec == "i":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if spec == "n":
        return isinstance(value, int | float)
    if spec == "is":
        return isinstance(value, int | str)
    if spec == "as":
        return isinstance(value, int | float | str)
    return False
