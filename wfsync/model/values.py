"""Reading plain YAML/JSON values typed ``object``: a wrong shape reads as absent, never raises.

Documents arrive as the dicts and lists a YAML loader builds; lint reports their wrong shapes.
Readers elsewhere only need "the mapping here, or nothing", which these helpers give with the
type narrowed, so callers need neither ``Any`` nor casts.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

EMPTY: Mapping[str, object] = MappingProxyType({})


def mapping(value: object) -> Mapping[str, object]:
    """``value`` when it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else EMPTY


def at(value: object, *keys: str) -> object:
    """The value under ``keys`` through nested mappings (``None`` where one is missing)."""
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def listed(value: object) -> list[object]:
    """The entries of a list ([] for null or another shape)."""
    return value if isinstance(value, list) else []


def items(value: object) -> list[Mapping[str, object]]:
    """The mappings of a list (other entries skipped); ``[]`` when ``value`` is not a list."""
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def metadata(obj: Mapping[str, object], field: str) -> Mapping[str, object]:
    """``metadata.<field>`` (labels, annotations) of an object; empty when absent."""
    return mapping(at(obj, "metadata", field))
