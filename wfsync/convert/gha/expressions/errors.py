"""The one error type of the expression package, with GitHub's wording and position."""

from __future__ import annotations

from typing import Literal

from wfsync.errors import InputError

ErrorKind = Literal["lexing", "parsing", "evaluation"]

MAX_DEPTH = 50
"""GitHub rejects expressions nested deeper than this (operators, calls, property chains)."""
MAX_LENGTH = 21000
"""GitHub rejects longer expressions before lexing them."""
MAX_MEMORY_BYTES = 1024 * 1024
"""Budget for the strings one evaluation holds at once (UTF-16 bytes, as GitHub counts them)."""


class ExpressionError(InputError):
    """An expression that cannot be read or evaluated.

    ``kind`` says which stage failed, ``position`` is the 1-based character offset of the
    offending token in ``expression`` (``None`` for evaluation errors). ``str(err)`` reads like
    GitHub's own message, e.g. ``Unexpected symbol: '2'. Located at position 3 within expression: 1 2``.
    """

    def __init__(
        self, message: str, *, kind: ErrorKind, expression: str = "", position: int | None = None
    ) -> None:
        self.message = message
        self.kind: ErrorKind = kind
        self.expression = expression
        self.position = position
        if position is not None:
            text = f"{message}. Located at position {position} within expression: {expression}"
        elif expression:
            text = f"{message}. Located within expression: {expression}"
        else:
            text = message
        super().__init__(text)

    def with_expression(self, expression: str) -> ExpressionError:
        """The same error, naming ``expression`` (evaluation errors learn it late)."""
        if self.expression:
            return self
        return ExpressionError(self.message, kind=self.kind, expression=expression, position=self.position)
