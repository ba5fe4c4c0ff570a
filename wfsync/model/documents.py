"""Documents of a library: a YAML document with the file and line it came from."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from wfsync.model.kinds import LIBRARY_KINDS, Kind

if TYPE_CHECKING:
    import yaml

__all__ = ["API_GROUP", "API_VERSION", "LIBRARY_KINDS", "Document", "Identity", "Kind", "SourceRef"]

API_GROUP = "argoproj.io"
API_VERSION = "argoproj.io/v1alpha1"


@dataclasses.dataclass(frozen=True, order=True)
class Identity:
    """What names an object in a cluster: kind, namespace ('' when cluster-scoped) and name."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"


@dataclasses.dataclass(frozen=True)
class SourceRef:
    """Where a document starts: file and 1-based line; ``index`` is its position in the file."""

    path: Path
    line: int
    index: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclasses.dataclass(frozen=True)
class Document:
    """One YAML document of a file, as plain data, with where it came from.

    ``node`` is the parser's node tree (opaque here); the library layer uses it to find the line
    of any JSON path, so findings anywhere in the document can name their line.
    """

    body: Mapping[str, object]
    source: SourceRef
    node: yaml.Node | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def kind(self) -> str:
        """The document's ``kind`` ('' when absent or not a string)."""
        kind = self.body.get("kind")
        return kind if isinstance(kind, str) else ""

    @property
    def name(self) -> str:
        """``metadata.name`` ('' when absent)."""
        meta = self.body.get("metadata")
        name = meta.get("name") if isinstance(meta, Mapping) else None
        return name if isinstance(name, str) else ""

    @property
    def namespace(self) -> str:
        """``metadata.namespace`` ('' when absent or cluster-scoped)."""
        if self.kind == Kind.CLUSTER_WORKFLOW_TEMPLATE:
            return ""
        meta = self.body.get("metadata")
        ns = meta.get("namespace") if isinstance(meta, Mapping) else None
        return ns if isinstance(ns, str) else ""

    @property
    def identity(self) -> Identity:
        """The object's identity in a cluster."""
        return Identity(self.kind, self.namespace, self.name)
