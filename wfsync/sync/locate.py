"""Where in the library a server's refusal points: the file and line of the field it names.

An API server names fields by path (``strict decoding error: unknown field
"spec.templates[0].contaner"``, ``spec.arguments.parameters[0].value: Invalid value: ...``);
the library document is read again to find the line of that path, so a push that the server
refuses says ``library/build.yaml:14`` rather than only the object's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from wfsync.cluster.api import ClusterError
from wfsync.library.discover import read_file
from wfsync.library.yamlload import node_line
from wfsync.sync.plan import Change

_UNKNOWN = re.compile(r'unknown field "([^"]+)"')
_INVALID = re.compile(r"is invalid: \[?([A-Za-z0-9_.\[\]-]+): ")
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def field_path(text: str) -> tuple[str | int, ...] | None:
    """``spec.templates[0].name`` as ``("spec", "templates", 0, "name")`` (None: no field named)."""
    found = _UNKNOWN.search(text) or _INVALID.search(text)
    if found is None:
        return None
    return tuple(int(index) if index else name for name, index in _PART.findall(found.group(1)))


def field_line(root: Path, change: Change, text: str) -> int:
    """The line of the field ``text`` names, in the change's library document (else the document's line)."""
    desired = change.desired
    if desired is None:
        return 0
    path = field_path(text)
    if path is None:
        return desired.line
    read = read_file(root / desired.source_path)
    for doc in read.documents:
        if doc.source.line == desired.line:
            return node_line(doc.node, path) or desired.line
    return desired.line


def locator(root: Path) -> Callable[[Change, ClusterError], ClusterError]:
    """A ``locate`` for :func:`wfsync.sync.apply.apply_plan`: the same error, prefixed with ``file:line``."""

    def locate(change: Change, err: ClusterError) -> ClusterError:
        if change.desired is None:
            return err
        line = field_line(root, change, str(err))
        located = type(err)(f"{change.desired.source_path}:{line}: {err}")
        located.retried = err.retried
        return located

    return locate
