"""``wfsync fmt``: format files in place (atomically) or check them.

A file is read within the input limits (regular files only, size cap), written through a
symlink to the file it points to (the link stays a link; inside a repository, only to a file in
it) with that file's permissions, and never rewritten when it is read-only: every file that
cannot be formatted is named, with the reason.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from wfsync.commands.context import repository_config
from wfsync.config import CONFIG_FILE
from wfsync.errors import CompletionError, InputError, UsageError
from wfsync.library.discover import find_yaml_files
from wfsync.library.yamlload import read_text_bounded


@dataclasses.dataclass(frozen=True)
class FmtError:
    """A file that could not be formatted (invalid YAML, unreadable, not writable)."""

    path: Path
    line: int
    message: str


@dataclasses.dataclass(frozen=True)
class FmtResult:
    """Which files changed (or would change), which could not be read, which were left alone."""

    files: int
    changed: tuple[Path, ...]
    errors: tuple[FmtError, ...]
    skipped: tuple[FmtError, ...] = ()
    """Files left as they are because formatting would lose a comment (a warning, not an error)."""


def run_fmt(paths: Sequence[Path], *, cwd: Path, check: bool) -> FmtResult:
    """Format ``paths`` (default: the configured library)."""
    from wfsync.fmt.formatter import FormatRefused, format_text

    config = repository_config(cwd)
    if not paths:
        if config is None:
            raise UsageError(f"no {CONFIG_FILE} here or above {cwd}: give files or folders to format")
        paths = [config.library]
    # as lint: inside a repository, a symlink that leaves it is refused (fmt would write there)
    files, problems = find_yaml_files(list(paths), root=config.root if config else None)
    errors = [FmtError(p.path, p.line, p.message) for p in problems]
    skipped: list[FmtError] = []
    changed: list[Path] = []
    for path in files:
        try:
            text = read_text_bounded(path)
            formatted = format_text(text, path=path)
        except InputError as err:
            errors.append(FmtError(path, err.line or 1, err.message))
            continue
        except CompletionError as err:
            errors.append(FmtError(path, 1, str(err)))
            continue
        except FormatRefused as err:
            skipped.append(FmtError(path, err.line, err.message))
            continue
        except OSError as err:
            errors.append(FmtError(path, 1, f"cannot read: {err.strerror or err}"))
            continue
        except UnicodeDecodeError as err:
            errors.append(FmtError(path, 1, f"not UTF-8 text: {err.reason}"))
            continue
        if formatted == text:
            continue
        if not check:
            try:
                _write_atomic(path, formatted)
            except OSError as err:
                errors.append(FmtError(path, 1, f"cannot write: {err.strerror or err}; left as it is"))
                continue
        changed.append(path)
    return FmtResult(len(files), tuple(changed), tuple(errors), tuple(skipped))


def _write_atomic(path: Path, text: str) -> None:
    """Replace a file's content without a window where it is half-written.

    A symlink is written through: the file it points to is replaced, the link stays. A file
    without write permission is refused (even for root, who could replace it).
    """
    target = path.resolve(strict=True)
    mode = target.stat().st_mode
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        raise PermissionError(13, "the file is read-only")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        Path(tmp).chmod(stat.S_IMODE(mode))
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
