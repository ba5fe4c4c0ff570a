"""Ownership: the labels and annotations wfsync stamps on what it writes, and how to read them back.

Labels say who owns an object (``app.kubernetes.io/managed-by: wfsync`` and the library id), so
prune can select exactly this library's objects; annotations say where it came from (source path
and commit) and what it held when written (content hash, and the hash of the form the server
stored it in when its schema defaults or prunes anything), so a later edit made outside git shows
up as drift: the live content no longer hashes to its own annotations.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from wfsync.model import values

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "wfsync"
LIBRARY_LABEL = "wfsync.io/library"
VERSION_LABEL = "wfsync.io/version"
SOURCE_PATH = "wfsync.io/source-path"
SOURCE_COMMIT = "wfsync.io/source-commit"
CONTENT_HASH = "wfsync.io/content-hash"
STORED_HASH = "wfsync.io/stored-hash"
"""The content hash of what the server stored from wfsync's write (its defaults, pruning and number
encoding applied), when that differs from ``content-hash``: what a later read must hash to."""

OWNERSHIP_LABELS = frozenset({MANAGED_BY, LIBRARY_LABEL})
OWNERSHIP_ANNOTATIONS = frozenset({SOURCE_PATH, SOURCE_COMMIT, CONTENT_HASH, STORED_HASH})


class Owner(enum.StrEnum):
    """Who an object in a cluster belongs to, from this library's point of view."""

    THIS_LIBRARY = "this-library"
    OTHER_LIBRARY = "other-library"
    UNMANAGED = "unmanaged"


def selector(library_id: str) -> str:
    """The label selector of this library's objects."""
    return f"{MANAGED_BY}={MANAGER},{LIBRARY_LABEL}={library_id}"


def owner(obj: Mapping[str, object], library_id: str) -> Owner:
    """Whether ``obj`` carries this library's ownership labels, another library's, or none."""
    labels = values.metadata(obj, "labels")
    if labels.get(MANAGED_BY) != MANAGER:
        return Owner.UNMANAGED
    return Owner.THIS_LIBRARY if labels.get(LIBRARY_LABEL) == library_id else Owner.OTHER_LIBRARY


def stamp(
    body: Mapping[str, object], *, library_id: str, source_path: str, source_commit: str, content_hash: str
) -> dict[str, object]:
    """A copy of ``body`` with the ownership labels and source annotations set.

    Only ``metadata`` is copied; the rest is shared with ``body``, so writers that change an object
    copy it first (as apply does), and a 1,000-template library is not deep-copied on every diff.
    """
    out = dict(body)
    meta = dict(values.mapping(out.get("metadata")))
    out["metadata"] = meta
    labels = dict(values.mapping(meta.get("labels")))
    labels[MANAGED_BY] = MANAGER
    labels[LIBRARY_LABEL] = library_id
    meta["labels"] = labels
    annotations = dict(values.mapping(meta.get("annotations")))
    annotations[SOURCE_PATH] = source_path
    annotations[SOURCE_COMMIT] = source_commit
    annotations[CONTENT_HASH] = content_hash
    meta["annotations"] = annotations
    return out


def annotation(obj: Mapping[str, object], key: str) -> str:
    """One annotation of ``obj`` ('' when absent)."""
    value = values.metadata(obj, "annotations").get(key)
    return value if isinstance(value, str) else ""


def label(obj: Mapping[str, object], key: str) -> str:
    """One label of ``obj`` ('' when absent)."""
    value = values.metadata(obj, "labels").get(key)
    return value if isinstance(value, str) else ""
