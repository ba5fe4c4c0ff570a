"""The ``wfsync`` command: global options, command registration and the error boundary.

Every wfsync error maps to its exit code here and is shown as one line, never a traceback
(``--debug`` shows one). Heavy modules are imported inside the commands so ``wfsync --version``
stays fast and never loads the Kubernetes client.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, NoReturn

import typer

from wfsync import __version__
from wfsync.cli.terminal import OutputFormat, Terminal

try:  # Typer 0.29+ vendors Click; its exceptions are the ones raised
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older Typer uses Click itself
    from click import exceptions as click_exceptions  # type: ignore[no-redef]
from wfsync.errors import ExitCode, WfsyncError

app = typer.Typer(
    name="wfsync",
    help="GitOps for Argo Workflows: lint, format, diff and push a git-backed template library.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wfsync {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    output: Annotated[
        OutputFormat,
        typer.Option("--output", "-o", help="Output format: text, json (some commands: markdown, github)."),
    ] = OutputFormat.TEXT,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print the result.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print more detail.")] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="Never colour output [env var: NO_COLOR].")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for internal errors [env var: WFSYNC_DEBUG].")
    ] = False,
    version: Annotated[  # noqa: ARG001 - handled by its eager callback
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """GitOps for Argo Workflows."""
    color = not no_color and "NO_COLOR" not in os.environ
    ctx.obj = Terminal(output, quiet, verbose, color, debug or bool(os.environ.get("WFSYNC_DEBUG")))


def _register() -> None:
    from wfsync.cli import convert, fmt, init, library, lint, run, sync

    for module in (init, library, lint, fmt, sync, convert, run):
        module.register(app)


_register()


def main() -> NoReturn:
    """Console-script entry point: run the app, map anything unexpected to exit code 3."""
    debug = "--debug" in sys.argv or bool(os.environ.get("WFSYNC_DEBUG"))
    try:
        command = typer.main.get_command(app)
        code = command.main(args=sys.argv[1:], prog_name="wfsync", standalone_mode=False)
    except typer.Abort:
        sys.stderr.write("error: aborted\n")
        code = int(ExitCode.INCOMPLETE)
    except click_exceptions.ClickException as err:
        err.show()
        code = err.exit_code
    except typer.Exit as err:
        code = err.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        code = int(ExitCode.INCOMPLETE)
    except WfsyncError as err:
        sys.stderr.write(f"error: {err}\n")
        code = int(err.exit_code)
    except Exception as err:  # the last line of defence: no traceback unless asked for
        if debug:
            raise
        sys.stderr.write(
            f"error: internal error: {type(err).__name__}: {err} (run with --debug for a traceback)\n"
        )
        code = int(ExitCode.INCOMPLETE)
    sys.exit(code if isinstance(code, int) else 0)
