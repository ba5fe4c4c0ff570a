"""Tokenizer for expr-lang (github.com/expr-lang/expr v1.17, ``parser/lexer``)."""

from __future__ import annotations

import dataclasses
import enum

from wfsync.expressions.exprlang.errors import ExprError


class Kind(enum.Enum):
    """Token kinds, as in expr's lexer."""

    IDENTIFIER = "Identifier"
    NUMBER = "Number"
    STRING = "String"
    OPERATOR = "Operator"
    BRACKET = "Bracket"
    EOF = "EOF"


@dataclasses.dataclass(frozen=True, slots=True)
class Token:
    """One token with its 0-based offset in the source (for error locations)."""

    kind: Kind
    value: str
    pos: int

    def is_(self, kind: Kind, *values: str) -> bool:
        """True when the token has ``kind`` and (if given) one of ``values``."""
        return self.kind is kind and (not values or self.value in values)

    def __str__(self) -> str:
        if self.kind is Kind.EOF:
            return "EOF"
        return (
            f'{self.kind.value}("{self.value}")'
            if self.kind is Kind.STRING
            else f"{self.kind.value}({self.value})"
        )


KEYWORD_OPERATORS = frozenset(
    {"in", "or", "and", "matches", "contains", "startsWith", "endsWith", "let", "if", "else"}
)
NEGATABLE = frozenset({"in", "matches", "contains", "startsWith", "endsWith"})
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def is_alnum(ch: str) -> bool:
    """Expr's ``IsAlphaNumeric``: letters, digits, ``_`` and ``$``."""
    return ch.isalnum() or ch in "_$"


def location(source: str, pos: int) -> str:
    """``line:column`` (1-based) like expr's error locations."""
    line = source.count("\n", 0, pos) + 1
    column = pos - (source.rfind("\n", 0, pos) + 1) + 1
    return f"{line}:{column}"


def _error(source: str, pos: int, message: str) -> ExprError:
    return ExprError(f"{message} ({location(source, pos)})")


def unescape(source: str, start: int, body: str, quote: str) -> str:
    """Go-style unescaping of a quoted string body (newline, hex, unicode and octal escapes)."""
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        i += 1
        if i >= len(body):
            raise _error(source, start, "literal not terminated")
        esc = body[i]
        if esc in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[esc])
            i += 1
        elif esc == quote:
            out.append(esc)
            i += 1
        elif esc in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[esc]
            digits = body[i + 1 : i + 1 + width]
            if len(digits) != width or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise _error(source, start, "invalid char escape")
            out.append(chr(int(digits, 16)))
            i += 1 + width
        elif esc in "01234567":
            digits = body[i : i + 3]
            if len(digits) != 3 or any(c not in "01234567" for c in digits) or int(digits, 8) > 255:
                raise _error(source, start, "invalid char escape")
            out.append(chr(int(digits, 8)))
            i += 3
        else:
            raise _error(source, start, "invalid char escape")
    return "".join(out)


def lex(source: str) -> list[Token]:
    """Split ``source`` into tokens, ending with an EOF token; errors carry a ``line:col``."""
    tokens: list[Token] = []
    n = len(source)
    i = 0
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
        elif ch in "'\"":
            i = _scan_quoted(source, i, tokens)
        elif ch == "`":
            end = source.find("`", i + 1)
            if end < 0:
                raise _error(source, i, "literal not terminated")
            tokens.append(Token(Kind.STRING, source[i + 1 : end], i))
            i = end + 1
        elif ch.isdigit() or (ch == "." and i + 1 < n and source[i + 1].isdigit()):
            end = _scan_number(source, i)
            tokens.append(Token(Kind.NUMBER, source[i:end], i))
            i = end
        elif ch == "/":
            i = _scan_slash(source, i, tokens)
        elif ch == "#":
            i = _scan_pointer(source, i, tokens)
        elif ch in "([{)]}":
            tokens.append(Token(Kind.BRACKET, ch, i))
            i += 1
        elif is_alnum(ch):
            i = _scan_word(source, i, tokens)
        else:
            i = _scan_operator(source, i, tokens)
    tokens.append(Token(Kind.EOF, "", n))
    return tokens


