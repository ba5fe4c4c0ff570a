"""The cacheable digest of one document's calls: inputs, mounts and calls of every template.

:func:`wfsync.lint.rules.calls.summarize_calls` builds it from a document; it is stored in the
lint cache as positional lists (it is read back for every unchanged file, so it stays small) and
:mod:`wfsync.lint.rules.call_checks` follows it across documents.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Position = tuple[int, int]
Identity = tuple[str, int, str, str, str]
"""A document's path, line, kind, namespace and name (its summary's)."""


@dataclasses.dataclass(frozen=True)
class RefCall:
    """A step, task or hook calling ``name.template`` through a templateRef, with its arguments."""

    json_path: str
    what: str
    name: str
    template: str
    cluster_scope: bool
    parameters: tuple[tuple[str, str], ...] = ()
    """Argument parameter names with the JSON path of each ``name``."""
    artifacts: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True)
class TemplateFacts:
    """One template: its inputs, the volumes it mounts and declares, and what it calls."""

    parameters: tuple[str, ...] = ()
    artifacts: tuple[str, ...] = ()
    mounts: tuple[tuple[str, str], ...] = ()
    """Mounted volume names with the JSON path of the mount's ``name``."""
    volumes: tuple[str, ...] = ()
    """Template-level ``volumes`` (they serve this template's own pods)."""
    local: tuple[str, ...] = ()
    """Local templates called (by steps, tasks, hooks and their exit handlers)."""
    refs: tuple[RefCall, ...] = ()
    patched: bool = False
    """A ``podSpecPatch`` can add volumes, so this template's mounts are not judged."""


EMPTY = TemplateFacts()
"""A template with no inputs, mounts or calls: left out of the digest (a missing one is the same)."""


@dataclasses.dataclass(frozen=True)
class CallFacts:
    """One document's templates and, for submittable documents, its roots and declared volumes."""

    path: str
    line: int
    kind: str
    namespace: str
    name: str
    templates: Mapping[str, TemplateFacts]
    roots: tuple[str, ...] = ()
    """Local templates the workflow starts (entrypoint, onExit, hooks)."""
    root_refs: tuple[RefCall, ...] = ()
    """templateRefs the workflow's own hooks call."""
    volumes: tuple[str, ...] = ()
    entrypoint: str = ""
    workflow_ref: tuple[str, bool] | None = None
    submittable: bool = False
    patched: bool = False
    positions: Mapping[str, Position] = dataclasses.field(default_factory=dict)

    def to_json(self) -> list[Any]:
        """Compact plain data for the lint cache (positional: it is read back for every file).

        The identity (path, line, kind, namespace, name) is the document summary's, so it is left
        out here and given back to :meth:`from_json`.
        """
        return [
            {name: _template_json(t) for name, t in self.templates.items()},
            self.roots,
            [_ref_json(r) for r in self.root_refs],
            self.volumes,
            self.entrypoint,
            self.workflow_ref,
            self.submittable,
            self.patched,
            self.positions,
        ]

    @classmethod
    def from_json(cls, data: Sequence[Any], identity: Identity) -> CallFacts:
        """Inverse of :meth:`to_json`, with the identity of the document's summary."""
        path, line, kind, namespace, name = identity
        (
            templates,
            roots,
            root_refs,
            volumes,
            entry,
            ref,
            sub,
            patched,
            pos,
        ) = data
        return cls(
            path,
            line,
            kind,
            namespace,
            name,
            {t: _template_from_json(v) for t, v in templates.items()},
            tuple(roots),
            tuple(_ref_from_json(r) for r in root_refs),
            tuple(volumes),
            entry,
            (ref[0], ref[1]) if ref else None,
            sub,
            patched,
            {k: (v[0], v[1]) for k, v in pos.items()},
        )


def _ref_json(ref: RefCall) -> list[Any]:
    return [ref.json_path, ref.what, ref.name, ref.template, ref.cluster_scope, ref.parameters, ref.artifacts]


def _ref_from_json(data: Sequence[Any]) -> RefCall:
    path, what, name, template, scope, parameters, artifacts = data
    return RefCall(path, what, name, template, scope, _pairs(parameters), _pairs(artifacts))


def _template_json(t: TemplateFacts) -> list[Any]:
    return [
        t.parameters,
        t.artifacts,
        t.mounts,
        t.volumes,
        t.local,
        [_ref_json(r) for r in t.refs],
        t.patched,
    ]


def _template_from_json(data: Sequence[Any]) -> TemplateFacts:
    parameters, artifacts, mounts, volumes, local, refs, patched = data
    return TemplateFacts(
        tuple(parameters),
        tuple(artifacts),
        _pairs(mounts),
        tuple(volumes),
        tuple(local),
        tuple(_ref_from_json(r) for r in refs),
        patched,
    )


def _pairs(items: Iterable[Sequence[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((a, b) for a, b in items)
