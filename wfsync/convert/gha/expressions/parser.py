"""Recursive-descent parser for GitHub expressions.

Precedence, lowest first: ``||``, ``&&``, ``== !=``, ``< <= > >=``, ``!``, then property access,
indexing and calls. Depth is counted the way GitHub counts it (each operator chain, ``!``, call
argument and property step adds one; more than 50 is an error), so the same expressions are
rejected. Parsed trees are cached: a converter parses the same few expressions many times.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping

from wfsync.convert.gha.expressions.errors import MAX_DEPTH, ExpressionError
from wfsync.convert.gha.expressions.lexer import Tok, Token, tokenize
from wfsync.convert.gha.expressions.nodes import (
    Call,
    Compare,
    CompareOp,
    ContextRef,
    Expr,
    Index,
    Literal,
    Logical,
    LogicalOp,
    Not,
    Star,
)

Arity = tuple[int, int]
"""Minimum and maximum number of arguments of a function."""

_COMPARISONS = (Tok.GT, Tok.GE, Tok.LT, Tok.LE)
_EQUALITIES = (Tok.NE, Tok.EQ)
_LITERALS = {Tok.TRUE: True, Tok.FALSE: False, Tok.NULL: None}


class _Parser:
    def __init__(self, text: str, contexts: frozenset[str] | None, functions: Mapping[str, Arity]) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0
        self.contexts = contexts
        self.functions = functions

    # -- token helpers ------------------------------------------------------------------------

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def previous(self) -> Token:
        return self.tokens[self.pos - 1]

    def at_end(self) -> bool:
        return self.tokens[self.pos].type is Tok.EOF

    def match(self, *types: Tok) -> bool:
        if self.tokens[self.pos].type in types:
            self.pos += 1
            return True
        return False

    def error(self, message: str, token: Token) -> ExpressionError:
        return ExpressionError(
            f"{message}: '{token.describe()}'",
            kind="parsing",
            expression=self.text,
            position=token.offset + 1,
        )

    def expect(self, tok: Tok) -> None:
        if not self.match(tok):
            raise self.error("Unexpected symbol", self.peek())

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"Exceeded max expression depth {MAX_DEPTH}", self.peek())

    # -- grammar ------------------------------------------------------------------------------

    def parse(self) -> Expr:
        if self.at_end():
            return Literal(None)
        expr = self.expression()
        if not self.at_end():
            raise self.error("Unexpected symbol", self.peek())
        return expr

    def expression(self) -> Expr:
        self.deeper()
        expr = self.logical_or()
        self.depth -= 1
        return expr

    def logical_or(self) -> Expr:
        return self.chain(Tok.OR, "||", self.logical_and)

    def logical_and(self) -> Expr:
        return self.chain(Tok.AND, "&&", self.equality)

    def chain(self, tok: Tok, op: LogicalOp, operand: Callable[[], Expr]) -> Expr:
        """``a op b op ...`` as one flat :class:`Logical` (one level deeper), or the lone operand."""
        first = operand()
        if self.peek().type is not tok:
            return first
        self.deeper()
        args = [first]
        while self.match(tok):
            args.append(operand())
        self.depth -= 1
        return Logical(op, tuple(args))

    def equality(self) -> Expr:
        expr = self.comparison()
        while self.match(*_EQUALITIES):
            op: CompareOp = "==" if self.previous().type is Tok.EQ else "!="
            expr = Compare(op, expr, self.comparison())
        return expr

    def comparison(self) -> Expr:
        expr = self.unary()
        while self.match(*_COMPARISONS):
            op: CompareOp = self.previous().type.value  # type: ignore[assignment]
            expr = Compare(op, expr, self.unary())
        return expr

    def unary(self) -> Expr:
        if self.match(Tok.BANG):
            self.deeper()
            operand = self.unary()
            self.depth -= 1
            return Not(operand)
        return self.postfix()

    def postfix(self) -> Expr:
        expr, indexable = self.call()
        if not indexable:
            return expr
        steps = 0
        while True:
            if self.match(Tok.LBRACKET):
                index: Expr | Star = Star() if self.match(Tok.STAR) else self.expression()
                self.expect(Tok.RBRACKET)
                self.deeper()
                steps += 1
                expr = Index(expr, index)
            elif self.match(Tok.DOT):
                self.deeper()
                steps += 1
                if self.match(Tok.IDENT):
                    expr = Index(expr, Literal(self.previous().lexeme))
                elif self.match(Tok.STAR):
                    expr = Index(expr, Star())
                else:
                    raise self.error("Unexpected symbol", self.peek())
            else:
                break
        self.depth -= steps
        return expr

    def call(self) -> tuple[Expr, bool]:
        """A named value, a call or a primary; the flag says whether ``.``/``[]`` may follow."""
        if self.peek().type is not Tok.IDENT:
            return self.primary()
        name = self.peek()
        self.pos += 1
        if not self.match(Tok.LPAREN):
            if self.contexts is not None and name.lexeme.lower() not in self.contexts:
                raise self.error("Unrecognized named-value", name)
            return ContextRef(name.lexeme, name.offset), True
        args: list[Expr] = []
        while not self.match(Tok.RPAREN):
            args.append(self.expression())
            if self.peek().type is not Tok.RPAREN:
                self.expect(Tok.COMMA)
        self.check_call(name, len(args))
        return Call(name.lexeme, tuple(args), name.offset), True

    def check_call(self, name: Token, count: int) -> None:
        arity = self.functions.get(name.lexeme.lower())
        if arity is None:
            raise self.error("Unrecognized function", name)
        if count < arity[0]:
            raise self.error("Too few parameters supplied", name)
        if count > arity[1]:
            raise self.error("Too many parameters supplied", name)
        if name.lexeme.lower() == "case" and count % 2 == 0:
            raise self.error("Even number of parameters supplied, requires an odd number of parameters", name)

    def primary(self) -> tuple[Expr, bool]:
        token = self.peek()
        if token.type in _LITERALS:
            self.pos += 1
            return Literal(_LITERALS[token.type]), False
        if token.type is Tok.NUMBER or token.type is Tok.STRING:
            self.pos += 1
            return Literal(token.value), False
        if self.match(Tok.LPAREN):
            expr = self.expression()
            if self.at_end():
                raise self.error("Unexpected end of expression", self.previous())
            self.expect(Tok.RPAREN)
            return expr, True
        if self.at_end():
            raise self.error("Unexpected end of expression", self.previous())
        raise self.error("Unexpected symbol", token)


def parse(
    text: str,
    *,
    contexts: Iterable[str] | None = None,
    functions: Mapping[str, Arity] | None = None,
) -> Expr:
    """Parse one expression (without ``${{ }}``); raises :class:`ExpressionError`.

    ``contexts`` lists the named values the expression may use (any name when ``None``);
    ``functions`` maps extra function names to their arity, on top of GitHub's functions.
    An empty expression parses to ``Literal(None)``.
    """
    allowed = None if contexts is None else frozenset(name.lower() for name in contexts)
    extra = () if not functions else tuple(sorted((k.lower(), v) for k, v in functions.items()))
    return _parse_cached(text, allowed, extra)


@functools.lru_cache(maxsize=8192)
def _parse_cached(text: str, contexts: frozenset[str] | None, extra: tuple[tuple[str, Arity], ...]) -> Expr:
    from wfsync.convert.gha.expressions.functions import ARITIES

    functions = {**ARITIES, **dict(extra)} if extra else ARITIES
    return _Parser(text, contexts, functions).parse()
