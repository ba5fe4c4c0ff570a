"""The canonical form of an Argo YAML file: ruamel.yaml round-trip, Argo key order, comments kept.

Pure text in, text out: the CLI decides which files to read and whether to write or only check.
fmt never changes data: plain scalars of other types than string (``~``, ``+1``, timestamps) are
written back exactly as they were read, and every result is checked before it is returned (the
same YAML node trees, tag and text of every scalar, and the same comments); a result that fails
the check is refused rather than returned. Input is read within the limits of
:mod:`wfsync.library.yamlload` (nesting, aliases, size) before ruamel.yaml sees it.
Documents are split at their ``---`` lines and formatted one by one, so separators, a leading ``---``
and a comment header before it come out exactly as written. Only Argo kinds are reordered (the tables
are in :mod:`wfsync.fmt.key_order`); every document gets canonical indentation: two spaces per
mapping level and sequences indented under their key (``- name: main`` two columns in from ``templates:``).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import ScalarString

from wfsync.errors import CompletionError, InputError
from wfsync.fmt import key_order as ko
from wfsync.fmt.comments import hoist_comments, is_block
from wfsync.fmt.emitter import ArgoEmitter
from wfsync.library.yamlload import YamlSyntaxError, compose_stream

MAPPING_INDENT = 2
SEQUENCE_INDENT = 4
SEQUENCE_DASH_OFFSET = 2
_WIDTH = 1_000_000  # never re-wrap long strings

_SEPARATOR = re.compile(r"^---(?:[ \t]+#.*)?[ \t]*$")
"""A bare document separator, optionally with a comment: the only kind that is split on."""
_NEEDS_STREAM = re.compile(r"^(?:---[ \t]+[^#\s]|\.\.\.(?:\s|$)|%)", re.MULTILINE)
"""Content on a ``---`` line, ``...`` end markers or directives: let ruamel handle the whole stream."""

# What each mapping is, by context: its key order and the context of its children. A context is
# named after what the node is; sequences name the context of their items in _ITEMS.
_MAPS: dict[str, tuple[ko.KeyOrder | None, dict[str, str]]] = {
    "workflow": (ko.DOCUMENT, {"metadata": "metadata", "spec": "spec"}),
    "cronWorkflow": (ko.DOCUMENT, {"metadata": "metadata", "spec": "cronSpec"}),
    "metadata": (ko.METADATA, {}),
    "cronSpec": (ko.CRON_SPEC, {"workflowSpec": "spec", "workflowMetadata": "metadata"}),
    "spec": (
        ko.WORKFLOW_SPEC,
        {
            "arguments": "io",
            "templates": "templates",
            "templateDefaults": "template",
            "volumes": "named",
            "volumeClaimTemplates": "claims",
            "podMetadata": "metadata",
            "workflowMetadata": "metadata",
        },
    ),
    "template": (
        ko.TEMPLATE,
        {
            "inputs": "io",
            "outputs": "io",
            "metadata": "metadata",
            "steps": "steps",
            "dag": "dag",
            "container": "container",
            "script": "container",
            "containerSet": "containerSet",
            "initContainers": "containers",
            "sidecars": "containers",
            "volumes": "named",
        },
    ),
    "dag": (None, {"tasks": "tasks"}),
    "task": (ko.TASK, {"arguments": "io"}),
    "containerSet": (None, {"containers": "containers", "volumeMounts": "named"}),
    "container": (ko.CONTAINER, {"env": "env", "volumeMounts": "named"}),
    "env": (ko.NAME_VALUE, {}),
    "io": (ko.IO, {"parameters": "named", "artifacts": "named"}),
    "named": (ko.NAMED, {}),
    "claim": (ko.DOCUMENT, {"metadata": "metadata"}),
}
_ITEMS: dict[str, str] = {
    "templates": "template",
    "steps": "tasks",  # steps is a list of parallel groups, each a list of steps
    "tasks": "task",
    "containers": "container",
    "env": "env",
    "named": "named",
    "claims": "claim",
}
_ROOTS = {"CronWorkflow": "cronWorkflow"}


class FormatRefused(Exception):
    """Formatting would lose something the check can see (a comment): the file is left as it is."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class Verbatim(ScalarString):
    """A plain scalar whose type is not string, written back exactly as it was read.

    ruamel.yaml rebuilds such values from Python objects: ``~`` came back empty, ``+1`` as ``1``
    and ``2024-01-01T10:00:00.5Z`` as ``...00.500000Z``; a timestamp is a string to Argo, so the
    last one changed the template a cluster receives.
    """

    yaml_tag: str = ""

    def __new__(cls, value: str, tag: str, anchor: object = None) -> Verbatim:
        """The text ``value`` read under ``tag`` (and its anchor, kept for aliases)."""
        made: Verbatim = ScalarString.__new__(cls, value, anchor=anchor)
        made.yaml_tag = tag
        return made


