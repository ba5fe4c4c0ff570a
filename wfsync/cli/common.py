"""Pieces every command module shares: the output option, the terminal, the error boundary."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

import typer

from wfsync.cli.terminal import OutputFormat, Terminal
from wfsync.errors import CompletionError, ConfigError, ExitCode, InputError, UsageError, WfsyncError

OutputOption = Annotated[
    OutputFormat | None,
    typer.Option(
        "--output", "-o", help="Output format (also accepted before the command).", show_default=False
    ),
]
TargetOption = Annotated[
    str | None,
    typer.Option(
        "--target", "-t", help="Target from wfsync.yaml [env var: WFSYNC_TARGET; default: defaultTarget]."
    ),
]
"""The sync target; ``diff``, ``push``, ``status``, ``submit``, ``stop`` and ``verify`` share it."""


def terminal(ctx: typer.Context) -> Terminal:
    """The :class:`Terminal` the root callback made."""
    term = ctx.find_object(Terminal)
    return term if term is not None else Terminal()


def error_code(err: WfsyncError) -> str:
    """The stable ``error.code`` of JSON error documents: what kind of failure, not its wording."""
    if isinstance(err, ConfigError):
        return "config"
    if isinstance(err, InputError):
        return "input"
    if isinstance(err, UsageError):
        return "usage"
    if isinstance(err, CompletionError):
        return "incomplete"
    return "error"


def report(term: Terminal, err: WfsyncError) -> int:
    """Show a wfsync error (text line, and the JSON document under ``-o json``); its exit code."""
    if isinstance(err, InputError):
        term.fail(err.message, int(err.exit_code), code=error_code(err), file=err.path, line=err.line)
    else:
        term.fail(str(err), int(err.exit_code), code=error_code(err))
    return int(err.exit_code)


@contextlib.contextmanager
def boundary(term: Terminal) -> Iterator[None]:
    """Turn wfsync errors into one message and their exit code."""
    try:
        yield
    except WfsyncError as err:
        raise typer.Exit(report(term, err)) from None
    except KeyboardInterrupt:
        term.fail("interrupted", int(ExitCode.INCOMPLETE), code="interrupted")
        raise typer.Exit(int(ExitCode.INCOMPLETE)) from None
