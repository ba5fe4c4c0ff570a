"""Patches of Kubernetes objects as kubectl computes them, as pure functions over plain data.

JSON merge patch (RFC 7386), JSON patch (RFC 6902), and the three-way merge of ``kubectl apply``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from wfsync.engine.executor import Unsupported
from wfsync.engine.resource_manifest import ResourceFailed


def patched(obj: dict[str, object], patch: object, strategy: str) -> dict[str, object]:
    """``obj`` with ``patch`` applied by ``mergeStrategy`` (a copy; strategic lists are refused)."""
    if strategy == "json":
        if not isinstance(patch, list):
            raise ResourceFailed("a json patch must be a list of operations")
        out = copy.deepcopy(obj)
        for op in patch:
            _json_patch_op(out, op)
        return out
    if not isinstance(patch, dict):
        raise ResourceFailed("a merge patch must be an object")
    if strategy == "strategic" and _has_list(patch):
        raise Unsupported("strategic merge patches of lists are not implemented locally")
    if strategy not in ("merge", "strategic"):
        raise ResourceFailed(f"unknown mergeStrategy {strategy!r}")
    return _merge(copy.deepcopy(obj), patch)


def _has_list(value: object) -> bool:
    if isinstance(value, list):
        return True
    return isinstance(value, dict) and any(_has_list(v) for v in value.values())


def _merge(base: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, object]:
    """RFC 7386 JSON merge patch (null deletes)."""
    for key, value in patch.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _json_patch_op(doc: dict[str, object], op: object) -> None:
    """One RFC 6902 operation (add, remove, replace, test)."""
    if not isinstance(op, dict) or "path" not in op:
        raise ResourceFailed(f"invalid json patch operation {op!r}")
    kind = op.get("op")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in str(op["path"]).split("/")[1:]]
    parent: object = doc
    for part in parts[:-1]:
        parent = (
            parent[int(part)]
            if isinstance(parent, list)
            else parent.get(part)
            if isinstance(parent, dict)
            else None
        )
        if parent is None:
            raise ResourceFailed(f"doc is missing path: {op['path']}")
    last = parts[-1] if parts else ""
    if kind in ("add", "replace"):
        _put(parent, last, op, kind)
    elif kind == "remove":
        try:
            if isinstance(parent, list):
                del parent[int(last)]
            elif isinstance(parent, dict):
                del parent[last]
            else:
                raise TypeError(parent)
        except (KeyError, IndexError, TypeError, ValueError):
            raise ResourceFailed(
                f"remove operation does not apply: doc is missing path: {op['path']}"
            ) from None
    elif kind == "test":
        current = parent.get(last) if isinstance(parent, dict) else None
        if current != op.get("value"):
            raise ResourceFailed(f"testing value {op['path']} failed")
    else:
        raise Unsupported(f"json patch operation {kind!r} is not implemented locally")


def _put(parent: object, last: str, op: dict[str, object], kind: object) -> None:
    """``add`` or ``replace`` at ``last`` of ``parent`` (``-`` appends to a list)."""
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if kind == "add":
            parent.insert(index, op.get("value"))
        else:
            parent[index] = op.get("value")
    elif isinstance(parent, dict):
        if kind == "replace" and last not in parent:
            raise ResourceFailed(f"replace operation does not apply: doc is missing key: {op['path']}")
        parent[last] = op.get("value")
    else:
        raise ResourceFailed(f"doc is missing path: {op['path']}")


def three_way(last: Mapping[str, object], new: Mapping[str, object]) -> dict[str, Any]:
    """A JSON merge patch setting ``new`` and removing what ``last`` set and ``new`` no longer does."""
    patch: dict[str, object] = {key: None for key in last if key not in new}
    for key, value in new.items():
        before = last.get(key)
        if isinstance(value, dict) and isinstance(before, dict):
            patch[key] = three_way(before, value)
        else:
            patch[key] = copy.deepcopy(value)
    return patch
