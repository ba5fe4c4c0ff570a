"""One place that writes to the terminal: output format, colour, verbosity, errors.

Commands never print; they return results that the CLI renders through :class:`Terminal` in the
format the user chose. JSON goes to stdout alone so it can be piped; messages go to stderr.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape

SCHEMA_VERSION = 1
"""Version of every ``--output json`` document; bumped only on incompatible changes."""


class OutputFormat(enum.StrEnum):
    """Formats a command may offer (each command accepts a subset)."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    GITHUB = "github"


@dataclasses.dataclass
class Terminal:
    """Global options plus the consoles they configure."""

    output: OutputFormat = OutputFormat.TEXT
    quiet: bool = False
    verbose: bool = False
    color: bool = True
    debug: bool = False

    def __post_init__(self) -> None:
        no_color = None if self.color else True
        self.out = Console(no_color=no_color, highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, no_color=no_color, highlight=False, soft_wrap=True)

    def resolve_output(self, local: OutputFormat | None, allowed: tuple[OutputFormat, ...]) -> OutputFormat:
        """The format for this command: given after the command, else before it; checked."""
        chosen = local or self.output
        if chosen not in allowed:
            from wfsync.errors import UsageError

            names = ", ".join(a.value for a in allowed)
            raise UsageError(f"--output {chosen.value} is not available here (choose from: {names})")
        self.output = chosen
        return chosen

    def json(self, command: str, payload: dict[str, Any]) -> None:
        """Write the stable JSON document of a command to stdout."""
        doc = {"schemaVersion": SCHEMA_VERSION, "command": command, **payload}
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=False) + "\n")
        sys.stdout.flush()

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Human output on stdout (suppressed by --quiet)."""
        if not self.quiet:
            self.out.print(*objects, **kwargs)

    def result(self, *objects: Any, **kwargs: Any) -> None:
        """Human output that is the answer itself (shown even with --quiet)."""
        self.out.print(*objects, **kwargs)

    def info(self, message: str) -> None:
        """A progress or context note on stderr (only with --verbose)."""
        if self.verbose:
            self.err.print(f"[dim]{escape(message)}[/dim]")

    def error(self, message: str) -> None:
        """One clear error line on stderr."""
        self.err.print(f"[bold red]error:[/bold red] {escape(message)}")

    def warning(self, message: str) -> None:
        """A warning line on stderr."""
        if not self.quiet:
            self.err.print(f"[yellow]warning:[/yellow] {escape(message)}")
