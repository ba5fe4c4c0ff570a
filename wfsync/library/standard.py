"""The standard library: the template families wfsync ships, and copies of them in a project.

A wheel carries the repository's ``library/`` as ``wfsync/library/standard`` (force-included at
build time); a source checkout reads ``library/`` itself. A project *vendors* a family by copying
its file into its own library folder, where it is linted, versioned and pushed like any other
template; ``wfsync library update`` later brings it up to the packaged version. Families are
named by ``metadata.name`` and versioned by the ``wfsync.io/version`` label.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path

from wfsync.library.discover import find_yaml_files, read_file
from wfsync.model.kinds import Kind

VERSION_LABEL = "wfsync.io/version"

_PACKAGED = Path(__file__).resolve().parent / "standard"
"""Where a wheel carries the standard library (``library/`` force-included at build time)."""
_SOURCE = Path(__file__).resolve().parents[2] / "library"
"""The repository's own library, in a source checkout (editable installs)."""
TEMPLATE_KINDS = (Kind.CLUSTER_WORKFLOW_TEMPLATE, Kind.WORKFLOW_TEMPLATE)


def standard_dir() -> Path:
    """The folder holding the packaged standard library."""
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE


@dataclasses.dataclass(frozen=True)
class Family:
    """One template document: its name, kind, version label, file and body."""

    name: str
    kind: str
    version: str
    path: Path
    body: Mapping[str, object]


def families(folder: Path) -> dict[str, Family]:
    """The (Cluster)WorkflowTemplates under ``folder`` by name (files that do not parse are skipped)."""
    if not folder.is_dir():
        return {}
    files, _ = find_yaml_files([folder], root=folder)
    found: dict[str, Family] = {}
    for file in files:
        for doc in read_file(file).documents:
            body = doc.body
            meta = body.get("metadata")
            meta = meta if isinstance(meta, dict) else {}
            name = meta.get("name")
            if body.get("kind") not in TEMPLATE_KINDS or not isinstance(name, str) or name in found:
                continue
            labels = meta.get("labels")
            version = str(labels.get(VERSION_LABEL, "")) if isinstance(labels, dict) else ""
            found[name] = Family(name, str(body["kind"]), version, file, body)
    return found


def standard() -> dict[str, Family]:
    """The packaged standard library by family name."""
    return families(standard_dir())


def template_refs(value: object) -> set[str]:
    """Names of the (cluster) templates that ``templateRef``s and ``workflowTemplateRef``s in ``value`` call."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            for key in ("templateRef", "workflowTemplateRef"):
                ref = item.get(key)
                if isinstance(ref, Mapping) and isinstance(ref.get("name"), str):
                    found.add(ref["name"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def closure(names: Iterable[str], available: Mapping[str, Family]) -> set[str]:
    """``names`` plus every family of ``available`` they call, directly or through each other."""
    wanted = set(names)
    todo = list(wanted)
    while todo:
        family = available.get(todo.pop())
        if family is None:
            continue
        for name in template_refs(family.body) - wanted:
            wanted.add(name)
            todo.append(name)
    return wanted


@dataclasses.dataclass(frozen=True)
class Needs:
    """Which standard families some documents call, and which of them a project lacks."""

    needed: tuple[str, ...]
    """Standard families called (directly or through other standard families), sorted."""
    present: tuple[str, ...]
    """Of those, the ones the project (or the files given) has."""
    missing: tuple[str, ...]
    """Of those, the ones it lacks: a run falls back to the packaged copy."""


def needs(documents: Iterable[object], have: Iterable[str]) -> Needs:
    """What ``documents`` need from the standard library, given the family names a project has."""
    shipped = standard()
    called: set[str] = set()
    for document in documents:
        called |= template_refs(document)
    wanted = sorted(n for n in closure(called, shipped) if n in shipped)
    owned = set(have)
    return Needs(
        tuple(wanted),
        tuple(n for n in wanted if n in owned),
        tuple(n for n in wanted if n not in owned),
    )


def fallback_templates(
    documents: Iterable[object], have: Iterable[str]
) -> tuple[Needs, list[dict[str, object]]]:
    """The packaged families ``documents`` need and the project lacks, as bodies a run can use."""
    result = needs(documents, have)
    shipped = standard()
    return result, [dict(shipped[name].body) for name in result.missing]
