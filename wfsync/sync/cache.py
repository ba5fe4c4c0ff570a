"""What ``diff`` and ``push`` remember between runs, under ``.wfsync/cache``: only pure functions' results.

* Desired side: per library file, by its bytes' hash, the documents as objects to push before
  stamping (kind, namespace, name, line, content hash, body). An unchanged file is neither
  parsed nor normalised again. Only bodies that survive a JSON round trip unchanged are kept,
  so a cached body is exactly the parsed one. Each file's documents are kept as JSON text, so
  saving after a few edits re-encodes only the edited files.
* Live side: per target, the content hash of each live object by ``(uid, resourceVersion)``.
  The API server gives an object a new resourceVersion on every write, so an object with the
  same pair has the same content and the same hash; an object edited outside git gets a new
  pair and is hashed afresh, so drift is never hidden.

Both are keyed by the code that computes them (a new wfsync, or edited normalisation, starts
afresh). A missing, unreadable or corrupt cache only costs speed; writes are atomic renames.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from wfsync import __version__
from wfsync.model import values
from wfsync.model.documents import Identity

CACHE_FORMAT = 2
FILE_NAME = f"sync-v{CACHE_FORMAT}.json"


@dataclasses.dataclass(frozen=True)
class CachedDocument:
    """One library document as an object to push, before the ownership stamp."""

    kind: str
    namespace: str
    name: str
    line: int
    content_hash: str
    body: dict[str, object]
    refs: frozenset[Identity]
    """The templates it refers to (see :mod:`wfsync.sync.references`)."""

    def to_json(self) -> list[object]:
        """Compact JSON form."""
        refs = sorted([r.kind, r.namespace, r.name] for r in self.refs)
        return [self.kind, self.namespace, self.name, self.line, self.content_hash, self.body, refs]

    @classmethod
    def from_json(cls, data: list[object]) -> CachedDocument:
        """Inverse of :meth:`to_json`."""
        kind, namespace, name, line, digest, body, refs = data
        if not isinstance(body, dict):
            raise TypeError("cached body is not an object")
        if not isinstance(line, int) or not isinstance(refs, list):
            raise TypeError("cached line or references of the wrong type")
        return cls(
            str(kind),
            str(namespace),
            str(name),
            int(line),
            str(digest),
            body,
            frozenset(Identity(str(k), str(n), str(m)) for k, n, m in refs),
        )


def file_digest(data: bytes, namespace: str) -> str:
    """What a file's cached objects depend on: its bytes and the target's default namespace."""
    return hashlib.blake2b(data, digest_size=16).hexdigest() + "|" + namespace


def json_exact(body: Mapping[str, object]) -> bool:
    """Whether ``body`` comes back from JSON exactly (no int keys, bytes, sets, NaN, ...)."""
    try:
        return bool(json.loads(json.dumps(body, allow_nan=False)) == body)
    except (TypeError, ValueError):
        return False


class SyncCache:
    """The desired documents by file and the live hashes by target, in one JSON file."""

    def __init__(self, file: Path | None, data: dict[str, object]) -> None:
        self.file = file
        files, live = data.get("files"), data.get("live")
        # a file with our key but another shape (hand-edited, truncated by a full disk): ignore it
        self.old_files: dict[str, object] = files if isinstance(files, dict) else {}
        self.old_live: dict[str, dict[str, list[str]]] = (
            {t: e for t, e in live.items() if isinstance(e, dict)} if isinstance(live, dict) else {}
        )
        self.files: dict[str, object] = {}
        self.live: dict[str, dict[str, list[str]]] = {}
        self.dirty = False

    @classmethod
    def open(cls, folder: Path | None) -> SyncCache:
        """The cache in ``folder`` (None: a cache that remembers nothing)."""
        if folder is None:
            return cls(None, {})
        file = folder / FILE_NAME
        try:
            data = json.loads(file.read_bytes())
            if not isinstance(data, dict) or data.get("key") != code_key():
                data = {}
        except (OSError, ValueError):
            data = {}
        return cls(file, data)

    @property
    def enabled(self) -> bool:
        """Whether anything is remembered (no cache folder: nothing is)."""
        return self.file is not None

    # -- desired -----------------------------------------------------------------------------

    def documents(self, key: str, digest: str) -> list[CachedDocument] | None:
        """The cached documents of file ``key`` if its digest is unchanged."""
        entry = self.old_files.get(key)
        if not isinstance(entry, dict) or entry.get("h") != digest:
            return None
        text = entry.get("d")
        if not isinstance(text, str):
            return None
        try:
            docs = [CachedDocument.from_json(d) for d in json.loads(text)]
        except (TypeError, ValueError):
            return None
        self.files[key] = entry
        return docs

    def put_documents(self, key: str, digest: str, docs: list[CachedDocument]) -> None:
        """Remember the documents of file ``key`` (only what is asked for is kept on save)."""
        if self.file is None:
            return
        text = json.dumps([d.to_json() for d in docs], separators=(",", ":"))
        self.files[key] = {"h": digest, "d": text}
        self.dirty = True

    # -- live ----------------------------------------------------------------------------------

    def live_hash(self, target: str, obj: Mapping[str, object]) -> str | None:
        """The remembered content hash of a live object (None when unknown)."""
        key = live_key(obj)
        if key is None:
            return None
        entry = self.old_live.get(target, {}).get(key[0])
        if not isinstance(entry, list) or len(entry) != 2 or entry[0] != key[1]:
            return None
        self.live.setdefault(target, {})[key[0]] = entry
        return str(entry[1])

    def put_live_hash(self, target: str, obj: Mapping[str, object], digest: str) -> None:
        """Remember the content hash of a live object."""
        key = live_key(obj)
        if self.file is None or key is None:
            return
        self.live.setdefault(target, {})[key[0]] = [key[1], digest]
        self.dirty = True

    def save(self) -> None:
        """Write what this run used or computed (stale entries are dropped); errors only cost speed."""
        if self.file is None:
            return
        dropped = set(self.old_files) - set(self.files) or any(
            set(self.old_live.get(t, {})) - set(self.live.get(t, {})) for t in self.live
        )
        if not self.dirty and not dropped:
            return
        live = {**self.old_live, **self.live}
        data = {"key": code_key(), "files": self.files, "live": live}
        tmp = self.file.with_name(f".{self.file.name}.{os.getpid()}.tmp")
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
            tmp.replace(self.file)
        except OSError:
            tmp.unlink(missing_ok=True)


def live_key(obj: Mapping[str, object]) -> tuple[str, str] | None:
    """A live object's uid and resourceVersion: one version of one object (None without them)."""
    meta = values.mapping(obj.get("metadata"))
    uid, rv = meta.get("uid"), meta.get("resourceVersion")
    if not isinstance(uid, str) or not uid or not isinstance(rv, str | int) or rv == "":
        return None
    return uid, str(rv)


@functools.cache
def code_key() -> str:
    """Changes whenever the code that produced cached results could have changed."""
    digest = hashlib.blake2b(digest_size=12)
    package = Path(__file__).resolve().parent.parent
    sources = [p for folder in ("sync", "library", "model") for p in sorted((package / folder).rglob("*.py"))]
    for source in sources:  # sync reads the files (sync.reading), with library and model
        digest.update(source.read_bytes())
    return f"{__version__}|{CACHE_FORMAT}|{digest.hexdigest()}"
