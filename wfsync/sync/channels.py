"""Major-version channels: a template also published as ``<name>-v<major>`` so callers can pin a major.

A template opts in with the annotation ``wfsync.io/publish-major: "true"``. Push then writes, next
to ``<name>`` (always the newest), a copy called ``<name>-v<major>`` from its ``wfsync.io/version``
label. When the major is bumped, the copy of the older major is no longer in the library; it stays
in the cluster while anything still refers to it (see :mod:`wfsync.sync.plan`) and is pruned, with
prune enabled, once nothing does. A copy refers to itself by its own name, so a pinned major never
reaches into the newest one through a self-``templateRef``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

from wfsync.errors import InputError
from wfsync.model import values
from wfsync.model.channels import CHANNEL_OF, PUBLISH_MAJOR, channel_name, opted_in
from wfsync.model.documents import Identity, Kind
from wfsync.model.walk import callers, workflow_spec
from wfsync.sync.desired import DesiredObject, stamped
from wfsync.sync.normalize import content_hash
from wfsync.sync.ownership import (
    CONTENT_HASH,
    OWNERSHIP_ANNOTATIONS,
    OWNERSHIP_LABELS,
    SOURCE_COMMIT,
    VERSION_LABEL,
)

_MAX_NAME = 253
"""Names of WorkflowTemplates and ClusterWorkflowTemplates are DNS subdomains."""


def with_channels(objects: Iterable[DesiredObject], *, library_id: str) -> list[DesiredObject]:
    """``objects`` followed by the channel copy of every template that opted in.

    A template that opts in without a semantic ``wfsync.io/version`` label is an input error
    naming it: there is no major to publish.
    """
    out = list(objects)
    out.extend([channel_copy(item, library_id=library_id) for item in out if opted_in(item.body)])
    return out


def channel_copy(item: DesiredObject, *, library_id: str) -> DesiredObject:
    """The copy of ``item`` published as ``<name>-v<major>``, stamped and hashed as its own object."""
    version = str(values.metadata(item.body, "labels").get(VERSION_LABEL, ""))
    name = channel_name(item.identity.name, version)
    if name is None:
        raise InputError(
            f"{item.identity} has {PUBLISH_MAJOR}: true but no semantic {VERSION_LABEL} label"
            f" (got {version!r}): its major version names the channel",
            path=item.source_path,
            line=item.line,
        )
    if len(name) > _MAX_NAME:
        raise InputError(
            f"{item.identity}: channel name {name!r} is longer than {_MAX_NAME}", path=item.source_path
        )
    body, meta, labels, annotations = _unstamped(item.body)
    meta["name"] = name
    labels[CHANNEL_OF] = item.identity.name
    annotations.pop(PUBLISH_MAJOR, None)
    if not annotations:
        meta.pop("annotations", None)
    _point_self_refs(body, item.identity, name)
    identity = Identity(item.identity.kind, item.identity.namespace, name)
    source_commit = str(values.metadata(item.body, "annotations").get(SOURCE_COMMIT, ""))
    return stamped(
        identity,
        body,
        content_hash(body),
        line=item.line,
        library_id=library_id,
        source_path=item.source_path,
        source_commit=source_commit,
    )


_Dicts = tuple[dict[str, object], dict[str, object], dict[str, object], dict[str, object]]


def _unstamped(body: Mapping[str, object]) -> _Dicts:
    """A deep copy of ``body`` without the ownership stamp (the copy gets its own).

    Returned with its metadata, labels and annotations, the dicts the channel copy edits.
    """
    out = copy.deepcopy(dict(body))
    meta = dict(values.mapping(out.get("metadata")))
    out["metadata"] = meta
    old = values.mapping(meta.get("annotations"))
    annotations = {k: v for k, v in old.items() if k not in OWNERSHIP_ANNOTATIONS}
    annotations.pop(CONTENT_HASH, None)
    meta["annotations"] = annotations
    labels = {k: v for k, v in values.mapping(meta.get("labels")).items() if k not in OWNERSHIP_LABELS}
    meta["labels"] = labels
    return out, meta, labels, annotations


def _point_self_refs(body: dict[str, object], original: Identity, name: str) -> None:
    """Rewrite ``templateRef``s to the original template so that they name the copy."""
    spec, _ = workflow_spec(body)
    if spec is None:
        return
    cluster = original.kind == Kind.CLUSTER_WORKFLOW_TEMPLATE
    for call in callers(spec):
        ref = call.node.get("templateRef")
        if (
            isinstance(ref, dict)
            and ref.get("name") == original.name
            and bool(ref.get("clusterScope")) == cluster
        ):
            ref["name"] = name
