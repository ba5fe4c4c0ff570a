"""Differences between two normal forms: by field path (deepdiff) and as a unified YAML diff.

This is the only module that imports deepdiff. Lists of named items (templates, tasks, steps,
parameters, env, ...) are matched by ``name``, so a path reads ``spec.templates[build].container.image``
rather than an index that shifts when a template is added. Secrets (by name and by value shape:
the list is in :mod:`wfsync.secrets`) are masked on both sides before anything is compared or
printed: a change to one shows as ``<redacted>`` becoming ``<redacted: changed>``.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence

import yaml
from deepdiff import DeepDiff

from wfsync.model.findings import ItemName, format_json_path
from wfsync.secrets import REDACTED, REDACTED_CHANGED, mask_pair
from wfsync.sync.normalize import UNORDERED_NAMED_LISTS

__all__ = ["REDACTED", "REDACTED_CHANGED", "FieldChange", "field_changes", "mask_pair", "unified"]
_NAMED = "\x00"
_ORDER = "(order)"


@dataclasses.dataclass(frozen=True)
class FieldChange:
    """One changed field: ``added``, ``removed`` or ``changed``, with its values (masked)."""

    path: str
    change: str
    before: object = None
    after: object = None

    def to_json(self) -> dict[str, object]:
        """JSON form for reports."""
        out: dict[str, object] = {"path": self.path, "change": self.change}
        if self.change != "added":
            out["before"] = self.before
        if self.change != "removed":
            out["after"] = self.after
        return out


def field_changes(before: Mapping[str, object], after: Mapping[str, object]) -> list[FieldChange]:
    """The changes from ``before`` to ``after`` (normal forms), one per field path, in path order."""
    old, new = mask_pair(before, after)
    keyed_old, keyed_new = _keyed(old), _keyed(new)
    diff = DeepDiff(*_without_equal(keyed_old, keyed_new), view="tree", verbose_level=2)
    out: list[FieldChange] = []
    for category, levels in diff.items():
        for level in levels:
            parts = level.path(output_format="list")
            path = _render(parts)
            if category in ("dictionary_item_added", "iterable_item_added"):
                after_value = _at(keyed_new, level.path(output_format="list", use_t2=True), level.t2)
                out.append(FieldChange(path, "added", after=_plain(after_value)))
            elif category in ("dictionary_item_removed", "iterable_item_removed"):
                out.append(FieldChange(path, "removed", before=_plain(_at(keyed_old, parts, level.t1))))
            else:
                after_value = _at(keyed_new, level.path(output_format="list", use_t2=True), level.t2)
                out.append(
                    FieldChange(path, "changed", _plain(_at(keyed_old, parts, level.t1)), _plain(after_value))
                )
    return sorted(out, key=lambda c: c.path)


def _at(tree: object, parts: list[object], fallback: object) -> object:
    """The value at ``parts`` in the whole (not trimmed) tree: what DeepDiff saw may hold placeholders."""
    try:
        for part in parts:
            if isinstance(tree, Mapping):
                tree = tree[part]
            elif isinstance(tree, list) and isinstance(part, int):
                tree = tree[part]
            else:
                return fallback
    except (KeyError, IndexError):
        return fallback
    return tree


def unified(before: Mapping[str, object], after: Mapping[str, object], name: str) -> str:
    """A classic unified diff of the two normal forms as YAML (masked)."""
    old, new = mask_pair(before, after)
    a = _dump(old).splitlines(keepends=True) if old else []
    b = _dump(new).splitlines(keepends=True) if new else []
    return "".join(difflib.unified_diff(a, b, f"live/{name}", f"library/{name}"))


def _keyed(value: object, key: str | None = None) -> object:
    """Named lists as mappings keyed by name; an ordered one also records its order."""
    if isinstance(value, Mapping):
        return {k: _keyed(v, k) for k, v in value.items()}
    if isinstance(value, list):
        names = [item.get("name") for item in value if isinstance(item, dict)]
        if (
            value
            and len(names) == len(value)
            and all(isinstance(n, str) for n in names)
            and len(set(names)) == len(names)
        ):
            out: dict[str, object] = {_NAMED + str(item["name"]): _keyed(item) for item in value}
            if key not in UNORDERED_NAMED_LISTS:
                out[_ORDER] = names
            return out
        return [_keyed(v) for v in value]
    return value


def _without_equal(a: object, b: object) -> tuple[object, object]:
    """Both sides with the mapping values identical on both replaced by one placeholder (recursively).

    An update usually touches a few fields of a large object: DeepDiff then walks only the part
    that differs. The keys stay (DeepDiff weighs shared keys to decide how deep to report), and
    equal placeholders are never reported, so the result is the same as on the whole objects.
    """
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return a, b
    oa: dict[object, object] = {}
    shared: dict[object, object] = {}
    for key, va in a.items():
        if key not in b:
            oa[key] = va
        elif _identical(va, b[key]):
            oa[key] = shared[key] = _SAME
        else:
            oa[key], shared[key] = _without_equal(va, b[key])
    ob = {key: shared[key] if key in shared else vb for key, vb in b.items()}
    return oa, ob


_SAME = object()
"""Stands for a value identical on both sides (the same object: DeepDiff skips it at once)."""


def _identical(a: object, b: object) -> bool:
    """Equal and of the same types all the way down (``1``, ``1.0`` and ``True`` differ)."""
    if a.__class__ is not b.__class__:
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_identical(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _plain(value: object) -> object:
    """Undo :func:`_keyed` for printing a value."""
    if isinstance(value, Mapping):
        if any(isinstance(k, str) and k.startswith(_NAMED) for k in value):
            return [_plain(v) for k, v in value.items() if k != _ORDER]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _render(parts: Sequence[str | int]) -> str:
    """A DeepDiff path as lint prints paths, a list item :func:`_keyed` named as ``[name]``."""
    return format_json_path(
        [ItemName(p[1:]) if isinstance(p, str) and p.startswith(_NAMED) else p for p in parts]
    )


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (scripts, manifests) as ``|`` blocks, so a diff shows the changed line."""


def _block_strings(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and not any(c in value for c in "\r\t") and value == value.rstrip(" "):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_str(value)


_Dumper.add_representer(str, _block_strings)


def _dump(value: object) -> str:
    return yaml.dump(
        value, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True, width=100
    )
