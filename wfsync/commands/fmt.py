"""``wfsync fmt``: format files in place (atomically) or check them."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from wfsync.commands.context import repository_config
from wfsync.config import CONFIG_FILE
from wfsync.errors import CompletionError, InputError, UsageError
from wfsync.library.discover import find_yaml_files


@dataclasses.dataclass(frozen=True)
class FmtError:
    """A file that could not be formatted (invalid YAML, unreadable)."""

    path: Path
    line: int
    message: str


@dataclasses.dataclass(frozen=True)
class FmtResult:
    """Which files changed (or would change) and which could not be read."""

    files: int
    changed: tuple[Path, ...]
    errors: tuple[FmtError, ...]


def run_fmt(paths: Sequence[Path], *, cwd: Path, check: bool) -> FmtResult:
    """Format ``paths`` (default: the configured library)."""
    from wfsync.fmt.formatter import format_text

    if not paths:
        config = repository_config(cwd)
        if config is None:
            raise UsageError(f"no {CONFIG_FILE} here or above {cwd}: give files or folders to format")
        paths = [config.library]
    files, problems = find_yaml_files(list(paths))
    errors = [FmtError(p.path, p.line, p.message) for p in problems]
    changed: list[Path] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            formatted = format_text(text, path=path)
        except InputError as err:
            errors.append(FmtError(path, err.line or 1, err.message))
            continue
        except CompletionError as err:
            errors.append(FmtError(path, 1, str(err)))
            continue
        except (OSError, UnicodeDecodeError) as err:
            errors.append(FmtError(path, 1, f"cannot read: {err}"))
            continue
        if formatted == text:
            continue
        changed.append(path)
        if not check:
            _write_atomic(path, formatted)
    return FmtResult(len(files), tuple(changed), tuple(errors))


def _write_atomic(path: Path, text: str) -> None:
    """Replace a file's content without a window where it is half-written."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        Path(tmp).chmod(path.stat().st_mode & 0o7777)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
