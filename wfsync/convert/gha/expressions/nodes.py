"""The syntax tree of a GitHub expression: small frozen dataclasses, hashable and shareable."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal as TypingLiteral


@dataclass(frozen=True, slots=True)
class Literal:
    """``null``, ``true``, a number or a string (also a ``.name`` property after a dot).

    A value a reusable-workflow call passes in may be any YAML value (see :mod:`..reusable`).
    """

    value: object


@dataclass(frozen=True, slots=True)
class ContextRef:
    """A named value such as ``github`` or ``matrix``; ``name`` keeps the spelling used."""

    name: str
    offset: int


@dataclass(frozen=True, slots=True)
class Star:
    """The ``*`` of ``a.*`` or ``a[*]``."""


@dataclass(frozen=True, slots=True)
class Index:
    """``target[index]`` or ``target.name`` (the name as a string literal) or ``target.*``."""

    target: Expr
    index: Expr | Star


@dataclass(frozen=True, slots=True)
class Not:
    """``!operand``."""

    operand: Expr


CompareOp = TypingLiteral["==", "!=", "<", "<=", ">", ">="]
LogicalOp = TypingLiteral["&&", "||"]


@dataclass(frozen=True, slots=True)
class Compare:
    """A binary comparison."""

    op: CompareOp
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Logical:
    """``a && b && ...`` or ``a || b || ...``; evaluates to the deciding operand."""

    op: LogicalOp
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Call:
    """A function call; ``name`` keeps the spelling used (functions match case-insensitively)."""

    name: str
    args: tuple[Expr, ...]
    offset: int


Expr = Literal | ContextRef | Index | Not | Compare | Logical | Call


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node of ``expr``, parents before children."""
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Index):
            if not isinstance(node.index, Star):
                stack.append(node.index)
            stack.append(node.target)
        elif isinstance(node, Not):
            stack.append(node.operand)
        elif isinstance(node, Compare):
            stack.extend((node.right, node.left))
        elif isinstance(node, Logical | Call):
            stack.extend(reversed(node.args))


def referenced_contexts(expr: Expr) -> set[str]:
    """The lower-cased context names ``expr`` reads, e.g. ``{'github', 'matrix'}``.

    An expression whose contexts are all known (and which calls no status function or
    ``hashFiles``, see :func:`referenced_functions`) can be folded at conversion time.
    """
    return {node.name.lower() for node in walk(expr) if isinstance(node, ContextRef)}


def referenced_functions(expr: Expr) -> set[str]:
    """The lower-cased function names ``expr`` calls, e.g. ``{'success', 'contains'}``."""
    return {node.name.lower() for node in walk(expr) if isinstance(node, Call)}
