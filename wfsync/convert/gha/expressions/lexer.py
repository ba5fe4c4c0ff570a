"""Tokens of a GitHub expression (the text between ``${{`` and ``}}``).

The token boundaries, the keyword set (case-sensitive ``true``, ``false``, ``null``, ``NaN``,
``Infinity``) and the error wording follow GitHub's reference lexer, so that error messages and
positions match GitHub's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from wfsync.convert.gha.expressions.errors import MAX_LENGTH, ExpressionError
from wfsync.convert.gha.expressions.values import string_to_number


class Tok(enum.Enum):
    """Token types."""

    LPAREN = "("
    RPAREN = ")"
    LBRACKET = "["
    RBRACKET = "]"
    COMMA = ","
    DOT = "."
    BANG = "!"
    NE = "!="
    EQ = "=="
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    AND = "&&"
    OR = "||"
    STAR = "*"
    NUMBER = "number"
    STRING = "string"
    IDENT = "identifier"
    TRUE = "true"
    FALSE = "false"
    NULL = "null"
    EOF = "EOF"


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its type, source text, literal value and 0-based offset."""

    type: Tok
    lexeme: str
    offset: int
    value: str | float | None = None

    def describe(self) -> str:
        """The token as GitHub's messages quote it (strings unquoted, EOF as 'EOF')."""
        if self.type is Tok.EOF:
            return "EOF"
        if self.type is Tok.STRING:
            return str(self.value)
        return self.lexeme


_SINGLE = {
    "(": Tok.LPAREN,
    ")": Tok.RPAREN,
    "[": Tok.LBRACKET,
    "]": Tok.RBRACKET,
    ",": Tok.COMMA,
    "*": Tok.STAR,
}
_BOUNDARY = frozenset("([)],.!><=&|")
_KEYWORDS = {"true": Tok.TRUE, "false": Tok.FALSE, "null": Tok.NULL}
_DOT_IS_PROPERTY = frozenset({Tok.IDENT, Tok.RBRACKET, Tok.RPAREN, Tok.STAR})
_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENT_REST = _IDENT_START | frozenset("0123456789-")


def _is_boundary(char: str) -> bool:
    return char in _BOUNDARY or char.isspace()


def _legal_identifier(text: str) -> bool:
    return bool(text) and text[0] in _IDENT_START and all(c in _IDENT_REST for c in text[1:])


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens ending with EOF; raises :class:`ExpressionError` (kind lexing)."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"Exceeded max expression length {MAX_LENGTH}", kind="lexing", expression=text)
    return _Lexer(text).run()


class _Lexer:
    """One pass over an expression's text; each ``add_*`` appends a token and returns the next position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.length = len(text)
        self.tokens: list[Token] = []

    def run(self) -> list[Token]:
        text, tokens = self.text, self.tokens
        pos = start = 0
        while pos < self.length:
            start = pos
            char = text[pos]
            if char in _SINGLE:
                tokens.append(Token(_SINGLE[char], char, pos))
                pos += 1
            elif char == ".":
                if tokens and tokens[-1].type in _DOT_IS_PROPERTY:
                    tokens.append(Token(Tok.DOT, char, pos))
                    pos += 1
                else:
                    pos = self.add_number(pos)
            elif char in "-+" or "0" <= char <= "9":
                pos = self.add_number(pos)
            elif char in "!<>=&|":
                pos = self.add_operator(pos, char)
            elif char in " \r\t\n":
                pos += 1
            elif char == "'":
                token = _scan_string(text, pos)
                tokens.append(token)
                pos = token.offset + len(token.lexeme)
            else:
                pos = self.add_word(pos, 1)
        tokens.append(Token(Tok.EOF, "", start))
        return tokens

    def error(self, lexeme: str, at: int) -> ExpressionError:
        return ExpressionError(
            f"Unexpected symbol: '{lexeme}'", kind="lexing", expression=self.text, position=at + 1
        )

    def add_operator(self, pos: int, char: str) -> int:
        """``!``, ``<``, ``>`` (each maybe with ``=``), ``==``, ``&&`` or ``||``."""
        nxt = self.text[pos + 1] if pos + 1 < self.length else ""
        if char in "!<>":
            if nxt == "=":
                self.tokens.append(Token(Tok(char + "="), char + "=", pos))
                return pos + 2
            self.tokens.append(Token(Tok(char), char, pos))
            return pos + 1
        if nxt == char:
            self.tokens.append(Token(Tok(char * 2), char * 2, pos))
            return pos + 2
        return self.add_word(pos, 1)  # always an error: the lexeme cannot be an identifier

    def scan_word(self, begin: int, allow_dot: bool) -> int:
        text, end = self.text, begin
        while end < self.length and (not _is_boundary(text[end]) or (allow_dot and text[end] == ".")):
            end += 1
        return end

    def add_number(self, begin: int) -> int:
        end = self.scan_word(begin + 1, allow_dot=True)
        lexeme = self.text[begin:end]
        value = string_to_number(lexeme)
        if value != value:
            raise self.error(lexeme, begin)
        self.tokens.append(Token(Tok.NUMBER, lexeme, begin, value))
        return end

    def add_word(self, begin: int, first_len: int) -> int:
        end = self.scan_word(begin + first_len, allow_dot=False)
        lexeme = self.text[begin:end]
        previous = self.tokens[-1].type if self.tokens else Tok.EOF
        kind, value = Tok.IDENT, None
        if previous is not Tok.DOT:
            if lexeme in _KEYWORDS:
                kind = _KEYWORDS[lexeme]
            elif lexeme == "NaN":
                kind, value = Tok.NUMBER, float("nan")
            elif lexeme == "Infinity":
                kind, value = Tok.NUMBER, float("inf")
        if not _legal_identifier(lexeme):
            raise self.error(lexeme, begin)
        self.tokens.append(Token(kind, lexeme, begin, value))
        return end


def _scan_string(text: str, begin: int) -> Token:
    """A single-quoted string, ``''`` standing for one quote."""
    parts: list[str] = []
    pos = begin + 1
    while True:
        close = text.find("'", pos)
        if close < 0:
            raise ExpressionError(
                f"Unexpected symbol: '{text[begin:]}'", kind="lexing", expression=text, position=begin + 1
            )
        parts.append(text[pos:close])
        if text.startswith("'", close + 1):
            parts.append("'")
            pos = close + 2
            continue
        return Token(Tok.STRING, text[begin : close + 1], begin, "".join(parts))
