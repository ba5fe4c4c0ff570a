"""Read YAML streams fast, keeping where every value came from, within limits.

PyYAML's C loader does the scanning; we keep the composed node tree of each document so a finding
can name the line of any JSON path without a second parse. The loader follows the decoder Argo
uses (sigs.k8s.io/yaml): timestamps stay strings and duplicate keys are errors, not "last wins".

Every YAML wfsync reads is untrusted, so reading is bounded (one set of limits, shared by lint,
fmt, sync, convert, run and ``wfsync.yaml``):

- files: regular files only (no FIFO, device or socket), at most :data:`MAX_FILE_BYTES`, read
  with :func:`read_bounded` (never blocks on a FIFO, never reads past the cap);
- nesting: at most :data:`MAX_DEPTH` collections deep (PyYAML's C composer recurses without a
  limit and crashes the interpreter on deep input, so documents are composed here, iteratively);
- aliases: at most :data:`MAX_ALIASES` per document, never to a node that contains the alias;
- size: at most :data:`MAX_NODES` nodes per file (all its documents), counting every alias as the
  whole node it stands for, so an alias bomb is refused after reading its few hundred bytes; and
  at most :data:`MAX_DOCUMENTS` documents per file (each costs fmt about a millisecond).

Input over a limit raises :class:`YamlLimitError` at the line where the limit was crossed.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

try:
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader = yaml.SafeLoader


class YamlSyntaxError(Exception):
    """Text that is not valid YAML (or is over a limit: ``limit``), with a 1-based line and column."""

    def __init__(self, message: str, line: int, column: int, *, limit: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.limit = limit


MAX_FILE_BYTES = 4 * 1024 * 1024
"""Larger files are refused: no real template library file comes close, a generated dump might."""
MAX_DEPTH = 100
"""Collections nested deeper are refused (GitHub's reader has the same limit; templates use ~15)."""
MAX_ALIASES = 10_000
"""Alias nodes (``*name``) allowed in one document."""
MAX_NODES = 250_000
"""Nodes allowed in one file, aliases counted as the nodes they expand to (Argo's largest CRD: 68,000)."""
MAX_DOCUMENTS = 1_000
"""Documents allowed in one file (a library file holds a handful)."""


class UnreadableFile(OSError):
    """A file refused before parsing (not a regular file, too large); ``strerror`` says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(errno.EINVAL, reason, str(path))


def read_bounded(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; raise :class:`OSError` otherwise.

    The file is opened without blocking (a FIFO would wait for a writer forever) and checked
    with ``fstat`` on the open descriptor, so a path swapped after a check cannot slip through;
    at most ``limit + 1`` bytes are ever read (``/dev/zero`` behind a symlink is not).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(path, f"not a regular file ({_file_type(info.st_mode)})")
        if info.st_size > limit:
            raise UnreadableFile(path, f"file is {info.st_size} bytes, over the {limit} byte limit")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise UnreadableFile(path, f"file is over the {limit} byte limit")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _file_type(mode: int) -> str:
    for check, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if check(mode):
            return name
    return "a special file"


def read_text_bounded(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """:func:`read_bounded`, decoded as UTF-8 with universal newlines (as ``read_text`` does).

    Raises :class:`OSError` for a file that cannot be used and :class:`UnicodeDecodeError` for
    bytes that are not UTF-8.
    """
    text = read_bounded(path, limit).decode("utf-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


class YamlLimitError(yaml.MarkedYAMLError):
    """A document over one of the limits (depth, aliases, nodes)."""


class YamlDepthError(YamlLimitError):
    """A document nested deeper than :data:`MAX_DEPTH`."""


class EventSource(Protocol):
    """A PyYAML loader as composing uses it: its parser's events and its resolver's tags."""

    def get_event(self) -> Any:
        """The next event (typed loosely: its class is checked by identity in the hot loop)."""

    def peek_event(self) -> Any:
        """The next event, left in the stream."""

    def check_event(self, *choices: type[yaml.Event]) -> bool:
        """Whether the next event is one of ``choices``."""

    def resolve(self, kind: type[yaml.Node], value: str | None, implicit: object) -> str:
        """The tag of an untagged node."""


@dataclasses.dataclass
class Budget:
    """What the documents of one file have used so far of the per-file limits."""

    nodes: int = 0
    documents: int = 0


def documents(loader: EventSource) -> Iterator[yaml.Node | None]:
    """The documents of ``loader``'s stream, composed by :func:`compose_document` on one budget."""
    budget = Budget()
    while check_node(loader):
        if budget.documents >= MAX_DOCUMENTS:
            mark = loader.peek_event().start_mark
            raise YamlLimitError(None, None, f"more than {MAX_DOCUMENTS} documents in one file", mark)
        budget.documents += 1
        yield compose_document(loader, budget)


def compose_document(loader: EventSource, budget: Budget | None = None) -> yaml.Node | None:
    """The next document of ``loader``'s stream as a node tree, composed within the limits.

    Replaces PyYAML's ``get_node`` (same nodes, same tags, shared nodes for aliases) for any
    loader built on a parser and a resolver; :func:`check_node` must have been true. Nodes are
    counted on ``budget`` (the file's, shared by its documents; a fresh one when not given).
    """
    budget = budget if budget is not None else Budget()
    loader.get_event()  # DocumentStartEvent
    anchors: dict[str, tuple[yaml.Node, int] | None] = {}  # None: still open (an alias would recurse)
    stack: list[tuple[yaml.Node, list[yaml.Node], int, str | None]] = []
    expanded, aliases = budget.nodes, 0
    root: yaml.Node | None = None
    plain_tags = _PLAIN_TAGS.setdefault(type(loader), {})
    while True:
        event = loader.get_event()
        kind = type(event)
        if kind is ScalarEvent:
            tag = event.tag
            if tag is None or tag == "!":
                tag = plain_tags.get(event.value) if event.implicit[0] else None
                if tag is None:
                    tag = _resolve_scalar(loader, event, plain_tags)
            node: yaml.Node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
            expanded += 1
            if event.anchor is not None:
                _anchor(anchors, event, node, 1)
        elif kind is AliasEvent:
            aliases += 1
            node, size = _alias_target(anchors, event, aliases)
            expanded += size
        elif kind is SequenceStartEvent or kind is MappingStartEvent:
            collection = _collection(loader, event, len(stack))
            if event.anchor is not None:
                _anchor(anchors, event, None, 0)
            expanded += 1
            stack.append((collection, [], expanded, event.anchor))
            continue
        elif kind is SequenceEndEvent or kind is MappingEndEvent:
            node = _close(stack.pop(), event, anchors, expanded)
        else:  # pragma: no cover - the parser emits nothing else inside a document
            raise yaml.composer.ComposerError(None, None, f"unexpected {kind.__name__}", event.start_mark)
        if expanded > MAX_NODES:
            raise _too_many_nodes(event)
        if stack:
            stack[-1][1].append(node)
        else:
            root = node
            break
    loader.get_event()  # DocumentEndEvent
    budget.nodes = expanded
    return root


_PLAIN_TAGS: dict[type, dict[str, str]] = {}
"""Resolved tags of short plain scalars, by loader class: keys and values such as ``name`` or
``true`` recur in every template, and the resolver's regular expressions are the composer's
largest cost after the parser."""
_PLAIN_TAG_LIMIT = 50_000


def _resolve_scalar(loader: EventSource, event: Any, plain_tags: dict[str, str]) -> str:
    """The tag of an untagged scalar, remembered when it is short and plain (not quoted)."""
    value = event.value
    tag = loader.resolve(yaml.ScalarNode, value, event.implicit)
    if event.implicit[0] and len(value) <= 64:
        if len(plain_tags) >= _PLAIN_TAG_LIMIT:
            plain_tags.clear()
        plain_tags[value] = tag
    return tag


def _too_many_nodes(event: Any) -> YamlLimitError:
    return YamlLimitError(
        None, None, f"more than {MAX_NODES} nodes in one file (aliases counted expanded)", event.start_mark
    )


def _close(
    open_: tuple[yaml.Node, list[yaml.Node], int, str | None],
    event: Any,
    anchors: dict[str, tuple[yaml.Node, int] | None],
    expanded: int,
) -> yaml.Node:
    """The collection an end event closes, with its children (a mapping's as key-value pairs).

    Its anchor, if any, now names it with its expanded size.
    """
    node, children, started, anchor = open_
    node.end_mark = event.end_mark
    if type(event) is MappingEndEvent:
        node.value = list(zip(children[::2], children[1::2], strict=True))
    else:
        node.value = children
    if anchor is not None:
        anchors[anchor] = (node, expanded - started + 1)
    return node


def _alias_target(
    anchors: dict[str, tuple[yaml.Node, int] | None], event: Any, aliases: int
) -> tuple[yaml.Node, int]:
    """The node an alias repeats and its expanded size.

    Undefined and self-containing aliases are errors, and so is the alias past
    :data:`MAX_ALIASES` in a document (``aliases`` counts this one).
    """
    if aliases > MAX_ALIASES:
        raise YamlLimitError(None, None, f"more than {MAX_ALIASES} aliases in one document", event.start_mark)
    if event.anchor not in anchors:
        raise yaml.composer.ComposerError(
            None, None, f"found undefined alias {event.anchor!r}", event.start_mark
        )
    target = anchors[event.anchor]
    if target is None:
        raise YamlLimitError(
            None, None, f"alias *{event.anchor} refers to a node that contains it", event.start_mark
        )
    return target


def _collection(loader: EventSource, event: Any, depth: int) -> yaml.Node:
    """An empty sequence or mapping node for a start event, refused past :data:`MAX_DEPTH`."""
    if depth >= MAX_DEPTH:
        raise YamlDepthError(None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
    node_type = yaml.SequenceNode if type(event) is SequenceStartEvent else yaml.MappingNode
    tag = event.tag
    if tag is None or tag == "!":
        tag = loader.resolve(node_type, None, event.implicit)
    node: yaml.Node = node_type(tag, [], event.start_mark, None, flow_style=event.flow_style)
    return node


def _anchor(
    anchors: dict[str, tuple[yaml.Node, int] | None], event: Any, node: yaml.Node | None, size: int
) -> None:
    if event.anchor in anchors:
        raise yaml.composer.ComposerError(
            None, None, f"found duplicate anchor {event.anchor!r}", event.start_mark
        )
    anchors[event.anchor] = (node, size) if node is not None else None


def check_node(loader: EventSource) -> bool:
    """Whether another document follows (``loader.check_node`` for :func:`compose_document`)."""
    if loader.check_event(StreamStartEvent):
        loader.get_event()
    return not loader.check_event(StreamEndEvent)


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
        self.memo: dict[int, object] = {}

    def build(self, node: yaml.Node) -> object:
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
        for index, node in enumerate(documents(loader)):
            data = _Builder(loader).build(node) if node is not None else None
            line = node.start_mark.line + 1 if node is not None else 1
            yield LoadedDocument(data, node, line, index)
    except yaml.YAMLError as err:
        raise syntax_error(err) from None
    finally:
        loader.dispose()


def compose_stream(text: str) -> list[yaml.Node | None]:
    """The node trees of every document, within the limits; raise :class:`YamlSyntaxError`.

    For callers that compare documents as YAML (tags and scalar text) rather than as data.
    """
    loader = _Loader(text)
    try:
        return list(documents(loader))
    except yaml.YAMLError as err:
        raise syntax_error(err) from None
    finally:
        loader.dispose()


def syntax_error(err: yaml.YAMLError) -> YamlSyntaxError:
    """A PyYAML error as a :class:`YamlSyntaxError` (1-based position, context and problem)."""
    if not isinstance(err, yaml.MarkedYAMLError):
        return YamlSyntaxError(str(err), 1, 1)
    mark = err.problem_mark or err.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    message = " ".join(part for part in (err.context, err.problem) if part)
    return YamlSyntaxError(message or str(err), line, column, limit=isinstance(err, YamlLimitError))


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
