"""Find the YAML files of a library and read them into documents.

Reading never raises for a bad file: a file that cannot be used becomes a :class:`FileProblem`
so one broken file does not hide the findings of all the others.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from wfsync import safepath
from wfsync.errors import UsageError
from wfsync.library.yamlload import MAX_FILE_BYTES, YamlSyntaxError, load_stream, read_bounded
from wfsync.model.documents import Document, SourceRef

YAML_SUFFIXES = (".yaml", ".yml")
SKIPPED_DIRS = frozenset({".git", ".wfsync", "node_modules", "__pycache__", ".venv"})


@dataclasses.dataclass(frozen=True)
class FileProblem:
    """A file that could not be used, with the rule id lint reports it under."""

    path: Path
    rule: str
    message: str
    line: int = 1
    column: int | None = None


@dataclasses.dataclass(frozen=True)
class ReadFile:
    """The outcome of reading one file: its documents, or the problem that stopped it."""

    path: Path
    documents: tuple[Document, ...] = ()
    problem: FileProblem | None = None


def find_yaml_files(
    paths: Sequence[Path], *, root: Path | None = None
) -> tuple[list[Path], list[FileProblem]]:
    """Expand files and folders into YAML files, sorted, each once.

    A path that does not exist is a usage error. A symlink whose target leaves ``root`` (the
    repository, when known) is refused, as is anything but a regular file and a file over
    :data:`MAX_FILE_BYTES`.
    """
    found = _Found(root.resolve() if root is not None else None)
    for given in paths:
        if not given.exists() and not given.is_symlink():
            raise UsageError(f"path does not exist: {given}")
        if not given.exists() and _is_loop(given):
            raise UsageError(f"path is a symlink loop: {given}")
        if given.is_dir():
            escape = (
                safepath.symlink_escape(root, given) if root is not None and _inside(root, given) else None
            )
            if escape is not None:  # the rule for symlinked files, for folders too
                found.problems.append(
                    FileProblem(given, "file-refused", f"symlink leaves the repository (points to {escape})")
                )
                continue
            for path in _walk(given):
                found.add(path)
        else:
            found.add(given)
    return found.files, found.problems


@dataclasses.dataclass
class _Found:
    """The YAML files accepted so far (each once, by real path) and the ones refused, with why."""

    resolved_root: Path | None
    files: list[Path] = dataclasses.field(default_factory=list)
    problems: list[FileProblem] = dataclasses.field(default_factory=list)
    seen: set[str] = dataclasses.field(default_factory=set)

    def add(self, path: Path) -> None:
        """Accept ``path``, or record why not (unreadable, a symlink out of the root, not regular, too big).

        One ``lstat`` serves a plain file (most of them); a symlink is resolved and stat'ed.
        """
        try:
            info = path.lstat()
            link = stat.S_ISLNK(info.st_mode)
            real = path.resolve() if link else None
        except (OSError, RuntimeError) as err:  # RuntimeError: a symlink loop (Python 3.11)
            reason = "symlink loop" if isinstance(err, RuntimeError) else err.strerror or str(err)
            self.problems.append(FileProblem(path, "file-unreadable", f"cannot read: {reason}"))
            return
        key = str(real) if real is not None else os.path.abspath(path)  # noqa: PTH100 - resolve() stats every part
        if key in self.seen:
            return
        self.seen.add(key)
        if (
            real is not None
            and self.resolved_root is not None
            and not real.is_relative_to(self.resolved_root)
        ):
            self.problems.append(
                FileProblem(path, "file-refused", f"symlink leaves the repository (points to {real})")
            )
            return
        if link:
            try:
                info = path.stat()
            except OSError as err:
                self.problems.append(
                    FileProblem(path, "file-unreadable", f"cannot read: {err.strerror or err}")
                )
                return
        size = info.st_size
        if not stat.S_ISREG(info.st_mode):
            self.problems.append(FileProblem(path, "file-refused", "not a regular file"))
            return
        if size > MAX_FILE_BYTES:
            self.problems.append(
                FileProblem(
                    path, "file-refused", f"file is {size} bytes, over the {MAX_FILE_BYTES} byte limit"
                )
            )
            return
        self.files.append(path)


def _inside(root: Path, path: Path) -> bool:
    """Whether ``path`` is spelled inside ``root`` (an explicit path elsewhere is the user's choice)."""
    return Path(os.path.abspath(path)).is_relative_to(os.path.abspath(root))  # noqa: PTH100 - lexical on purpose


def _is_loop(path: Path) -> bool:
    try:
        path.resolve(strict=True)
    except RuntimeError:  # Python 3.11 reports a loop so; later versions raise OSError(ELOOP)
        return True
    except OSError as err:
        return err.errno == errno.ELOOP
    return False


def _walk(folder: Path) -> Iterable[Path]:
    """YAML files under ``folder`` in a stable order, skipping tool and VCS folders."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(YAML_SUFFIXES):
                yield Path(dirpath, name)


def parse_text(path: Path, text: str) -> ReadFile:
    """Split a YAML stream into documents; empty documents are dropped."""
    try:
        loaded = list(load_stream(text))
    except YamlSyntaxError as err:
        rule = "file-refused" if err.limit else "yaml-syntax"
        return ReadFile(path, problem=FileProblem(path, rule, err.message, err.line, err.column))
    docs: list[Document] = []
    for item in loaded:
        if item.data is None:
            continue
        source = SourceRef(path, item.line, item.index)
        if not isinstance(item.data, dict):
            problem = FileProblem(
                path,
                "not-an-object",
                f"document {item.index + 1} is a {type(item.data).__name__}, not a mapping",
                item.line,
            )
            return ReadFile(path, tuple(docs), problem)
        docs.append(Document(item.data, source, item.node))
    return ReadFile(path, tuple(docs))


def read_file(path: Path) -> ReadFile:
    """Read and parse one file."""
    try:
        data = read_bounded(path)
    except OSError as err:
        return ReadFile(
            path, problem=FileProblem(path, "file-unreadable", f"cannot read: {err.strerror or err}")
        )
    return parse_bytes(path, data)


def parse_bytes(path: Path, data: bytes) -> ReadFile:
    """Parse a file's bytes as :func:`read_file` does (UTF-8, universal newlines), for callers that hold them."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        return ReadFile(path, problem=FileProblem(path, "file-unreadable", f"not UTF-8 text: {err.reason}"))
    if "\r" in text:  # read_text's universal newlines
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return parse_text(path, text)
