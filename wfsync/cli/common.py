"""Pieces every command module shares: the output option, the terminal, the error boundary."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
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


_ERROR_CODES: tuple[tuple[type[WfsyncError], str], ...] = (
    (ConfigError, "config"),
    (InputError, "input"),
    (UsageError, "usage"),
    (CompletionError, "incomplete"),
)


def add_commands(
    app: typer.Typer, commands: Mapping[str, Callable[..., None]], *, group: str | None = None, help: str = ""
) -> None:
    """Register ``commands`` by name on ``app``, or on its sub-command group ``group`` (with ``help``)."""
    target = app
    if group is not None:
        target = typer.Typer(help=help, no_args_is_help=True)
        app.add_typer(target, name=group)
    for name, function in commands.items():
        target.command(name)(function)


def terminal(ctx: typer.Context) -> Terminal:
    """The :class:`Terminal` the root callback made."""
    term = ctx.find_object(Terminal)
    return term if term is not None else Terminal()


def error_code(err: WfsyncError) -> str:
    """The stable ``error.code`` of JSON error documents: what kind of failure, not its wording."""
    return next((code for kind, code in _ERROR_CODES if isinstance(err, kind)), "error")


def report(term: Terminal, err: WfsyncError) -> int:
    """Show a wfsync error (text line, and the JSON document under ``-o json``); its exit code."""
    if isinstance(err, InputError):
        term.fail(err.message, int(err.exit_code), code=error_code(err), file=err.path, line=err.line)
    else:
        term.fail(str(err), int(err.exit_code), code=error_code(err))
    return int(err.exit_code)


@contextlib.contextmanager
def command(
    ctx: typer.Context,
    output: OutputFormat | None,
    formats: tuple[OutputFormat, ...],
    name: str | None = None,
) -> Iterator[tuple[Terminal, OutputFormat]]:
    """A command's terminal and output format, inside the error :func:`boundary`.

    ``name`` is the command as JSON documents name it, when it differs from the invoked one
    (``cluster up``).
    """
    term = terminal(ctx)
    if name is not None:
        term.command = name
    with boundary(term):
        yield term, term.resolve_output(output, formats)


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
