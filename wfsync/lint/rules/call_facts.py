"""The cacheable digest of one document's calls: inputs, mounts and calls of every template.

:func:`wfsync.lint.rules.calls.summarize_calls` builds it from a document; it is stored in the
lint cache as positional lists (it is read back for every unchanged file, so it stays small) and
:mod:`wfsync.lint.rules.call_checks` follows it across documents.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
    refers: bool = False
    """Some step, task or hook of the document calls through a templateRef."""
    mounts: bool = False
    """Some template of the document mounts a volume (so following its calls can find one)."""

    def to_json(self) -> list[Any]:
        """Compact plain data for the lint cache (positional: it is read back for every file).

        The identity (path, line, kind, namespace, name) is the document summary's, so it is left
        out here and given back to :meth:`from_json`; trailing empty fields are left out too.
        """
        return _trimmed(
            [
                {name: _template_json(t) for name, t in self.templates.items()},
                self.roots,
                self.entrypoint,
                self.submittable,
                self.refers,
                self.mounts,
                [_ref_json(r) for r in self.root_refs],
                self.volumes,
                self.workflow_ref,
                self.patched,
                self.positions,
            ]
        )

    @classmethod
    def from_json(cls, data: Sequence[object], identity: Identity) -> CallFacts:
        """Inverse of :meth:`to_json`, with the identity of the document's summary."""
        path, line, kind, namespace, name = identity
        templates, roots, entry, sub, refers, mounts, root_refs, volumes, ref, patched, pos = _padded(
            data, 11
        )
        return cls(
            path,
            line,
            kind,
            namespace,
            name,
            _Templates(templates) if templates else {},
            tuple(roots) if roots else (),
            tuple(map(_ref_from_json, root_refs)) if root_refs else (),
            tuple(volumes) if volumes else (),
            entry or "",
            (ref[0], ref[1]) if ref else None,
            bool(sub),
            bool(patched),
            {k: (v[0], v[1]) for k, v in pos.items()} if pos else {},
            bool(refers),
            bool(mounts),
        )


class _Templates(Mapping[str, TemplateFacts]):
    """Template facts read from the cache, each decoded when first looked up.

    Most cached documents are never followed into (nothing calls them through a templateRef,
    they call nothing and mount nothing), so their templates are never decoded.
    """

    __slots__ = ("_decoded", "_raw")

    def __init__(self, raw: Mapping[str, Sequence[Any]]) -> None:
        self._raw = raw
        self._decoded: dict[str, TemplateFacts] = {}

    def __getitem__(self, name: str) -> TemplateFacts:
        facts = self._decoded.get(name)
        if facts is None:
            facts = self._decoded[name] = _template_from_json(self._raw[name])
        return facts

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def _trimmed(items: list[object]) -> list[Any]:
    """``items`` without its trailing empty values (``[]``, ``{}``, ``""``, ``False``, ``None``)."""
    while items and not items[-1]:
        items.pop()
    return items


def _padded(data: Sequence[object], size: int) -> list[Any]:
    """A trimmed list padded back to ``size`` with ``None`` (read as each field's empty value)."""
    return [*data, *([None] * (size - len(data)))]


def _ref_json(ref: RefCall) -> list[Any]:
    return [ref.json_path, ref.what, ref.name, ref.template, ref.cluster_scope, ref.parameters, ref.artifacts]


def _ref_from_json(data: Sequence[Any]) -> RefCall:
    path, what, name, template, scope, parameters, artifacts = data
    return RefCall(path, what, name, template, scope, _pairs(parameters), _pairs(artifacts))


def _template_json(t: TemplateFacts) -> list[Any]:
    return _trimmed(
        [
            t.parameters,
            t.artifacts,
            t.mounts,
            t.volumes,
            t.local,
            [_ref_json(r) for r in t.refs],
            t.patched,
        ]
    )


def _template_from_json(data: Sequence[object]) -> TemplateFacts:
    parameters, artifacts, mounts, volumes, local, refs, patched = _padded(data, 7)
    return TemplateFacts(
        tuple(parameters or ()),
        tuple(artifacts or ()),
        _pairs(mounts or ()),
        tuple(volumes or ()),
        tuple(local or ()),
        tuple(_ref_from_json(r) for r in refs or ()),
        bool(patched),
    )


def _pairs(items: Iterable[Sequence[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((a, b) for a, b in items)
