"""govaluate's lexer (``parsing.go``, ``lexerState.go``): tokens and their allowed order.

Argo hands the substituted ``when`` text to govaluate; the token rules decide which texts are
errors at all, so they are ported as they are, state table included.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable
from typing import Any

from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.evaluator import go_regexp
from wfsync.expressions.exprlang.values import format_v
from wfsync.expressions.govaluate_time import parse_time


class _GovaluateError(Exception):
    """An error inside govaluate, before Argo wraps it."""


class K(enum.Enum):
    """govaluate's token kinds."""

    UNKNOWN = "UNKNOWN"
    PREFIX = "PREFIX"
    NUMERIC = "NUMERIC"
    BOOLEAN = "BOOLEAN"
    STRING = "STRING"
    PATTERN = "PATTERN"
    TIME = "TIME"
    VARIABLE = "VARIABLE"
    FUNCTION = "FUNCTION"
    SEPARATOR = "SEPARATOR"
    ACCESSOR = "ACCESSOR"
    COMPARATOR = "COMPARATOR"
    LOGICALOP = "LOGICALOP"
    MODIFIER = "MODIFIER"
    CLAUSE = "CLAUSE"
    CLAUSE_CLOSE = "CLAUSE_CLOSE"
    TERNARY = "TERNARY"


@dataclasses.dataclass(frozen=True)
class Token:
    """A govaluate token; ``value`` is a float, bool, str, list of str (accessor) or compiled pattern."""

    kind: K
    value: Any


_OPERANDS = (
    K.PREFIX,
    K.NUMERIC,
    K.BOOLEAN,
    K.VARIABLE,
    K.PATTERN,
    K.FUNCTION,
    K.ACCESSOR,
    K.STRING,
    K.TIME,
    K.CLAUSE,
)
_AFTER_VALUE = (K.MODIFIER, K.COMPARATOR, K.LOGICALOP, K.CLAUSE_CLOSE, K.TERNARY, K.SEPARATOR)
# lexerState.go: kind -> (isEOF, valid next kinds)
_STATES: dict[K, tuple[bool, tuple[K, ...]]] = {
    K.UNKNOWN: (False, _OPERANDS),
    K.CLAUSE: (False, (*_OPERANDS, K.CLAUSE_CLOSE)),
    K.CLAUSE_CLOSE: (True, (K.COMPARATOR, K.MODIFIER, K.NUMERIC, K.BOOLEAN, K.VARIABLE, K.STRING, K.PATTERN,
                            K.TIME, K.CLAUSE, K.CLAUSE_CLOSE, K.LOGICALOP, K.TERNARY, K.SEPARATOR)),
    K.NUMERIC: (True, _AFTER_VALUE),
    K.BOOLEAN: (True, _AFTER_VALUE),
    K.STRING: (True, _AFTER_VALUE),
    K.TIME: (True, (K.MODIFIER, K.COMPARATOR, K.LOGICALOP, K.CLAUSE_CLOSE, K.SEPARATOR)),
    K.PATTERN: (True, (K.MODIFIER, K.COMPARATOR, K.LOGICALOP, K.CLAUSE_CLOSE, K.SEPARATOR)),
    K.VARIABLE: (True, _AFTER_VALUE),
    K.MODIFIER: (False, (K.PREFIX, K.NUMERIC, K.VARIABLE, K.FUNCTION, K.ACCESSOR, K.STRING, K.BOOLEAN,
                         K.CLAUSE, K.CLAUSE_CLOSE)),
    K.COMPARATOR: (False, (K.PREFIX, K.NUMERIC, K.BOOLEAN, K.VARIABLE, K.FUNCTION, K.ACCESSOR, K.STRING,
                           K.TIME, K.CLAUSE, K.CLAUSE_CLOSE, K.PATTERN)),
    K.LOGICALOP: (False, (K.PREFIX, K.NUMERIC, K.BOOLEAN, K.VARIABLE, K.FUNCTION, K.ACCESSOR, K.STRING,
                          K.TIME, K.CLAUSE, K.CLAUSE_CLOSE)),
    K.PREFIX: (False, (K.NUMERIC, K.BOOLEAN, K.VARIABLE, K.FUNCTION, K.ACCESSOR, K.CLAUSE, K.CLAUSE_CLOSE)),
    K.TERNARY: (False, (K.PREFIX, K.NUMERIC, K.BOOLEAN, K.STRING, K.TIME, K.VARIABLE, K.FUNCTION,
                        K.ACCESSOR, K.CLAUSE, K.SEPARATOR)),
    K.FUNCTION: (False, (K.CLAUSE,)),
    K.ACCESSOR: (True, (K.CLAUSE, K.MODIFIER, K.COMPARATOR, K.LOGICALOP, K.CLAUSE_CLOSE, K.TERNARY, K.SEPARATOR)),
    K.SEPARATOR: (False, (K.PREFIX, K.NUMERIC, K.BOOLEAN, K.STRING, K.TIME, K.VARIABLE, K.FUNCTION,
                          K.ACCESSOR, K.CLAUSE)),
}  # fmt: skip

