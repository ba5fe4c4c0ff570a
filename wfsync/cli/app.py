"""The ``wfsync`` command: global options, command registration and the error boundary.

Global options (``-o``, ``-q``, ``-v``, ``--no-color``, ``--debug``) mean the same before or after
the command: :class:`WfsyncGroup` moves them in front of it before Click parses. Every error, usage
errors from Click included, ends here as one line on stderr and its exit code (and, under
``-o json``, as one JSON document on stdout), never a traceback (``--debug`` shows one). Heavy
modules are imported inside the commands so ``wfsync --version`` stays fast and never loads the
Kubernetes client.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup, TyperOption

from wfsync import __version__
from wfsync.cli.common import report
from wfsync.cli.terminal import OutputFormat, Terminal, colour_wanted
from wfsync.errors import ExitCode, WfsyncError

try:  # Typer 0.29+ vendors Click; its exceptions are the ones raised
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older Typer uses Click itself
    from click import exceptions as click_exceptions  # type: ignore[no-redef]

GLOBAL_FLAGS = frozenset({"-q", "--quiet", "-v", "--verbose", "--no-color", "--debug"})
OUTPUT_NAMES = frozenset({"-o", "--output"})
_SHORT_FLAGS = re.compile(r"-[qv]+")
_META_JSON = "wfsync.json"


def _wants_json(args: Sequence[str]) -> bool:
    """Whether ``-o json`` appears anywhere (before ``--``): errors must then be JSON too."""
    for i, tok in enumerate(args):
        if tok == "--":
            return False
        if tok in OUTPUT_NAMES and i + 1 < len(args) and args[i + 1] == "json":
            return True
        if tok in ("--output=json", "-ojson", "-o=json"):
            return True
    return False


def _local_option(command: Any, name: str) -> Any:
    """The option of ``command`` called ``name`` (a command's own option wins over a global one)."""
    for param in getattr(command, "params", ()):
        if isinstance(param, TyperOption) and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def hoist_globals(group: TyperGroup, ctx: typer.Context, args: list[str]) -> list[str]:
    """``args`` with every global option given after the command moved in front of it.

    Options the command itself defines stay where they are (``run -o yaml``), as do option values
    and everything after ``--``.
    """
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":
        i += 2 if args[i] in OUTPUT_NAMES else 1
    if i >= len(args) or args[i] == "--":
        return args
    command: Any = group.get_command(ctx, args[i])
    if command is None:
        return args
    head, moved, kept = args[:i], [], [args[i]]
    j = i + 1
    while j < len(args):
        tok = args[j]
        if tok == "--":
            kept += args[j:]
            break
        if tok.startswith("-") and len(tok) > 1:
            name, eq, _ = tok.partition("=")
            local = _local_option(command, name)
            if local is not None:
                takes = 0 if (local.is_flag or local.count or eq) else local.nargs
                kept += args[j : j + 1 + takes]
                j += 1 + takes
                continue
            if (name in GLOBAL_FLAGS and not eq) or _SHORT_FLAGS.fullmatch(tok):
                moved.append(tok)
            elif name in OUTPUT_NAMES and not eq:
                moved += args[j : j + 2]
                j += 1
            elif name in OUTPUT_NAMES or (tok.startswith("-o") and not tok.startswith("--")):
                moved.append(tok)
            else:
                kept.append(tok)
            j += 1
            continue
        if isinstance(command, TyperGroup):
            command = command.get_command(ctx, tok) or command
        kept.append(tok)
        j += 1
    return head + moved + kept


def _error_terminal(ctx: typer.Context | None) -> Terminal:
    """The run's terminal, or one made from the command line when the failure came first."""
    if ctx is not None and isinstance(ctx.find_root().obj, Terminal):
        return ctx.find_root().obj  # type: ignore[no-any-return]
    meta = ctx.find_root().meta if ctx is not None else {}
    args: list[str] = meta.get("wfsync.args", sys.argv[1:])
    term = Terminal(
        color=colour_wanted("--no-color" in args), json_requested=_wants_json(args), quiet="-q" in args
    )
    term.command = _command_name(ctx)
    return term


def _command_name(ctx: Any) -> str | None:
    names: list[str] = []
    while ctx is not None and ctx.parent is not None:
        names.insert(0, ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(names) or None


class WfsyncGroup(TyperGroup):
    """The root group: global options anywhere, and the single error boundary."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Move global options in front of the command, note whether JSON was asked for."""
        ctx.meta["wfsync.args"] = list(args)
        ctx.meta[_META_JSON] = _wants_json(args)
        return super().parse_args(ctx, hoist_globals(self, ctx, list(args)))

    def invoke(self, ctx: Any) -> Any:
        """Run the command; map every failure to its message and exit code."""
        try:
            return super().invoke(ctx)
        except typer.Exit as done:
            term = ctx.obj if isinstance(ctx.obj, Terminal) else None
            if term is not None and term.wants_json and not term.emitted and done.exit_code:
                # a command that stopped without its document (e.g. a refused confirmation)
                term.fail(term.last_error or "failed", done.exit_code, code="error")
            raise
        except click_exceptions.ClickException as err:
            sub = getattr(err, "ctx", None)
            term = _error_terminal(sub or ctx)
            if not term.wants_json:
                raise
            term.command = _command_name(sub) or term.command
            term.json(
                term.command or "wfsync",
                {
                    "exitCode": err.exit_code,
                    "error": {"code": "usage", "message": err.format_message(), "file": None, "line": None},
                },
            )
            raise typer.Exit(err.exit_code) from None
        except typer.Abort:
            _error_terminal(ctx).fail("aborted", int(ExitCode.INCOMPLETE), code="interrupted")
            raise typer.Exit(int(ExitCode.INCOMPLETE)) from None
        except KeyboardInterrupt:
            _error_terminal(ctx).fail("interrupted", int(ExitCode.INCOMPLETE), code="interrupted")
            raise typer.Exit(int(ExitCode.INCOMPLETE)) from None
        except WfsyncError as err:
            raise typer.Exit(report(_error_terminal(ctx), err)) from None
        except Exception as err:  # the last line of defence: no traceback unless asked for
            term = _error_terminal(ctx)
            if term.debug or os.environ.get("WFSYNC_DEBUG") or "--debug" in ctx.meta.get("wfsync.args", ()):
                raise
            term.fail(
                f"internal error: {type(err).__name__}: {err} (run with --debug for a traceback)",
                int(ExitCode.INCOMPLETE),
                code="internal",
            )
            raise typer.Exit(int(ExitCode.INCOMPLETE)) from None

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Parse errors raised before any command runs are reported here (as JSON under ``-o json``)."""
        argv = list(sys.argv[1:] if args is None else args)
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click_exceptions.ClickException as err:
            sub = getattr(err, "ctx", None)
            json_wanted = _wants_json(argv)
            if json_wanted and not isinstance(err, click_exceptions.NoArgsIsHelpError):
                term = Terminal(color=False, json_requested=True)
                term.command = _command_name(sub)
                term.json(
                    term.command or "wfsync",
                    {
                        "exitCode": err.exit_code,
                        "error": {
                            "code": "usage",
                            "message": err.format_message(),
                            "file": None,
                            "line": None,
                        },
                    },
                )
            else:
                err.show()
            code = err.exit_code
        except typer.Abort:
            sys.stderr.write("error: aborted\n")
            code = int(ExitCode.INCOMPLETE)
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    name="wfsync",
    cls=WfsyncGroup,
    help="GitOps for Argo Workflows: lint, format, diff and push a git-backed template library.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
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
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print only what the exit code cannot say (errors, findings)."),
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print more detail.")] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="Never colour or style output [env var: NO_COLOR].")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for internal errors [env var: WFSYNC_DEBUG].")
    ] = False,
    version: Annotated[  # noqa: ARG001 - handled by its eager callback
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """GitOps for Argo Workflows. Global options may be given before or after the command."""
    ctx.obj = Terminal(
        output,
        quiet,
        verbose,
        colour_wanted(no_color),
        debug or bool(os.environ.get("WFSYNC_DEBUG")),
        json_requested=bool(ctx.meta.get(_META_JSON)),
        command=ctx.invoked_subcommand,
    )


def _register() -> None:
    from wfsync.cli import cluster, convert, fmt, init, library, lint, review, run, submit, sync

    for module in (init, library, lint, fmt, sync, convert, run, review, cluster, submit):
        module.register(app)


_register()


def main() -> NoReturn:
    """Console-script entry point: every outcome, errors included, becomes an exit code here."""
    command = typer.main.get_command(app)
    code = command.main(args=sys.argv[1:], prog_name="wfsync", standalone_mode=False)
    sys.exit(code if isinstance(code, int) else 0)
