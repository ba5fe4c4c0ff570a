"""Turns a syntax tree into nested Python closures once, so each evaluation is a plain call chain.

The runtime the closures call (operators, member access, scopes) is :mod:`.runtime`; predicate
builtins are :mod:`.predicates`. Their public names stay importable from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from wfsync.expressions.exprlang import ast
from wfsync.expressions.exprlang.builtins import BUILTINS
from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.parser import PREDICATES
from wfsync.expressions.exprlang.predicates import _predicate
from wfsync.expressions.exprlang.runtime import (
    _MISSING,
    BINARY_OPERATORS,
    Fn,
    Scope,
    _bool,
    _NilChain,
    _slice,
    equal,
    fetch,
    go_regexp,
)
from wfsync.expressions.exprlang.values import format_v, go_type, is_number

__all__ = ["BINARY_OPERATORS", "Fn", "Scope", "compile_node", "equal", "fetch", "go_regexp"]


def compile_node(node: ast.Node) -> Fn:
    """Closure that evaluates ``node`` in a scope."""
    compiler = _COMPILERS.get(type(node))
    if compiler is None:
        raise ExprError(f"unsupported node {type(node).__name__}")
    return compiler(node)


def _literal(node: ast.Literal) -> Fn:
    value = node.value
    return lambda _scope: value


def _pointer(node: ast.Pointer) -> Fn:
    if node.name == "":
        return lambda scope: scope.item
    if node.name == "index":
        return lambda scope: scope.index
    if node.name == "acc":
        return lambda scope: scope.acc
    raise ExprError(f"unknown pointer #{node.name}")


def _chain(node: ast.Chain) -> Fn:
    inner = compile_node(node.node)

    def chain(scope: Scope) -> Any:
        try:
            return inner(scope)
        except _NilChain:
            return None

    return chain


def _slice_node(node: ast.Slice) -> Fn:
    obj_fn = compile_node(node.obj)
    start_fn = compile_node(node.start) if node.start else None
    stop_fn = compile_node(node.stop) if node.stop else None
    return lambda scope: _slice(
        obj_fn(scope), start_fn(scope) if start_fn else None, stop_fn(scope) if stop_fn else None
    )


def _array(node: ast.Array) -> Fn:
    item_fns = [compile_node(item) for item in node.items]
    return lambda scope: [fn(scope) for fn in item_fns]


def _map(node: ast.Map) -> Fn:
    pair_fns = [(compile_node(k), compile_node(v)) for k, v in node.pairs]
    return lambda scope: {_map_key(k(scope)): v(scope) for k, v in pair_fns}


def _conditional(node: ast.Conditional) -> Fn:
    cond_fn, then_fn, else_fn = (
        compile_node(node.cond),
        compile_node(node.then),
        compile_node(node.otherwise),
    )
    return lambda scope: then_fn(scope) if _bool(cond_fn(scope)) else else_fn(scope)


def _let(node: ast.Let) -> Fn:
    value_fn, body_fn, name = compile_node(node.value), compile_node(node.body), node.name
    return lambda scope: body_fn(scope.bind(name, value_fn(scope)))


def _builtin(node: ast.Builtin) -> Fn:
    arg_fns = tuple(compile_node(arg) for arg in node.args)
    if node.name in PREDICATES:
        return _predicate(node.name, arg_fns)
    builtin = BUILTINS[node.name]
    return lambda scope: builtin(*[fn(scope) for fn in arg_fns])


def _map_key(key: object) -> str:
    return key if isinstance(key, str) else format_v(key)


def _identifier(name: str) -> Fn:
    def lookup(scope: Scope) -> Any:
        variables = scope.variables
        if variables and name in variables:
            return variables[name]
        function = scope.functions.get(name, _MISSING)
        if function is not _MISSING:
            return function
        env = scope.env
        if name in env:
            return env[name]
        raise ExprError(f"unknown name {name}")

    return lookup


def _member(node: ast.Member) -> Fn:
    obj_fn = compile_node(node.obj)
    optional = node.optional
    if isinstance(node.prop, ast.Literal) and isinstance(node.prop.value, str):
        key = node.prop.value

        def named(scope: Scope) -> Any:
            obj = obj_fn(scope)
            if type(obj) is dict:
                return obj.get(key)
            if obj is None:
                if optional:
                    raise _NilChain
                raise ExprError(f"cannot fetch {key} from <nil>")
            return fetch(obj, key)

        return named
    prop_fn = compile_node(node.prop)

    def indexed(scope: Scope) -> Any:
        obj = obj_fn(scope)
        if obj is None:
            if optional:
                raise _NilChain
            raise ExprError(f"cannot fetch {format_v(prop_fn(scope))} from <nil>")
        return fetch(obj, prop_fn(scope))

    return indexed


def _unary(node: ast.Unary) -> Fn:
    operand = compile_node(node.operand)
    if node.op in ("not", "!"):
        return lambda scope: not _bool(operand(scope))

    def sign(scope: Scope) -> Any:
        value = operand(scope)
        if is_number(value) or isinstance(value, dt.timedelta):
            return -value if node.op == "-" else value
        raise ExprError(f"invalid operation: {node.op} {go_type(value)}")

    return sign


def _binary(node: ast.Binary) -> Fn:
    left, right = compile_node(node.left), compile_node(node.right)
    op = node.op
    if op in ("and", "&&"):
        return lambda scope: right(scope) if _bool(left(scope)) else False
    if op in ("or", "||"):
        return lambda scope: True if _bool(left(scope)) else right(scope)
    if op == "??":

        def coalesce(scope: Scope) -> Any:
            try:
                value = left(scope)
            except _NilChain:
                value = None
            return right(scope) if value is None else value

        return coalesce
    operator = BINARY_OPERATORS.get(op)
    if operator is None:
        raise ExprError(f"unknown operator {op}")
    if op == "matches" and isinstance(node.right, ast.Literal) and isinstance(node.right.value, str):
        go_regexp(node.right.value)  # a bad literal pattern is a compile error, as in expr
    return lambda scope: operator(left(scope), right(scope))


def _call(node: ast.Call) -> Fn:
    callee_fn = compile_node(node.callee)
    arg_fns = [compile_node(arg) for arg in node.args]
    callee = node.callee
    name = "function"
    if isinstance(callee, ast.Identifier):
        name = callee.name
    elif isinstance(callee, ast.Member) and isinstance(callee.prop, ast.Literal):
        name = str(callee.prop.value)

    def call(scope: Scope) -> Any:
        function = callee_fn(scope)
        if not callable(function):
            raise ExprError(f"{name} is not callable (type {go_type(function)})")
        args = [fn(scope) for fn in arg_fns]
        try:
            return function(*args)
        except (ExprError, _NilChain):
            raise
        except TypeError as exc:
            raise ExprError(f"reflect: Call of {name} with wrong arguments: {exc}") from None
        except (ValueError, ArithmeticError) as exc:
            raise ExprError(f"{name}: {exc}") from None

    return call


_COMPILERS: dict[type[ast.Node], Callable[[Any], Fn]] = {
    ast.Literal: _literal,
    ast.Identifier: lambda node: _identifier(node.name),
    ast.Pointer: _pointer,
    ast.Member: _member,
    ast.Chain: _chain,
    ast.Slice: _slice_node,
    ast.Array: _array,
    ast.Map: _map,
    ast.Unary: _unary,
    ast.Binary: _binary,
    ast.Conditional: _conditional,
    ast.Let: _let,
    ast.Predicate: lambda node: compile_node(node.body),
    ast.Builtin: _builtin,
    ast.Call: _call,
}
"""The compiler of each node type (the tree's node types have no subclasses)."""
