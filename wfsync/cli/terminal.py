"""One place that writes to the terminal: output format, colour, verbosity, errors, progress.

Commands never print; they return results that the CLI renders through :class:`Terminal` in the
format the user chose. JSON goes to stdout alone so it can be piped (one document per run, errors
included); messages go to stderr. Styles are written only to a terminal and never with
``NO_COLOR``/``--no-color``; emoji codes are never expanded, so a node called ``:leg:`` prints as
it is.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from rich.progress import Progress as Bar
    from rich.progress import TaskID

SCHEMA_VERSION = 1
"""Version of every ``--output json`` document; bumped only on incompatible changes."""

PROGRESS_DELAY = 2.0
"""Seconds of work before any progress is shown: short work stays silent."""
PROGRESS_INTERVAL = 10.0
"""Seconds between two plain progress lines when stderr is not a terminal (CI logs)."""


class OutputFormat(enum.StrEnum):
    """Formats a command may offer (each command accepts a subset)."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    GITHUB = "github"


def check_output(chosen: str, allowed: Sequence[str]) -> None:
    """Refuse a format the command does not offer, with the one usage error every command words alike.

    Formats are strings so that commands offering more than :class:`OutputFormat` (``yaml``,
    ``mermaid``) check theirs the same way.
    """
    if chosen not in allowed:
        from wfsync.errors import UsageError

        names = ", ".join(allowed)
        raise UsageError(f"--output {chosen} is not available here (choose from: {names})")


def colour_wanted(no_color_option: bool) -> bool:
    """False with ``--no-color`` or a non-empty ``NO_COLOR`` (https://no-color.org)."""
    return not no_color_option and not os.environ.get("NO_COLOR")


def display_path(path: Path | str, cwd: Path | None = None) -> str:
    """``path`` relative to the current folder when it is inside it, else as given: one style everywhere."""
    p = Path(path)
    if not p.is_absolute():
        return str(p)
    base = cwd or Path.cwd()
    try:
        return str(p.relative_to(base))
    except ValueError:
        try:
            return str(p.resolve().relative_to(base.resolve()))
        except (ValueError, OSError):
            return str(p)


def _console(*, stderr: bool, color: bool) -> Console:
    # color_system=None writes no escape sequence at all (rich's no_color still writes bold/dim)
    return Console(
        stderr=stderr,
        color_system="auto" if color else None,
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )


@dataclasses.dataclass
class Terminal:
    """Global options plus the consoles they configure."""

    output: OutputFormat = OutputFormat.TEXT
    quiet: bool = False
    verbose: bool = False
    color: bool = True
    debug: bool = False
    json_requested: bool = False
    """``-o json`` was given somewhere on the command line (errors are JSON even before it is resolved)."""
    command: str | None = None
    """The command path (``lint``, ``library list``) named in JSON documents."""

    def __post_init__(self) -> None:
        self.out = _console(stderr=False, color=self.color)
        self.err = _console(stderr=True, color=self.color)
        self.emitted = False
        self.last_error: str | None = None

    @property
    def wants_json(self) -> bool:
        """Whether stdout must hold one JSON document, whatever happens."""
        return self.output is OutputFormat.JSON or self.json_requested

    @property
    def chatty(self) -> bool:
        """Whether notes and progress may be shown (text output, not --quiet)."""
        return not self.quiet and not self.wants_json

    def resolve_output(self, local: OutputFormat | None, allowed: tuple[OutputFormat, ...]) -> OutputFormat:
        """The format for this command: given after the command, else before it; checked."""
        chosen = local or self.output
        check_output(chosen, allowed)
        self.output = chosen
        return chosen

    def json(self, command: str, payload: Mapping[str, object]) -> None:
        """Write the stable JSON document of a command to stdout (at most one per run)."""
        doc = {"schemaVersion": SCHEMA_VERSION, "command": command, **payload}
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n")
        sys.stdout.flush()
        self.emitted = True

    def fail(
        self,
        message: str,
        exit_code: int,
        *,
        code: str = "error",
        file: Path | str | None = None,
        line: int | None = None,
    ) -> None:
        """Report an error: one line on stderr, and the JSON error document when JSON was asked for."""
        if self.wants_json and not self.emitted:
            self.json(
                self.command or "wfsync",
                {
                    "exitCode": exit_code,
                    "error": {
                        "code": code,
                        "message": message,
                        "file": display_path(file) if file is not None else None,
                        "line": line,
                    },
                },
            )
        where = (
            "" if file is None else f"{display_path(file)}:{line}: " if line else f"{display_path(file)}: "
        )
        self.error(where + message)

    def print(self, *objects: object, **kwargs: Any) -> None:
        """Human output (suppressed by --quiet); on stderr when stdout carries JSON."""
        if not self.quiet:
            self.result(*objects, **kwargs)

    def result(self, *objects: object, **kwargs: Any) -> None:
        """Human output that is the answer itself (shown even with --quiet)."""
        (self.err if self.wants_json else self.out).print(*objects, **kwargs)

    def info(self, message: str) -> None:
        """A progress or context note on stderr (only with --verbose)."""
        if self.verbose and not self.quiet:
            self.err.print(f"[dim]{escape(message)}[/dim]")

    def error(self, message: str) -> None:
        """One clear error line on stderr."""
        self.last_error = message
        self.err.print(f"[bold red]error:[/bold red] {escape(message)}")

    def warning(self, message: str) -> None:
        """A warning line on stderr."""
        if not self.quiet:
            self.err.print(f"[yellow]warning:[/yellow] {escape(message)}")

    @contextlib.contextmanager
    def progress(self, label: str, total: int | None = None, unit: str = "") -> Iterator[Progress]:
        """Progress for work that may be long.

        Nothing for the first seconds, then a live bar on a terminal or a plain line every
        :data:`PROGRESS_INTERVAL` seconds on stderr otherwise; silent with --quiet and with
        machine-readable output.
        """
        bar = Progress(self, label, total, unit, enabled=self.chatty and self.output is OutputFormat.TEXT)
        bar.start()
        try:
            yield bar
        finally:
            bar.stop()


