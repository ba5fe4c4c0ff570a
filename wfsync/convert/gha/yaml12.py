"""Read a workflow file the way GitHub does: YAML 1.2 core schema, positions kept, anchors refused.

PyYAML resolves plain scalars with YAML 1.1 rules (``on`` and ``yes`` become booleans), so its
resolver is switched off and plain scalars are typed here with the 1.2 core schema: only
``true``/``false`` (any case) are booleans, ``~``/``null``/empty are null, ints are decimal,
``0o`` or ``0x``. Explicit tags are limited to the core ones, as in GitHub's reader.

Documents are composed within the limits of :mod:`wfsync.library.yamlload` (nesting depth and
node count; anchors are refused here anyway), so a hostile workflow cannot crash or stall the
converter. Files are read with :func:`read_workflow` (regular files only, size cap).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from wfsync.library.yamlload import (
    MAX_DEPTH,
    YamlDepthError,
    YamlLimitError,
    check_node,
    compose_document,
    read_text_bounded,
)

try:
    _Parser: type = yaml.CParser  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover - libyaml missing
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


Kind = Literal["mapping", "sequence", "string", "boolean", "number", "null"]

_PLAIN = "!plain"
_TAG = "tag:yaml.org,2002:"
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_STYLES = {None: "Plain", "'": "SingleQuoted", '"': "DoubleQuoted", "|": "Literal", ">": "Folded"}


class YamlError(Exception):
    """YAML that GitHub would not read; ``line``/``column`` are 1-based when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(slots=True, eq=False)
class YNode:
    """A typed YAML value with its 1-based position.

    Mappings hold ``(key, value)`` node pairs in order (duplicates kept, so the schema check can
    report them), sequences hold nodes, scalars hold Python values (numbers as ``float`` or ``int``).
    """

    kind: Kind
    value: Any
    line: int
    column: int
    pairs: list[tuple[YNode, YNode]] = field(default_factory=list)
    items: list[YNode] = field(default_factory=list)

    def get(self, key: str) -> YNode | None:
        """The value node of ``key`` in a mapping (last one wins), else ``None``."""
        found = None
        for k, v in self.pairs:
            if k.value == key:
                found = v
        return found

    def text(self) -> str:
        """The scalar as GitHub's string coercion writes it."""
        return scalar_text(self.value)


def scalar_text(value: object) -> str:
    """GitHub's string form of a scalar: ``true``, ``false``, ``''`` for null, numbers short."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15G}"
    return str(value)


class _Resolver(yaml.resolver.BaseResolver):
    """Marks implicit plain scalars so they can be typed with YAML 1.2 rules afterwards."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]


class _Loader(_Parser, _Resolver):  # type: ignore[misc]
    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)  # type: ignore[misc]
        _Resolver.__init__(self)


