"""Reading the library into desired objects: on all cores for a large library, cached per file.

The desired state is the library in the working tree, or at a git ref (read from git into a
scratch folder, never touching the working tree). Parsing and hashing depend only on each file,
so a large library is read on all cores, and with a cache a file whose bytes did not change is
not parsed at all.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from wfsync import safepath
from wfsync.config import Config
from wfsync.errors import InputError, UsageError
from wfsync.library.bulk import parallel_map
from wfsync.library.discover import find_yaml_files, parse_bytes, read_file
from wfsync.library.yamlload import read_bounded
from wfsync.model.documents import Identity, Kind
from wfsync.model.targets import Target
from wfsync.sync.cache import CachedDocument, SyncCache, file_digest, json_exact
from wfsync.sync.channels import with_channels
from wfsync.sync.desired import DesiredObject, merge, prepare, stamped
from wfsync.sync.references import references

ReadItem = tuple[Path, str, bytes | None, str, bool]
"""What a worker parses: the file, its shown path, its bytes (if read), the default namespace, cacheable."""


class NamespaceListener(Protocol):
    """Hears the namespaces of library objects as soon as they are known (a live lister)."""

    def namespace(self, namespace: str) -> None:
        """A library WorkflowTemplate goes to ``namespace``."""

    def settle(self) -> None:
        """Wait until no request is in flight (before forking worker processes)."""


@dataclasses.dataclass
class Library:
    """The desired state: where its files are, the objects, and the commit they came from."""

    folder: Path
    """The library folder read (the working tree's, or a scratch copy of ``ref``)."""
    root: Path
    """What source paths are relative to (the repository root, or the scratch folder)."""
    objects: list[DesiredObject]
    commit: str
    ref: str | None


@contextlib.contextmanager
def library_files(config: Config, ref: str | None) -> Iterator[tuple[Path, Path, str]]:
    """The library folder to read, what paths are relative to, and the source commit.

    With ``ref`` the files are exported from git into a temporary folder for the duration.
    """
    from wfsync.library.gitsource import export_library, working_tree_commit

    if ref is None:
        if not config.library.is_dir():
            raise UsageError(f"the library folder {config.library} (from {config.path}) does not exist")
        yield config.library, config.root, working_tree_commit(config.root, config.library)
        return
    with tempfile.TemporaryDirectory(prefix="wfsync-ref-") as scratch:
        commit, folder = export_library(config.root, config.library, ref, Path(scratch))
        yield folder, Path(scratch), commit


def read_library(
    config: Config,
    target: Target,
    folder: Path,
    root: Path,
    commit: str,
    ref: str | None,
    cache: SyncCache | None = None,
    lister: NamespaceListener | None = None,
) -> Library:
    """Parse the library's documents into the objects a push writes; unreadable files are input errors.

    With a ``cache`` a file whose bytes did not change is not parsed. A ``lister`` hears the
    namespaces of cached objects as soon as they are known.
    """
    files, problems = find_yaml_files([folder], root=root)
    if problems:
        p = problems[0]
        raise InputError(p.message, path=shown_path(p.path, root), line=p.line)
    cache = cache or SyncCache.open(None)
    shown = _Shown(root)
    places = [shown(path) for path in files]
    per_file, work, digests = _cached(cache, target, files, places, lister)
    parsed = _parse_all(work, lister)
    done = iter(zip(digests, parsed, strict=True))
    objects: list[DesiredObject] = []
    for where, docs in zip(places, per_file, strict=True):
        if docs is None:
            digest, (docs, exact) = next(done)
            if exact:
                cache.put_documents(where, digest, docs)
        objects.extend(_stamped(config, commit, where, docs))
    return Library(folder, root, merge(with_channels(objects, library_id=config.library_id)), commit, ref)


def _cached(
    cache: SyncCache,
    target: Target,
    files: Sequence[Path],
    places: Sequence[str],
    lister: NamespaceListener | None,
) -> tuple[list[list[CachedDocument] | None], list[ReadItem], list[str]]:
    """Per file its cached documents (``None``: to parse), the work to parse and its digests."""
    per_file: list[list[CachedDocument] | None] = []
    work: list[ReadItem] = []
    digests: list[str] = []
    for path, where in zip(files, places, strict=True):
        data, digest = None, ""
        if cache.enabled:
            try:
                data = read_bounded(path)
            except OSError as err:
                raise InputError(
                    _unreadable(f"cannot read: {err.strerror or err}"), path=where, line=1
                ) from None
            digest = file_digest(data, target.namespace)
            hit = cache.documents(where, digest)
            if hit is not None:
                per_file.append(hit)
                if lister is not None:
                    for d in hit:
                        if d.kind == Kind.WORKFLOW_TEMPLATE:
                            lister.namespace(d.namespace)
                continue
        per_file.append(None)
        work.append((path, where, data, target.namespace, cache.enabled))
        digests.append(digest)
    return per_file, work, digests


def _parse_all(
    work: list[ReadItem], lister: NamespaceListener | None
) -> list[tuple[list[CachedDocument], bool]]:
    """Parse ``work`` here, or in forked worker processes when there is enough of it."""
    # fork with no request in flight in another thread
    return parallel_map(_read_one, work, before_fork=lister.settle if lister is not None else None)


def _stamped(config: Config, commit: str, where: str, docs: list[CachedDocument]) -> list[DesiredObject]:
    """One file's documents as desired objects; namespace and name are checked (store paths, URLs)."""
    for d in docs:
        if d.namespace:
            safepath.check_namespace(d.namespace, path=where, line=d.line)
        safepath.check_name(d.name, path=where, line=d.line)
    return [
        stamped(
            Identity(d.kind, d.namespace, d.name),
            d.body,
            d.content_hash,
            line=d.line,
            library_id=config.library_id,
            source_path=where,
            source_commit=commit,
            refs=d.refs,
        )
        for d in docs
    ]


def _read_one(item: ReadItem) -> tuple[list[CachedDocument], bool]:
    """One file's documents (and whether their bodies can be cached exactly)."""
    path, where, data, namespace, keep = item
    read = read_file(path) if data is None else parse_bytes(path, data)
    if read.problem is not None:
        p = read.problem
        raise InputError(_unreadable(p.message), path=where, line=p.line)
    docs: list[CachedDocument] = []
    for doc in read.documents:
        try:
            prepared = prepare(doc, namespace)
        except InputError as err:  # shown relative to the repository, as other read errors are
            raise InputError(err.message, path=where, line=err.line) from None
        if prepared is not None:
            ident, body, digest = prepared
            refs = frozenset(references(body, ident.namespace))
            docs.append(
                CachedDocument(ident.kind, ident.namespace, ident.name, doc.source.line, digest, body, refs)
            )
    return docs, keep and all(json_exact(d.body) for d in docs)


def _unreadable(message: str) -> str:
    return f"{message} (fix it, or run 'wfsync lint')"


def shown_path(path: Path, root: Path) -> str:
    """``path`` as recorded and shown: relative to ``root`` with symlinks resolved."""
    return _Shown(root)(path)


class _Shown:
    """A path as recorded and shown: relative to ``root`` with symlinks resolved.

    Resolving stats every part of a path; a library has thousands of files in a few folders, so
    each folder (and the root) is resolved once.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.prefix = os.path.join(self.root, "")  # noqa: PTH118 - strings: pathlib is the cost here
        self.folders: dict[str, str] = {}

    def __call__(self, path: Path) -> str:
        text = os.fspath(path)
        if os.path.islink(text):  # noqa: PTH114
            real = os.fspath(path.resolve())
        else:
            parent, name = os.path.split(text)
            folder = self.folders.get(parent)
            if folder is None:
                folder = self.folders[parent] = os.fspath(Path(parent or ".").resolve())
            real = os.path.join(folder, name)  # noqa: PTH118
        if real.startswith(self.prefix):
            relative = real[len(self.prefix) :]
            return relative if os.sep == "/" else relative.replace(os.sep, "/")
        if real == os.fspath(self.root):
            return "."
        return text