class Progress:
    """Counts done work; a background ticker decides when and how to show it."""

    def __init__(self, term: Terminal, label: str, total: int | None, unit: str, *, enabled: bool) -> None:
        self.term = term
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self.note = ""
        self.describe: Callable[[], str] | None = None
        """Optional: the state as a phrase (a run's phase and node counts), used instead of counts."""
        self._enabled = enabled
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar: Bar | None = None
        self._task: TaskID | None = None

    def advance(self, count: int = 1, note: str = "") -> None:
        """Mark ``count`` more units done (``note``: what was just done, shown on the bar)."""
        self.done += count
        if note:
            self.note = note
        self._refresh_bar()

    def update(self, *, done: int | None = None, total: int | None = None, note: str | None = None) -> None:
        """Set the counts directly."""
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total
        if note is not None:
            self.note = note
        self._refresh_bar()

    def line(self) -> str:
        """The plain progress line."""
        elapsed = int(time.monotonic() - self._started)
        state = ""
        if self.describe is not None:
            with contextlib.suppress(RuntimeError):  # the state may change while it is read
                state = self.describe()
        if not state and self.total:
            state = f"{self.done}/{self.total} {self.unit}".rstrip() + f" ({100 * self.done // self.total}%)"
        elif not state:
            state = f"{self.done} {self.unit}".rstrip()
        return f"{self.label}: {state}, {elapsed}s" + (f" ({self.note})" if self.note else "")

    def start(self) -> None:
        """Start the ticker (a daemon thread; nothing shows before the delay)."""
        if self._enabled:
            self._thread = threading.Thread(target=self._tick, name="wfsync-progress", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the ticker and clear a live bar."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._bar is not None:
            self._bar.stop()

    def _tick(self) -> None:
        if self._stop.wait(PROGRESS_DELAY):
            return
        if self.term.err.is_terminal and self.term.color:  # escape sequences only where styles are allowed
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[note]}", markup=False),
                console=self.term.err,
                transient=True,
            )
            self._task = self._bar.add_task(self.label, total=self.total, completed=self.done, note=self.note)
            self._bar.start()
            return
        while True:
            self.term.err.print(self.line(), markup=False)
            if self._stop.wait(PROGRESS_INTERVAL):
                return

    def _refresh_bar(self) -> None:
        if self._bar is not None and self._task is not None:
            note = self.describe() if self.describe is not None else self.note
            self._bar.update(self._task, completed=self.done, total=self.total, note=note)