_VERBATIM_TAGS = tuple(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp", "binary")
)


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that keeps plain non-string scalars as :class:`Verbatim` text."""

    _typed: dict[str, Any] = {}  # ruamel's constructors are untyped

    def construct_verbatim(self, node: ScalarNode) -> object:
        if node.style is not None:  # quoted or block scalar with an explicit tag: ruamel's own way
            return self._typed[str(node.tag)](self, node)
        return Verbatim(node.value, str(node.tag), anchor=node.anchor)


for _tag in _VERBATIM_TAGS:
    _Constructor._typed[_tag] = _Constructor.add_constructor(_tag, _Constructor.construct_verbatim)


class _Representer(RoundTripRepresenter):
    """Writes :class:`Verbatim` scalars with their own tag, so they stay plain and untagged."""

    def represent_verbatim(self, data: Verbatim) -> object:
        return self.represent_scalar(data.yaml_tag, str(data), anchor=data.yaml_anchor(any=True))


_Representer.add_representer(Verbatim, _Representer.represent_verbatim)


def new_yaml() -> YAML:
    """A round-trip YAML instance configured for the canonical form."""
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.Representer = _Representer
    yaml.preserve_quotes = True
    yaml.indent(mapping=MAPPING_INDENT, sequence=SEQUENCE_INDENT, offset=SEQUENCE_DASH_OFFSET)
    yaml.width = _WIDTH
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # keep [{name: x}], not [name: x]
    yaml.Emitter = ArgoEmitter
    return yaml


def format_text(text: str, *, path: str | Path = "<string>") -> str:
    """The canonical form of a YAML stream.

    Raises InputError (with the line) for text that is not YAML or is over a limit,
    CompletionError when the result would not hold the same data, and :class:`FormatRefused`
    when it would lose a comment.
    """
    before = _compose(text, path)
    yaml = new_yaml()
    try:
        result = (
            _format_stream(yaml, text, path)
            if _NEEDS_STREAM.search(text)
            else _format_chunks(yaml, text, path)
        )
    except RecursionError:  # pragma: no cover - the nesting limit keeps ruamel well inside the stack
        raise InputError("nested too deeply to format", path=path) from None
    if result != text:
        _check_same_data(before, result, path)
        _check_same_comments(text, result)
    return result


def needs_formatting(text: str, *, path: str | Path = "<string>") -> bool:
    """Whether :func:`format_text` would change ``text`` (``wfsync fmt --check``)."""
    return format_text(text, path=path) != text


def _format_chunks(yaml: YAML, text: str, path: str | Path) -> str:
    """Format each document between bare ``---`` lines, keeping the separator lines as written."""
    out: list[str] = []
    chunk: list[str] = []
    first_line = 1
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if _SEPARATOR.match(line):
            out.append(_format_document(yaml, chunk, path, first_line))
            out.append(line.rstrip() + "\n")
            chunk, first_line = [], number + 1
        else:
            chunk.append(line)
    out.append(_format_document(yaml, chunk, path, first_line))
    return "".join(out)


def _compose(text: str, path: str | Path) -> list[pyyaml.Node | None]:
    """The input's node trees, read within the limits; text PyYAML cannot read is refused."""
    try:
        return compose_stream(text)
    except YamlSyntaxError as err:
        prefix = "" if err.limit else "not valid YAML: "
        raise InputError(prefix + err.message, path=path, line=err.line) from None


def _check_same_data(before: list[pyyaml.Node | None], after: str, path: str | Path) -> None:
    """Refuse a result whose YAML differs from the input's (a ruamel.yaml corner case); never write it.

    Documents are compared as node trees (the tag and exact text of every scalar, sequences in
    order, mappings as sets of pairs, aliases expanded), not as Python values: ``10:00:00.5Z``
    and ``10:00:00.500000Z`` are the same datetime but not the same string, which is what Argo
    reads.
    """
    try:
        same = _shapes(compose_stream(after)) == _shapes(before)
    except YamlSyntaxError:
        same = False
    if not same:
        raise CompletionError(f"{path}: formatting would change the data of this file; left as it is")


def _shapes(nodes: list[pyyaml.Node | None]) -> list[object]:
    memo: dict[int, object] = {}
    return [None if node is None else _shape(node, memo) for node in nodes]


def _shape(node: pyyaml.Node, memo: dict[int, object]) -> object:
    """A comparable form of a node: (kind, tag, text or children); the limits bound its size."""
    known = memo.get(id(node))
    if known is not None:
        return known
    shape: object
    if isinstance(node, pyyaml.ScalarNode):
        shape = ("scalar", node.tag, node.value)
    elif isinstance(node, pyyaml.SequenceNode):
        shape = ("seq", node.tag, tuple(_shape(item, memo) for item in node.value))
    else:
        pairs = sorted((_shape(k, memo), _shape(v, memo)) for k, v in node.value)
        shape = ("map", node.tag, tuple(pairs))
    memo[id(node)] = shape
    return shape


