"""``${{ ... }}`` inside workflow strings: finding them and interpolating their values.

A ``}}`` inside a quoted string of the expression does not close it, as in GitHub's template
reader. Interpolated values become strings with the same rules as ``format()``; a value that is
one expression and nothing else keeps its type (:func:`evaluate_field`), which is how GitHub
treats keys such as ``if``, ``with`` inputs or ``continue-on-error``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wfsync.convert.gha.expressions.errors import ExpressionError
from wfsync.convert.gha.expressions.evaluate import evaluate
from wfsync.convert.gha.expressions.values import to_string

OPEN = "${{"
CLOSE = "}}"


@dataclass(frozen=True, slots=True)
class ExpressionSpan:
    """One ``${{ ... }}``: ``text[start:end]`` is the whole span, ``expression`` the inside, stripped."""

    start: int
    end: int
    expression: str


def find_expressions(text: str) -> list[ExpressionSpan]:
    """Every ``${{ ... }}`` in ``text``, in order; an unclosed one raises :class:`ExpressionError`."""
    spans: list[ExpressionSpan] = []
    pos = text.find(OPEN)
    while pos >= 0:
        cursor = pos + len(OPEN)
        in_string = False
        end = -1
        while cursor < len(text):
            char = text[cursor]
            if char == "'":
                in_string = not in_string  # '' inside a string toggles twice
            elif not in_string and text.startswith(CLOSE, cursor):
                end = cursor
                break
            cursor += 1
        if end < 0:
            raise ExpressionError(
                "The expression is not closed. An unescaped ${{ sequence was found, "
                "but the closing }} sequence was not found",
                kind="parsing",
                expression=text,
                position=pos + 1,
            )
        spans.append(ExpressionSpan(pos, end + len(CLOSE), text[pos + len(OPEN) : end].strip()))
        pos = text.find(OPEN, end + len(CLOSE))
    return spans


def has_expressions(text: str) -> bool:
    """Whether ``text`` contains a ``${{``."""
    return OPEN in text


def _evaluate_span(
    span: ExpressionSpan, contexts: Mapping[str, object], options: Mapping[str, Any]
) -> object:
    if not span.expression:
        raise ExpressionError("An expression was expected", kind="parsing", expression=span.expression)
    return evaluate(span.expression, contexts, **options)


def evaluate_template(text: str, contexts: Mapping[str, object] | None = None, **options: Any) -> str:
    """``text`` with every ``${{ ... }}`` replaced by its value as a string.

    ``options`` are passed on to :func:`evaluate` (``functions``, ``status``, ``workspace``).
    """
    contexts = contexts if contexts is not None else {}
    out: list[str] = []
    pos = 0
    for span in find_expressions(text):
        out.append(text[pos : span.start])
        out.append(to_string(_evaluate_span(span, contexts, options)))
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


def evaluate_field(text: str, contexts: Mapping[str, object] | None = None, **options: Any) -> object:
    """Like :func:`evaluate_template`, but a value that is exactly one expression keeps its type.

    Exactly means no surrounding text, not even whitespace: on GitHub ``if: |`` followed by
    ``${{ false }}`` is the string 'false' plus a newline, which is truthy.
    """
    contexts = contexts if contexts is not None else {}
    spans = find_expressions(text)
    if len(spans) == 1 and spans[0].start == 0 and spans[0].end == len(text):
        return _evaluate_span(spans[0], contexts, options)
    return evaluate_template(text, contexts, **options)
