"""Read YAML streams fast, keeping where every value came from.

PyYAML's C loader does the scanning; we keep the composed node tree of each document so a finding
can name the line of any JSON path without a second parse. The loader follows the decoder Argo
uses (sigs.k8s.io/yaml): timestamps stay strings and duplicate keys are errors, not "last wins".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import yaml

try:
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader = yaml.SafeLoader


class YamlSyntaxError(Exception):
    """Text that is not valid YAML, with a 1-based line and column."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader with Argo's decoding rules."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if len(mapping) != len(node.value):
            _raise_on_duplicate(node)
        return mapping


def _raise_on_duplicate(node: yaml.MappingNode) -> None:
    """Fewer keys than pairs: a repeated key, or a ``<<`` merge overridden (which is fine).

    Merged pairs come from an anchor defined before this mapping starts, so only keys written
    inside the mapping itself count.
    """
    seen: set[str] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.start_mark.index < node.start_mark.index:
            continue
        if key_node.value in seen:
            mark = key_node.start_mark
            raise YamlSyntaxError(f"duplicate key {key_node.value!r}", mark.line + 1, mark.column + 1)
        seen.add(key_node.value)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_BOOLS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}


class _Builder:
    """Turn a node tree into plain data, several times faster than PyYAML's generic constructor.

    Strings, maps, lists, nulls and booleans (nearly every node of a template) are built
    directly; numbers and rarer tags go through the loader's own constructors, so the result is
    exactly what the safe loader gives. Shared (aliased) nodes give the same object, as in PyYAML.
    """

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.memo: dict[int, Any] = {}

    def build(self, node: yaml.Node) -> Any:
        tag = node.tag
        if tag == _STR or tag == _TIMESTAMP:
            return node.value
        key = id(node)
        if key in self.memo:
            return self.memo[key]
        if tag == _MAP and not any(k.tag == _MERGE for k, _ in node.value):
            result: dict[Any, Any] = {}
            self.memo[key] = result
            for key_node, value_node in node.value:
                item_key = self.build(key_node)
                if item_key in result:
                    mark = key_node.start_mark
                    raise YamlSyntaxError(f"duplicate key {item_key!r}", mark.line + 1, mark.column + 1)
                try:
                    result[item_key] = self.build(value_node)
                except TypeError:
                    raise YamlSyntaxError(
                        "found an unhashable key", key_node.start_mark.line + 1, 1
                    ) from None
            return result
        if tag == _SEQ:
            items: list[Any] = []
            self.memo[key] = items
            items.extend(self.build(child) for child in node.value)
            return items
        if tag == _NULL:
            return None
        if tag == _BOOL and isinstance(node.value, str) and node.value.lower() in _BOOLS:
            return _BOOLS[node.value.lower()]
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, KeyError, TypeError, AttributeError):
            mark = node.start_mark
            raise YamlSyntaxError(
                f"invalid value {node.value!r} for {tag}", mark.line + 1, mark.column + 1
            ) from None
        self.memo[key] = value
        return value


@dataclasses.dataclass(frozen=True)
class LoadedDocument:
    """One document: its data, its node tree (for lines) and its 1-based start line."""

    data: Any
    node: yaml.Node | None
    line: int
    index: int


def load_stream(text: str) -> Iterator[LoadedDocument]:
    """Yield the documents of a YAML stream; raise :class:`YamlSyntaxError` on bad YAML."""
    loader = _Loader(text)
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            data = _Builder(loader).build(node) if node is not None else None
            line = node.start_mark.line + 1 if node is not None else 1
            yield LoadedDocument(data, node, line, index)
            index += 1
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        message = " ".join(part for part in (err.context, err.problem) if part)
        raise YamlSyntaxError(message or str(err), line, column) from None
    except yaml.YAMLError as err:
        raise YamlSyntaxError(str(err), 1, 1) from None
    finally:
        loader.dispose()


def node_line(node: yaml.Node | None, path: tuple[str | int, ...]) -> int | None:
    """1-based line of the value at ``path`` inside ``node`` (a key's line for mapping values)."""
    if node is None:
        return None
    current: yaml.Node = node
    line = current.start_mark.line + 1
    for part in path:
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                    line = key_node.start_mark.line + 1
                    current = value_node
                    break
            else:
                return line
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(current.value):
                return line
            current = current.value[part]
            line = current.start_mark.line + 1
        else:
            return line
    return line
