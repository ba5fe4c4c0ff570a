"""Desired state: the library's documents as the objects a push would write, stamped and hashed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from wfsync.errors import InputError
from wfsync.model.documents import LIBRARY_KINDS, Document, Identity, Kind
from wfsync.sync.normalize import content_hash
from wfsync.sync.ownership import stamp


@dataclasses.dataclass(frozen=True)
class DesiredObject:
    """One object wfsync wants in the target: its body as sent, where it came from, its content hash."""

    identity: Identity
    body: dict[str, object]
    source_path: str
    line: int
    content_hash: str
    refs: frozenset[Identity] | None = None
    """The templates it refers to, when already known (else computed from ``body`` when needed)."""

    @property
    def where(self) -> str:
        """``path:line`` of the document, for messages."""
        return f"{self.source_path}:{self.line}"


def desired_objects(
    documents: Iterable[Document],
    *,
    library_id: str,
    namespace: str,
    source_commit: str,
    relative_path: Callable[[Path], str] = str,
) -> list[DesiredObject]:
    """Library documents (WorkflowTemplates and ClusterWorkflowTemplates) as objects to push.

    A WorkflowTemplate without a namespace goes to the target's ``namespace``. Other kinds are
    not pushed. ``relative_path(path)`` gives the source path recorded in the annotation. Two
    documents with the same identity are an input error naming both.
    """
    made = (
        desired_object(
            doc,
            library_id=library_id,
            namespace=namespace,
            source_commit=source_commit,
            relative_path=relative_path,
        )
        for doc in documents
    )
    return merge([d for d in made if d is not None])


def desired_object(
    doc: Document,
    *,
    library_id: str,
    namespace: str,
    source_commit: str,
    relative_path: Callable[[Path], str] = str,
) -> DesiredObject | None:
    """One document as the object to push (None for kinds a library does not push)."""
    prepared = prepare(doc, namespace)
    if prepared is None:
        return None
    identity, body, digest = prepared
    return stamped(
        identity,
        body,
        digest,
        line=doc.source.line,
        library_id=library_id,
        source_path=str(relative_path(doc.source.path)),
        source_commit=source_commit,
    )


def prepare(doc: Document, namespace: str) -> tuple[Identity, dict[str, object], str] | None:
    """A document's identity, body (namespace defaulted, no status) and content hash, before stamping.

    This is the costly part and depends only on the document and the target's default
    namespace (so it can run in worker processes and be cached by file content).
    """
    if doc.kind not in LIBRARY_KINDS:
        return None
    body = {k: v for k, v in doc.body.items() if k != "status"}
    raw_meta = body.get("metadata")
    meta = dict(raw_meta) if isinstance(raw_meta, Mapping) else {}
    if not doc.name:
        raise InputError(f"{doc.kind} has no metadata.name", path=doc.source.path, line=doc.source.line)
    odd = [k for k in body if not isinstance(k, str)]
    if odd:
        # YAML allows ``1: x`` or ``null: y``; an API object's fields are names (JSON would send "1", "null")
        raise InputError(
            f"{doc.kind} {doc.name!r} has a top-level key that is not a field name: {odd[0]!r}"
            " (quote it, or remove it; 'wfsync lint' reports it too)",
            path=doc.source.path,
            line=doc.source.line,
        )
    if doc.kind == Kind.WORKFLOW_TEMPLATE:
        meta["namespace"] = doc.namespace or namespace
    else:
        meta.pop("namespace", None)
    body["metadata"] = meta
    identity = Identity(doc.kind, meta.get("namespace", ""), doc.name)
    return identity, body, content_hash(body)


def stamped(
    identity: Identity,
    body: dict[str, object],
    digest: str,
    *,
    line: int,
    library_id: str,
    source_path: str,
    source_commit: str,
    refs: frozenset[Identity] | None = None,
) -> DesiredObject:
    """The object to push: ``body`` with the ownership labels and source annotations."""
    out = stamp(
        body, library_id=library_id, source_path=source_path, source_commit=source_commit, content_hash=digest
    )
    return DesiredObject(identity, out, source_path, line, digest, refs)


def merge(objects: Iterable[DesiredObject]) -> list[DesiredObject]:
    """All objects in apply order; the same identity twice is an input error naming both places."""
    out: dict[Identity, DesiredObject] = {}
    for item in objects:
        if item.identity in out:
            first = out[item.identity]
            raise InputError(
                f"{item.identity} is defined twice (first at {first.where})",
                path=item.source_path,
                line=item.line,
            )
        out[item.identity] = item
    return sorted(out.values(), key=lambda d: apply_order(d.identity))


def apply_order(identity: Identity) -> tuple[int, str, str]:
    """ClusterWorkflowTemplates first (WorkflowTemplates refer to them), then by namespace and name."""
    return (0 if identity.kind == Kind.CLUSTER_WORKFLOW_TEMPLATE else 1, identity.namespace, identity.name)
