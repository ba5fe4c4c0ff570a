"""The canonical form of an Argo YAML file: ruamel.yaml round-trip, Argo key order, comments kept.

Pure text in, text out: the CLI decides which files to read and whether to write or only check.
Documents are split at their ``---`` lines and formatted one by one, so separators, a leading ``---``
and a comment header before it come out exactly as written. Only Argo kinds are reordered (the tables
are in :mod:`wfsync.fmt.key_order`); every document gets canonical indentation: two spaces per
mapping level and sequences indented under their key (``- name: main`` two columns in from ``templates:``).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from wfsync.errors import CompletionError, InputError
from wfsync.fmt import key_order as ko
from wfsync.fmt.comments import hoist_comments, is_block
from wfsync.fmt.emitter import ArgoEmitter

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


def new_yaml() -> YAML:
    """A round-trip YAML instance configured for the canonical form."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=MAPPING_INDENT, sequence=SEQUENCE_INDENT, offset=SEQUENCE_DASH_OFFSET)
    yaml.width = _WIDTH
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # keep [{name: x}], not [name: x]
    yaml.Emitter = ArgoEmitter
    return yaml


def format_text(text: str, *, path: str | Path = "<string>") -> str:
    """The canonical form of a YAML stream; raises InputError (with the line) for text that is not YAML."""
    yaml = new_yaml()
    result = (
        _format_stream(yaml, text, path) if _NEEDS_STREAM.search(text) else _format_chunks(yaml, text, path)
    )
    _check_same_data(text, result, path)
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


_Loader: Any = getattr(pyyaml, "CSafeLoader", pyyaml.SafeLoader)


def _check_same_data(before: str, after: str, path: str | Path) -> None:
    """Refuse a result whose data differs from the input (a ruamel.yaml corner case); never write it."""
    try:
        expected = list(pyyaml.load_all(before, Loader=_Loader))
    except pyyaml.YAMLError:
        return  # YAML that only ruamel accepts: nothing to compare with
    try:
        same = list(pyyaml.load_all(after, Loader=_Loader)) == expected
    except pyyaml.YAMLError:
        same = False
    if not same:
        raise CompletionError(f"{path}: formatting would change the data of this file; left as it is")


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


def canonicalize(document: Any) -> None:
    """Put one loaded document in canonical order, in place; only Argo kinds are reordered."""
    context = None
    if isinstance(document, CommentedMap) and document.get("kind") in ko.ARGO_KINDS:
        context = _ROOTS.get(str(document["kind"]), "workflow")
    _visit(document, 0, context)


def _visit(node: Any, column: int, context: str | None) -> None:
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
