"""Pieces every command module shares: the output option, the terminal, the error boundary."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

import typer

from wfsync.cli.terminal import OutputFormat, Terminal
from wfsync.errors import ExitCode, WfsyncError

OutputOption = Annotated[
    OutputFormat | None,
    typer.Option(
        "--output", "-o", help="Output format (also accepted before the command).", show_default=False
    ),
]


def terminal(ctx: typer.Context) -> Terminal:
    """The :class:`Terminal` the root callback made."""
    term = ctx.find_object(Terminal)
    return term if term is not None else Terminal()


@contextlib.contextmanager
def boundary(term: Terminal) -> Iterator[None]:
    """Turn wfsync errors into one message and their exit code."""
    try:
        yield
    except WfsyncError as err:
        term.error(str(err))
        raise typer.Exit(int(err.exit_code)) from None
    except KeyboardInterrupt:
        term.error("interrupted")
        raise typer.Exit(int(ExitCode.INCOMPLETE)) from None