PREFIX_SYMBOLS = {"-", "!", "~"}
MODIFIER_SYMBOLS = {"+", "-", "*", "/", "%", "**", "&", "|", "^", ">>", "<<"}
LOGICAL_SYMBOLS = {"&&", "||"}
COMPARATOR_SYMBOLS = {"==", "!=", ">", ">=", "<", "<=", "=~", "!~", "in"}
TERNARY_SYMBOLS = {"?", ":", "??"}


# --- lexer (parsing.go) ------------------------------------------------------------------------


class _Stream:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def can_read(self) -> bool:
        return self.pos < len(self.text)

    def read(self) -> str:
        if self.pos >= len(self.text):
            raise _GovaluateError("Unexpected end of expression")
        ch = self.text[self.pos]
        self.pos += 1
        return ch

    def read_until_false(
        self, include_ws: bool, break_ws: bool, escaping: bool, condition: Callable[[str], bool]
    ) -> tuple[str, bool]:
        out: list[str] = []
        while self.can_read():
            ch = self.read()
            if escaping and ch == "\\":
                out.append(self.read())
                continue
            if ch.isspace():
                if break_ws and out:
                    return "".join(out), True
                if not include_ws:
                    continue
            if condition(ch):
                out.append(ch)
            else:
                self.pos -= 1
                return "".join(out), True
        return "".join(out), False

    def read_token_until_false(self, condition: Callable[[str], bool]) -> str:
        self.pos -= 1
        return self.read_until_false(False, True, True, condition)[0]


def _is_numeric(ch: str) -> bool:
    return ch.isdigit() or ch == "."


def _is_variable_name(ch: str) -> bool:
    return ch.isalpha() or ch.isdigit() or ch in "_."


def _is_not_alphanumeric(ch: str) -> bool:
    return not (ch.isdigit() or ch.isalpha() or ch in "()[]'\"")


def _read_token(stream: _Stream, previous: K) -> Token | None:
    while stream.can_read():
        ch = stream.read()
        if ch.isspace():
            continue
        if _is_numeric(ch):
            return _read_number(stream, ch)
        if ch == ",":
            return Token(K.SEPARATOR, ",")
        if ch == "[":
            name, completed = stream.read_until_false(True, False, True, lambda c: c != "]")
            if not completed:
                raise _GovaluateError("Unclosed parameter bracket")
            stream.pos += 1
            return Token(K.VARIABLE, name)
        if ch.isalpha():
            return _read_word(stream)
        if ch in "'\"":
            text, completed = stream.read_until_false(True, False, True, lambda c: c not in "'\"")
            if not completed:
                raise _GovaluateError("Unclosed string literal")
            stream.pos += 1
            moment = parse_time(text)
            return Token(K.TIME, moment) if moment is not None else Token(K.STRING, text)
        if ch == "(":
            return Token(K.CLAUSE, "(")
        if ch == ")":
            return Token(K.CLAUSE_CLOSE, ")")
        return _read_symbol(stream, previous)
    return None


def _read_number(stream: _Stream, ch: str) -> Token:
    """A decimal float or a ``0x`` hexadecimal literal (both float64 in govaluate)."""
    if stream.can_read() and ch == "0":
        ch = stream.read()
        if stream.can_read() and ch == "x":
            digits, _ = stream.read_until_false(False, True, True, lambda c: c in "0123456789abcdefABCDEF")
            try:
                return Token(K.NUMERIC, float(int(digits, 16)))
            except ValueError:
                raise _GovaluateError(f"Unable to parse hex value '{digits}' to uint64\n") from None
        stream.pos -= 1
    text = stream.read_token_until_false(_is_numeric)
    if not re.fullmatch(r"[0-9]*\.?[0-9]*", text) or not re.search(r"[0-9]", text):
        raise _GovaluateError(f"Unable to parse numeric value '{text}' to float64\n")
    return Token(K.NUMERIC, float(text))