def _comments(text: str) -> tuple[Counter[str], dict[str, int]]:
    """Every comment of ``text`` (its ``#`` text) and the line each first appears on.

    The scanner's tokens cover everything that is not space or comment, so a ``#`` between two
    tokens starts a comment: one inside a quoted or block scalar is data, not a comment.
    """
    loader = pyyaml.CSafeLoader(text) if hasattr(pyyaml, "CSafeLoader") else pyyaml.SafeLoader(text)
    found: Counter[str] = Counter()
    lines: dict[str, int] = {}
    end = 0
    try:
        while True:
            token = loader.get_token()
            start = token.start_mark.index if token is not None else len(text)
            for match in _COMMENT.finditer(text, end, start):
                comment = match.group(0).rstrip()
                found[comment] += 1
                lines.setdefault(comment, text.count("\n", 0, match.start()) + 1)
            if token is None:
                break
            end = max(end, token.end_mark.index)
    finally:
        loader.dispose()
    return found, lines


_COMMENT = re.compile(r"#[^\n]*")


def _check_same_comments(before: str, after: str) -> None:
    """Refuse a result that loses or changes a comment (ruamel drops those inside ``[...]``)."""
    kept, _ = _comments(after)
    wanted, lines = _comments(before)
    lost = wanted - kept
    if lost:
        comment = min(lost, key=lambda c: lines[c])
        raise FormatRefused(f"formatting would lose the comment {comment!r}; left as it is", lines[comment])


def _format_document(yaml: YAML, lines: list[str], path: str | Path, first_line: int) -> str:
    """One document (the lines between separators); comment-only or empty chunks are kept as written."""
    if not any(line.strip() and not line.lstrip().startswith("#") for line in lines):
        return "".join(line.rstrip() + "\n" for line in lines)
    try:
        data = yaml.load("\n".join(lines) + "\n")
    except YAMLError as err:
        raise _input_error(err, path, first_line) from err
    canonicalize(data)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def _format_stream(yaml: YAML, text: str, path: str | Path) -> str:
    """Fallback for streams with directives or content on ``---`` lines: ruamel's own multi-document I/O."""
    try:
        documents = list(yaml.load_all(text))
    except YAMLError as err:
        raise _input_error(err, path, 1) from err
    for document in documents:
        canonicalize(document)
    yaml.explicit_start = text.lstrip().startswith("---")
    buffer = io.StringIO()
    yaml.dump_all(documents, buffer)
    return buffer.getvalue()


def _input_error(err: YAMLError, path: str | Path, first_line: int) -> InputError:
    """An InputError at the line of the problem (ruamel marks are 0-based and relative to the chunk)."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = first_line + mark.line if mark is not None else None
    reason = err.problem if isinstance(err, MarkedYAMLError) and err.problem else str(err).splitlines()[0]
    reason = reason.split(" with value ")[0]  # a duplicate key's message quotes both whole values
    return InputError(f"not valid YAML: {reason}", path=path, line=line)


def canonicalize(document: object) -> None:
    """Put one loaded document in canonical order, in place; only Argo kinds are reordered."""
    context = None
    if isinstance(document, CommentedMap) and document.get("kind") in ko.ARGO_KINDS:
        context = _ROOTS.get(str(document["kind"]), "workflow")
    _visit(document, 0, context)


def _visit(node: object, column: int, context: str | None) -> None:
    """Hoist comments, reorder ``node`` by its context, then recurse; ``column`` is where it starts."""
    if isinstance(node, CommentedMap):
        order, children = _MAPS.get(context or "", (None, {}))
        if is_block(node):
            hoist_comments(node, column)
        if order is not None:
            _reorder(node, order)
        for key, value in node.items():
            inner = column + (SEQUENCE_DASH_OFFSET if isinstance(value, CommentedSeq) else MAPPING_INDENT)
            _visit(value, inner, children.get(key) if isinstance(key, str) else None)
    elif isinstance(node, CommentedSeq):
        if is_block(node):
            hoist_comments(node, column)
        item_context = _ITEMS.get(context or "")
        for item in node:
            _visit(item, column + len("- "), item_context)


def _reorder(node: CommentedMap, order: ko.KeyOrder) -> None:
    """Head keys first, tail keys last, every other key in its original relative order."""
    keys = list(node)
    head = [key for key in order.head if key in node]
    tail = [key for key in order.tail if key in node]
    placed = set(head) | set(tail)
    wanted = head + [key for key in keys if key not in placed] + tail
    if wanted != keys:
        for key in wanted:
            node.move_to_end(key)
