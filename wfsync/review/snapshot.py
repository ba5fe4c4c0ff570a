"""A library at one point in time: its templates (normal forms) and every document that may call them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from wfsync.errors import InputError
from wfsync.library.bulk import parallel_map
from wfsync.library.discover import find_yaml_files, read_file
from wfsync.library.yamlload import node_line
from wfsync.lint.index import DocumentSummary, summarize
from wfsync.model import values
from wfsync.model.documents import LIBRARY_KINDS, Document, Identity
from wfsync.model.findings import JsonPath
from wfsync.sync.normalize import normalize

if TYPE_CHECKING:
    import yaml

VERSION_LABEL = "wfsync.io/version"


@dataclasses.dataclass(frozen=True)
class Template:
    """One WorkflowTemplate or ClusterWorkflowTemplate (a *family* of member templates)."""

    identity: Identity
    body: dict[str, object]
    """Normal form (:func:`wfsync.sync.normalize.normalize`): equal by meaning means equal."""
    path: str
    line: int

    @property
    def version(self) -> str:
        """The ``wfsync.io/version`` label ('' when absent)."""
        return str(values.metadata(self.body, "labels").get(VERSION_LABEL, ""))

    @property
    def spec(self) -> dict[str, object]:
        """The normal form's ``spec`` ({} when absent)."""
        spec = self.body.get("spec")
        return spec if isinstance(spec, dict) else {}

    def members(self) -> dict[str, dict[str, object]]:
        """Member templates by name."""
        out: dict[str, dict[str, object]] = {}
        templates = self.spec.get("templates")
        for item in templates if isinstance(templates, list) else ():
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                out[item["name"]] = item
        return out

    @property
    def where(self) -> str:
        """``path:line`` for messages."""
        return f"{self.path}:{self.line}"


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """The templates of a library, and the summaries (outgoing references) of all its documents."""

    templates: dict[Identity, Template]
    summaries: tuple[DocumentSummary, ...]
    label: str
    """What this is: a commit id, or ``working tree``."""


def load_documents(folders: Iterable[Path], root: Path) -> list[Document]:
    """Every document of the YAML files under ``folders``; an unreadable file is an input error."""
    files, problems = find_yaml_files(list(folders), root=root)
    if problems:
        p = problems[0]
        raise InputError(p.message, path=_shown(p.path, root), line=p.line)
    out: list[Document] = []
    for path in files:
        read = read_file(path)
        if read.problem is not None:
            raise InputError(read.problem.message, path=_shown(path, root), line=read.problem.line)
        out.extend(read.documents)
    return out


def load_snapshot(folder: Path, root: Path, label: str, *, references: bool = True) -> Snapshot:
    """The library under ``folder``; paths are shown relative to ``root``.

    ``references=False`` skips the reference digests (the base side needs none: callers are
    looked up in the head).

    Parsing and normalising depend only on each file, so a large library is read on all cores.
    """
    files, problems = find_yaml_files([folder], root=root)
    if problems:
        p = problems[0]
        raise InputError(p.message, path=_shown(p.path, root), line=p.line)
    work = [(path, root, references) for path in files]
    parsed = parallel_map(_parse_one, work, chunks_per_job=4)
    templates: dict[Identity, Template] = {}
    found: list[DocumentSummary] = []
    for problem, items, digests in parsed:
        if problem is not None:
            raise InputError(problem[0], path=problem[1], line=problem[2])
        found.extend(digests)
        for item in items:
            if item.identity in templates:
                raise InputError(
                    f"{item.identity} is defined twice (first at {templates[item.identity].where})",
                    path=item.path,
                    line=item.line,
                )
            templates[item.identity] = item
    return Snapshot(templates, tuple(found), label)


def _parse_one(
    item: tuple[Path, Path, bool],
) -> tuple[tuple[str, str, int] | None, list[Template], list[DocumentSummary]]:
    """One file's templates and reference digests (or its problem: message, path, line)."""
    path, root, references = item
    read = read_file(path)
    where = _shown(path, root)
    if read.problem is not None:
        return (read.problem.message, where, read.problem.line), [], []
    out = [
        Template(doc.identity, normalize(doc.body), where, doc.source.line)
        for doc in read.documents
        if doc.kind in LIBRARY_KINDS and doc.name
    ]
    return None, out, list(summaries(read.documents, root)) if references else []


def summaries(docs: Iterable[Document], root: Path) -> Iterable[DocumentSummary]:
    """The reference digest of each document (lint's index: every templateRef with the arguments passed)."""
    for doc in docs:
        node = doc.node

        def line_of(json_path: JsonPath, node: yaml.Node | None = node) -> int:
            return node_line(node, json_path) or 0

        yield summarize(
            doc.body,
            doc.kind,
            _shown(doc.source.path, root),
            doc.source.line,
            line_of,
            doc.namespace,
            doc.name,
        )


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