def _read_word(stream: _Stream) -> Token:
    """A variable, ``true``/``false``, ``in``, or a dotted accessor (which Argo cannot resolve)."""
    word = stream.read_token_until_false(_is_variable_name)
    token = Token(K.VARIABLE, word)
    if word in ("true", "false"):
        token = Token(K.BOOLEAN, word == "true")
    if word in ("in", "IN"):
        token = Token(K.COMPARATOR, "in")
    if "." in word:
        if word.endswith("."):
            raise _GovaluateError(f"Hanging accessor on token '{word}'")
        parts = word.split(".")
        for part in parts[1:]:
            if part and part[0].upper() != part[0]:
                raise _GovaluateError(f"Unable to access unexported field '{part}' in token '{word}'")
        token = Token(K.ACCESSOR, parts)
    return token


def _read_symbol(stream: _Stream, previous: K) -> Token:
    """An operator; ``-``, ``!`` and ``~`` are prefixes where an operand is expected."""
    symbol = stream.read_token_until_false(_is_not_alphanumeric)
    if K.PREFIX in _STATES[previous][1] and symbol in PREFIX_SYMBOLS:
        return Token(K.PREFIX, symbol)
    for kind, symbols in (
        (K.MODIFIER, MODIFIER_SYMBOLS),
        (K.LOGICALOP, LOGICAL_SYMBOLS),
        (K.COMPARATOR, COMPARATOR_SYMBOLS),
        (K.TERNARY, TERNARY_SYMBOLS),
    ):
        if symbol in symbols:
            return Token(kind, symbol)
    raise _GovaluateError(f"Invalid token: '{symbol}'")


def tokenize(text: str) -> list[Token]:
    """Tokenise like govaluate's ``parseTokens`` plus its parenthesis balance check."""
    stream = _Stream(text)
    tokens: list[Token] = []
    previous = K.UNKNOWN
    while stream.can_read():
        token = _read_token(stream, previous)
        if token is None:
            break
        previous = token.kind
        tokens.append(token)
    depth = sum(1 if t.kind is K.CLAUSE else -1 if t.kind is K.CLAUSE_CLOSE else 0 for t in tokens)
    if depth != 0:
        raise _GovaluateError("Unbalanced parenthesis")
    return tokens


def _format_token_value(token: Token | None) -> str:
    if token is None:
        return "<nil>"
    if token.kind in (K.CLAUSE, K.CLAUSE_CLOSE):
        return str(ord(token.value))
    if token.kind is K.PATTERN:
        return str(token.value.pattern)
    if token.kind is K.TIME:
        return format_v(token.value)
    return format_v(token.value)


def check_syntax(tokens: list[Token]) -> None:
    """Check token order with govaluate's ``checkExpressionSyntax``: token-to-token state machine."""
    state = K.UNKNOWN
    last: Token | None = None
    for token in tokens:
        if token.kind not in _STATES[state][1]:
            if last is not None and last.kind is K.VARIABLE and token.kind is K.CLAUSE:
                raise _GovaluateError(f"Undefined function {last.value}")
            raise _GovaluateError(
                f"Cannot transition token types from {state.value} [{_format_token_value(last)}] "
                f"to {token.kind.value} [{_format_token_value(token)}]"
            )
        state, last = token.kind, token
    if not _STATES[state][0]:
        raise _GovaluateError("Unexpected end of expression")


def optimize(tokens: list[Token]) -> list[Token]:
    """Precompile the constant right-hand side of ``=~``/``!~`` (``optimizeTokens``)."""
    out = list(tokens)
    for i, token in enumerate(out[:-1]):
        if token.kind is K.COMPARATOR and token.value in ("=~", "!~") and out[i + 1].kind is K.STRING:
            try:
                out[i + 1] = Token(K.PATTERN, go_regexp(out[i + 1].value))
            except ExprError as exc:
                raise _GovaluateError(str(exc)) from None
    return out
