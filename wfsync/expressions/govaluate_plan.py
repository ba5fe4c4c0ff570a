"""govaluate's planner (``stagePlanner.go``): tokens into a tree of stages by precedence."""

from __future__ import annotations

import dataclasses
from typing import Any

from wfsync.expressions.govaluate_tokens import COMPARATOR_SYMBOLS, TERNARY_SYMBOLS, K, Token, _GovaluateError


@dataclasses.dataclass(frozen=True)
class Stage:
    """One evaluation stage: an operator symbol with its operands, or a literal/accessor leaf."""

    symbol: str
    left: Stage | None = None
    right: Stage | None = None
    value: Any = None


_LEVELS: list[tuple[K, frozenset[str], str]] = [
    (K.TERNARY, frozenset(TERNARY_SYMBOLS), "ternary"),
    (K.LOGICALOP, frozenset({"||"}), "logical"),
    (K.LOGICALOP, frozenset({"&&"}), "logical"),
    (K.COMPARATOR, frozenset(COMPARATOR_SYMBOLS), "comparator"),
    (K.MODIFIER, frozenset({"&", "|", "^"}), "modifier"),
    (K.MODIFIER, frozenset({">>", "<<"}), "modifier"),
    (K.MODIFIER, frozenset({"+", "-"}), "modifier"),
    (K.MODIFIER, frozenset({"*", "/", "%"}), "modifier"),
    (K.MODIFIER, frozenset({"**"}), "modifier"),
]


class _Planner:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def plan(self) -> Stage | None:
        if not self.tokens:
            return None
        stage = self.separator()
        if self.pos != len(self.tokens):
            raise _GovaluateError(f"Unable to plan token kind: '{self.tokens[self.pos].kind.value}'")
        return stage

    def separator(self) -> Stage | None:
        left = self.level(0)
        while (token := self.peek()) is not None and token.kind is K.SEPARATOR:
            self.pos += 1
            left = Stage(",", left, self.level(0))
        return left

    def level(self, index: int) -> Stage | None:
        if index == len(_LEVELS):
            return self.prefix()
        kind, symbols, _ = _LEVELS[index]
        left = self.level(index + 1)
        while (token := self.peek()) is not None and token.kind is kind and token.value in symbols:
            self.pos += 1
            left = Stage(token.value, left, self.level(index + 1))
        return left

    def prefix(self) -> Stage | None:
        token = self.peek()
        if token is not None and token.kind is K.PREFIX:
            self.pos += 1
            return Stage("prefix" + token.value, None, self.prefix_operand())
        return self.value()

    def prefix_operand(self) -> Stage | None:
        token = self.peek()
        if token is not None and token.kind is K.PREFIX:
            return self.prefix()
        return self.value()

    def value(self) -> Stage | None:
        token = self.peek()
        if token is None:
            return None
        self.pos += 1
        if token.kind is K.CLAUSE:
            previous = self.tokens[self.pos - 2] if self.pos >= 2 else None
            inner = self.separator()
            closing = self.peek()
            if closing is None or closing.kind is not K.CLAUSE_CLOSE:
                raise _GovaluateError("Unbalanced parenthesis")
            self.pos += 1
            if inner is None:
                raise _GovaluateError("Unable to plan token kind: 'CLAUSE_CLOSE', value: ')'")
            if previous is not None and previous.kind is K.COMPARATOR and previous.value == "in":
                if inner.symbol == "literal":
                    inner = Stage("literal", value=[inner.value])
            return Stage("noop", None, inner)
        if token.kind is K.CLAUSE_CLOSE:
            self.pos -= 1
            return None
        if token.kind is K.ACCESSOR:
            nxt = self.peek()
            if nxt is not None and nxt.kind is K.CLAUSE:
                self.value()
            return Stage("accessor", value=token.value)
        if token.kind is K.VARIABLE:
            return Stage("parameter", value=token.value)
        if token.kind in (K.NUMERIC, K.STRING, K.PATTERN, K.BOOLEAN, K.TIME):
            return Stage("literal", value=token.value)
        raise _GovaluateError(f"Unable to plan token kind: '{token.kind.value}', value: '{token.value}'")
