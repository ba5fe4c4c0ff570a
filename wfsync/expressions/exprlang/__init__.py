"""An expr-lang (github.com/expr-lang/expr v1.17) evaluator with Argo's additions.

Argo evaluates ``{{=...}}`` tags, ``valueFrom.expression``, ``fromExpression``, hook and retry
expressions with expr-lang. This package parses an expression once (cached), compiles it to
closures and evaluates it against an environment built with :func:`build_env`::

    env = build_env({"inputs.parameters.n": "3"})
    evaluate("asInt(inputs.parameters.n) * 10", env)   # 30
    render_expression_tag(evaluate("[1, 2]", env))      # '[1,2]'
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping

from wfsync.expressions.exprlang import ast
from wfsync.expressions.exprlang.builtins import BUILTINS
from wfsync.expressions.exprlang.env import ARGO_FUNCTIONS, build_env, render_expression_tag
from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.evaluator import Fn, Scope, compile_node
from wfsync.expressions.exprlang.parser import parse

__all__ = [
    "ARGO_FUNCTIONS",
    "ExprError",
    "Program",
    "build_env",
    "compile",
    "evaluate",
    "render_expression_tag",
]

_BUILTIN_NAMES = frozenset(BUILTINS)


@dataclasses.dataclass(frozen=True)
class Program:
    """A compiled expression: its source, syntax tree and the closure that evaluates it."""

    source: str
    tree: ast.Node
    run: Fn = dataclasses.field(compare=False, repr=False)


@functools.lru_cache(maxsize=4096)
def compile(text: str) -> Program:
    """Parse and compile ``text``; results are cached, so repeated expressions cost one lookup."""
    tree = parse(text, _BUILTIN_NAMES)
    return Program(text, tree, compile_node(tree))


def evaluate(
    program: str | Program,
    env: Mapping[str, object] | None = None,
    *,
    functions: Mapping[str, object] = ARGO_FUNCTIONS,
) -> object:
    """Run an expression (source text or :class:`Program`) against ``env``.

    ``env`` is the nested environment (see :func:`build_env`); ``functions`` (by default Argo's
    ``asInt``, ``asFloat``, ``toJson``, ``jsonpath`` and ``sprig``) shadow environment keys.
    Raises :class:`ExprError` with expr-lang's wording on any compile or runtime failure.
    """
    compiled = compile(program) if isinstance(program, str) else program
    try:
        return compiled.run(Scope(env if env is not None else {}, functions))
    except RecursionError:
        raise ExprError("expression too deeply nested") from None
