"""Syntax tree of expr-lang expressions: immutable nodes, so a parsed program can be cached and shared."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, slots=True)
class Node:
    """Base of every node; ``pos`` is the 0-based source offset used in error messages."""

    pos: int


@dataclasses.dataclass(frozen=True, slots=True)
class Literal(Node):
    """``nil``, ``true``/``false``, an integer, a float or a string."""

    value: object


@dataclasses.dataclass(frozen=True, slots=True)
class Identifier(Node):
    """A name looked up in ``let`` variables, then the Argo functions, then the environment."""

    name: str


@dataclasses.dataclass(frozen=True, slots=True)
class Pointer(Node):
    """``#`` (current element), ``#index`` or ``#acc`` inside a predicate."""

    name: str


@dataclasses.dataclass(frozen=True, slots=True)
class Array(Node):
    """``[a, b, ...]``."""

    items: tuple[Node, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Map(Node):
    """``{key: value, ...}``; keys are expressions (bare names become strings at parse time)."""

    pairs: tuple[tuple[Node, Node], ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Member(Node):
    """``a.b``, ``a?.b``, ``a['b']`` or ``a[0]``."""

    obj: Node
    prop: Node
    optional: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Slice(Node):
    """``a[from:to]`` with either bound optional."""

    obj: Node
    start: Node | None
    stop: Node | None


@dataclasses.dataclass(frozen=True, slots=True)
class Chain(Node):
    """The extent of an optional chain: a nil met at a ``?.`` makes the whole chain nil."""

    node: Node


@dataclasses.dataclass(frozen=True, slots=True)
class Call(Node):
    """A call of a function value: ``f(x)`` or ``sprig.trim(x)``."""

    callee: Node
    args: tuple[Node, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Builtin(Node):
    """A call of one of expr's builtins (``len``, ``filter``, ...); predicates are ``Predicate`` args."""

    name: str
    args: tuple[Node, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Predicate(Node):
    """A closure such as ``{# > 1}`` passed to ``filter``, ``map``, ``all``, ..."""

    body: Node


@dataclasses.dataclass(frozen=True, slots=True)
class Unary(Node):
    """``not x``, ``!x``, ``-x`` or ``+x``."""

    op: str
    operand: Node


@dataclasses.dataclass(frozen=True, slots=True)
class Binary(Node):
    """Any binary operator, including ``??``, ``..``, ``in`` and the string operators."""

    op: str
    left: Node
    right: Node


@dataclasses.dataclass(frozen=True, slots=True)
class Conditional(Node):
    """``cond ? a : b`` (and ``cond ?: b``)."""

    cond: Node
    then: Node
    otherwise: Node


@dataclasses.dataclass(frozen=True, slots=True)
class Let(Node):
    """``let name = value; body``."""

    name: str
    value: Node
    body: Node
