"""The one door to external programs (``docker``, ``kind``, ``kubectl``): run a command, find a tool.

Everything the kind harness does to a machine goes through :class:`Tools`, so tests replace it
with a fake that records every argument list, and one test runs the real
:class:`SubprocessTools` against tiny executables on ``PATH``. A failing command becomes a
:class:`ToolFailed` naming the command, its exit code and the end of its stderr (exit code 3).
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from typing import Protocol

from wfsync.errors import CompletionError

STDERR_LINES = 8
"""Lines of a failed command's stderr quoted in its error."""
MAX_OUTPUT_CHARS = 1_000_000
"""Output kept from one command (kubectl JSON of two deployments is a few kB): bounded memory."""


@dataclasses.dataclass(frozen=True)
class Completed:
    """What a finished command gave back."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        """Whether it exited 0."""
        return self.returncode == 0


class Tools(Protocol):
    """Runs external commands; the narrow interface tests replace."""

    def which(self, name: str) -> str | None:
        """The path of executable ``name`` on ``PATH``, or None."""

    def run(self, argv: Sequence[str], *, input: str | None = None, timeout: float) -> Completed:
        """Run ``argv`` to its end (stdin from ``input``); raises :class:`ToolFailed` on a timeout."""


class ToolFailed(CompletionError):
    """An external command failed or did not finish (exit code 3)."""

    def __init__(self, argv: Sequence[str], message: str) -> None:
        self.argv = tuple(argv)
        super().__init__(f"`{shlex.join(argv)}` {message}")


class ToolMissing(CompletionError):
    """A required program is not installed or not usable (exit code 3, before anything changed)."""


def tail(text: str, lines: int = STDERR_LINES) -> str:
    """The last non-blank ``lines`` of ``text``, joined with `` | `` to stay on one error line."""
    kept = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(kept[-lines:])


def failure(done: Completed) -> str:
    """``failed (exit N): <end of stderr>`` for a command that did not exit 0."""
    detail = tail(done.stderr) or tail(done.stdout) or "no output"
    return f"failed (exit {done.returncode}): {detail}"


def check(done: Completed) -> Completed:
    """``done`` when it exited 0, else :class:`ToolFailed` with its exit code and stderr's end."""
    if done.ok:
        return done
    raise ToolFailed(done.argv, failure(done))


class SubprocessTools:
    """The real adapter: :mod:`subprocess` and :func:`shutil.which`."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.env = env

    def which(self, name: str) -> str | None:
        """The path of ``name`` on ``PATH`` (of ``env`` when given)."""
        path = (self.env or os.environ).get("PATH")
        return shutil.which(name, path=path)

    def run(self, argv: Sequence[str], *, input: str | None = None, timeout: float) -> Completed:
        """Run ``argv`` with captured text output; a missing program is exit code 127, as a shell says."""
        try:
            proc = subprocess.run(  # argv lists built by the harness, no shell
                list(argv),
                input=input,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                env=self.env,
                check=False,
                stdin=None if input is not None else subprocess.DEVNULL,
            )
        except FileNotFoundError:
            return Completed(tuple(argv), 127, "", f"{argv[0]}: command not found")
        except subprocess.TimeoutExpired:
            raise ToolFailed(argv, f"did not finish within {timeout:g} s") from None
        return Completed(
            tuple(argv),
            proc.returncode,
            proc.stdout[-MAX_OUTPUT_CHARS:],
            proc.stderr[-MAX_OUTPUT_CHARS:],
        )