_SECOND_CHAR = {"?": ".?", "|": "|", ":": ":", "&": "&=*", "!": "&=*", "=": "&=*", "*": "&=*", "<": "&=*"}
_SECOND_CHAR.update({">": "&=*", ".": "."})
"""Operators that may take a second character, and which ones (``??``, ``&&``, ``<=``, ``..``)."""


def _scan_operator(source: str, i: int, tokens: list[Token]) -> int:
    ch = source[i]
    if ch in ",;%+-^":
        tokens.append(Token(Kind.OPERATOR, ch, i))
        return i + 1
    second = _SECOND_CHAR.get(ch)
    if second is None:
        raise _error(source, i, f"unrecognized character: U+{ord(ch):04X} '{ch}'")
    end = i + 1
    if end < len(source) and source[end] in second:
        end += 1
    tokens.append(Token(Kind.OPERATOR, source[i:end], i))
    return end


def _scan_quoted(source: str, start: int, tokens: list[Token]) -> int:
    """A single- or double-quoted string (escapes decoded); it may not span lines."""
    quote, n, i = source[start], len(source), start + 1
    while i < n and source[i] != quote:
        if source[i] == "\\":
            i += 1
        if i < n and source[i] == "\n":
            raise _error(source, start, "literal not terminated")
        i += 1
    if i >= n:
        raise _error(source, start, "literal not terminated")
    tokens.append(Token(Kind.STRING, unescape(source, start, source[start + 1 : i], quote), start))
    return i + 1


def _scan_slash(source: str, i: int, tokens: list[Token]) -> int:
    """A ``//`` or ``/* */`` comment (skipped), else the division operator."""
    if source.startswith("//", i):
        end = source.find("\n", i)
        return len(source) if end < 0 else end
    if source.startswith("/*", i):
        end = source.find("*/", i + 2)
        if end < 0:
            raise _error(source, i, "unclosed comment")
        return end + 2
    tokens.append(Token(Kind.OPERATOR, "/", i))
    return i + 1


def _scan_pointer(source: str, start: int, tokens: list[Token]) -> int:
    """``#``, ``##`` and the name after them (``#index``, ``#acc``)."""
    n, i = len(source), start + 1
    if i < n and source[i] == "#":
        i += 1
    tokens.append(Token(Kind.OPERATOR, source[start:i], start))
    word_start = i
    while i < n and is_alnum(source[i]):
        i += 1
    if i > word_start:
        tokens.append(Token(Kind.IDENTIFIER, source[word_start:i], word_start))
    return i


def _scan_word(source: str, start: int, tokens: list[Token]) -> int:
    """An identifier or keyword operator; ``not in``, ``not matches`` ... become two operators."""
    n, i = len(source), start
    while i < n and is_alnum(source[i]):
        i += 1
    word = source[start:i]
    if word == "not":
        tokens.append(Token(Kind.OPERATOR, "not", start))
        j = i
        while j < n and source[j].isspace():
            j += 1
        k = j
        while k < n and is_alnum(source[k]):
            k += 1
        if source[j:k] in NEGATABLE:
            tokens.append(Token(Kind.OPERATOR, source[j:k], j))
            i = k
    elif word in KEYWORD_OPERATORS:
        tokens.append(Token(Kind.OPERATOR, word, start))
    else:
        tokens.append(Token(Kind.IDENTIFIER, word, start))
    return i


def _scan_number(source: str, i: int) -> int:
    n = len(source)
    digits = "0123456789_"
    if source.startswith(("0x", "0X"), i):
        digits, i = "0123456789abcdefABCDEF_", i + 2
    elif source.startswith(("0o", "0O"), i):
        digits, i = "01234567_", i + 2
    elif source.startswith(("0b", "0B"), i):
        digits, i = "01_", i + 2
    while i < n and source[i] in digits:
        i += 1
    if i < n and source[i] == "." and not source.startswith("..", i):
        i += 1
        while i < n and source[i] in digits:
            i += 1
    if i < n and source[i] in "eE" and digits.startswith("0123456789_"):
        i += 1
        if i < n and source[i] in "+-":
            i += 1
        while i < n and source[i] in digits:
            i += 1
    if i < n and is_alnum(source[i]):
        start = i
        while start > 0 and (is_alnum(source[start - 1]) or source[start - 1] == "."):
            start -= 1
        raise _error(source, start, f'bad number syntax: "{source[start : i + 1]}"')
    return i