def load(text: str) -> YNode | None:
    """The first document of ``text`` as a :class:`YNode` tree (``None`` for an empty file)."""
    if "&" in text:
        _refuse_anchors(text)
    loader = _Loader(text)
    try:
        node = _single_node(loader)
    except YamlLimitError as err:
        mark = err.problem_mark
        message = "Maximum object depth exceeded" if isinstance(err, YamlDepthError) else str(err.problem)
        raise YamlError(message, mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        message = " ".join(part for part in (err.context, err.problem) if part) or str(err)
        if mark is None:
            raise YamlError(message) from None
        raise YamlError(message, mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as err:
        raise YamlError(str(err)) from None
    finally:
        loader.dispose()
    return None if node is None else _convert(node, 0)


def _single_node(loader: Any) -> yaml.Node | None:
    """``get_single_node`` with the bounded composer: one document or none."""
    node = compose_document(loader) if check_node(loader) else None
    if check_node(loader):
        event = loader.peek_event()
        raise yaml.composer.ComposerError(
            "expected a single document in the stream", None, "but found another document", event.start_mark
        )
    return node


def read_workflow(path: Path) -> str:
    """A workflow file's text, read within the input limits; raises :class:`YamlError`."""
    try:
        return read_text_bounded(path)
    except OSError as err:
        raise YamlError(f"cannot read {path}: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise YamlError(f"{path} is not UTF-8 text: {err.reason}") from None


def _refuse_anchors(text: str) -> None:
    try:
        for event in yaml.parse(text, Loader=_Loader):
            anchor = getattr(event, "anchor", None)
            if anchor and not isinstance(event, yaml.AliasEvent):
                raise YamlError(f"Anchors are not currently supported. Remove the anchor '{anchor}'")
    except yaml.YAMLError:
        return  # reported with its position by the real load


def _convert(node: yaml.Node, depth: int) -> YNode:
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    if depth > MAX_DEPTH:
        raise YamlError("Maximum object depth exceeded")
    if isinstance(node, yaml.MappingNode):
        _check_collection_tag(node, "map")
        pairs = [(_convert(k, depth + 1), _convert(v, depth + 1)) for k, v in node.value]
        return YNode("mapping", None, line, column, pairs=pairs)
    if isinstance(node, yaml.SequenceNode):
        _check_collection_tag(node, "seq")
        return YNode("sequence", None, line, column, items=[_convert(v, depth + 1) for v in node.value])
    assert isinstance(node, yaml.ScalarNode)
    kind, value = _scalar(node)
    return YNode(kind, value, line, column)


def _check_collection_tag(node: yaml.Node, name: str) -> None:
    if node.tag not in (_TAG + name, "!"):
        raise YamlError(f"Unexpected tag '{node.tag}'", node.start_mark.line + 1, node.start_mark.column + 1)


def _scalar(node: yaml.ScalarNode) -> tuple[Kind, Any]:
    text: str = node.value
    tag: str = node.tag
    where = f"on line {node.start_mark.line + 1} and column {node.start_mark.column + 1}"
    if tag == _PLAIN:
        # the core schema resolves a plain scalar to the first type whose pattern it matches
        for matches, kind, convert in _TYPED.values():
            if matches(text):
                return kind, convert(text)
        return "string", text
    if tag in ("!", _TAG + "str"):
        return "string", text
    if node.style is not None:
        raise YamlError(
            f"The scalar style '{_STYLES.get(node.style, node.style)}' {where} is not valid with the tag '{tag}'"
        )
    if tag not in _TYPED:
        raise YamlError(f"Unexpected tag '{tag}'")
    matches, kind, convert = _TYPED[tag]
    if not matches(text):
        raise YamlError(f"The value '{text}' {where} is invalid for the type '{tag}'")
    return kind, convert(text)


def _int(text: str) -> int:
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)


def _float(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return float(text)


def _number(text: str) -> float:
    """A ``!!float`` value, which may be written as an integer (``!!float 1``)."""
    return _float(text) if _FLOAT.match(text) else float(_int(text))


_TYPED: dict[str, tuple[Callable[[str], bool], Kind, Callable[[str], Any]]] = {
    _TAG + "null": (lambda text: bool(_NULL.match(text)), "null", lambda _text: None),
    _TAG + "bool": (lambda text: bool(_BOOL.match(text)), "boolean", lambda text: text.lower() == "true"),
    _TAG + "int": (lambda text: bool(_INT.match(text)), "number", _int),
    _TAG + "float": (lambda text: bool(_FLOAT.match(text) or _INT.match(text)), "number", _number),
}
"""Explicitly tagged scalars: the pattern the text must match, its kind and its value (plain
scalars try them in this order)."""


def to_python(node: YNode | None) -> Any:
    """Plain data (dicts, lists, scalars) from a node tree; a repeated key keeps the last value."""
    if node is None:
        return None
    if node.kind == "mapping":
        return {_key(k): to_python(v) for k, v in node.pairs}
    if node.kind == "sequence":
        return [to_python(item) for item in node.items]
    return node.value


def _key(node: YNode) -> str:
    return node.text() if node.kind not in ("mapping", "sequence") else f"<{node.kind}>"
