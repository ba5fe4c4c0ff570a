"""Find the YAML files of a library and read them into documents.

Reading never raises for a bad file: a file that cannot be used becomes a :class:`FileProblem`
so one broken file does not hide the findings of all the others.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from wfsync.errors import UsageError
from wfsync.library.yamlload import YamlSyntaxError, load_stream
from wfsync.model.documents import Document, SourceRef

YAML_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 4 * 1024 * 1024
"""Larger files are refused: no real template library file comes close, a generated dump might."""

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
    repository, when known) is refused, as is a file over :data:`MAX_FILE_BYTES`.
    """
    files: list[Path] = []
    problems: list[FileProblem] = []
    seen: set[Path] = set()
    resolved_root = root.resolve() if root is not None else None

    def add(path: Path) -> None:
        link = path.is_symlink()
        key = path.resolve() if link else Path(os.path.abspath(path))  # noqa: PTH100 - resolve() stats every part
        if key in seen:
            return
        seen.add(key)
        if link and resolved_root is not None and not key.is_relative_to(resolved_root):
            problems.append(
                FileProblem(path, "file-refused", f"symlink leaves the repository (points to {key})")
            )
            return
        try:
            size = path.stat().st_size
        except OSError as err:
            problems.append(FileProblem(path, "file-unreadable", f"cannot read: {err.strerror or err}"))
            return
        if size > MAX_FILE_BYTES:
            problems.append(
                FileProblem(
                    path, "file-refused", f"file is {size} bytes, over the {MAX_FILE_BYTES} byte limit"
                )
            )
            return
        files.append(path)

    for given in paths:
        if not given.exists() and not given.is_symlink():
            raise UsageError(f"path does not exist: {given}")
        if given.is_dir():
            for path in _walk(given):
                add(path)
        else:
            add(given)
    return files, problems


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
        return ReadFile(path, problem=FileProblem(path, "yaml-syntax", err.message, err.line, err.column))
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
        data = path.read_bytes()
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
