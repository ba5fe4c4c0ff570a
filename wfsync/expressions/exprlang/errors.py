"""The one error type of the expression language."""

from __future__ import annotations

from wfsync.errors import ExitCode, WfsyncError


class ExprError(WfsyncError):
    """An expression failed to compile or evaluate; the message reads like expr-lang's own."""

    exit_code = ExitCode.FINDINGS
