"""The wfsync error family and the exit codes of the CLI contract.

Every failure a user can cause or meet is a :class:`WfsyncError` subclass that knows its exit
code, so the CLI maps errors to exit codes in exactly one place (``wfsync.cli.app``) and never
shows a traceback for them.
"""

from __future__ import annotations

import enum
from pathlib import Path


class ExitCode(enum.IntEnum):
    """Exit codes shared by every command (DESIGN.md, "CLI contract")."""

    CLEAN = 0
    """No findings, no differences, workflow Succeeded."""
    FINDINGS = 1
    """Lint problems, differences, workflow Failed/Error, conversion incomplete."""
    USAGE = 2
    """Wrong usage or unreadable input."""
    INCOMPLETE = 3
    """Could not complete: cluster unreachable, forbidden, conflict, interrupted."""


class WfsyncError(Exception):
    """Base of every error wfsync reports to a user; ``str(err)`` is the whole message."""

    exit_code: ExitCode = ExitCode.INCOMPLETE


class UsageError(WfsyncError):
    """Arguments, options or paths that cannot be used at all."""

    exit_code = ExitCode.USAGE


class InputError(WfsyncError):
    """An input file that cannot be read or understood (names the file, and the line if known)."""

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line else f"{path}: "
        super().__init__(where + message)


class ConfigError(InputError):
    """``wfsync.yaml`` is missing a required value or holds one that is not allowed."""


class CompletionError(WfsyncError):
    """The work could not be completed (cluster unreachable, conflict, interrupted)."""

    exit_code = ExitCode.INCOMPLETE
