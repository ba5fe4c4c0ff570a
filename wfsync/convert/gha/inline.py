"""``env.NAME`` whose value is only known at run time, replaced by the expression that computes it.

An ``env:`` value with ``${{ }}`` (``variable: ${{ github.repository_owner }}``) is not known at
conversion time, so an expression that reads ``env.variable`` must neither fold it as missing
(it is not empty) nor give up: GitHub reads the string the value interpolates to, which is
``format('…{0}…', expr)`` of the value's text (act rewrites interpolations the same way), so that
call goes where ``env.variable`` was and the result compiles to Argo like any other expression.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from wfsync.convert.gha.expressions import ExpressionError, find_expressions, nodes, parse

MAX_DEPTH = 4
"""``env`` values that read other ``env`` values (step env over job env) nest this deep at most."""


def interpolation(text: str) -> nodes.Expr:
    """The expression GitHub evaluates for a string with ``${{ }}`` spans: ``format()`` of it."""
    template: list[str] = []
    args: list[nodes.Expr] = []
    pos = 0
    for span in find_expressions(text):
        template.append(text[pos : span.start].replace("{", "{{").replace("}", "}}"))
        template.append("{" + str(len(args)) + "}")
        args.append(parse(span.expression))
        pos = span.end
    template.append(text[pos:].replace("{", "{{").replace("}", "}}"))
    return nodes.Call("format", (nodes.Literal("".join(template)), *args), 0)


def _env_key(node: nodes.Expr) -> str | None:
    if (
        isinstance(node, nodes.Index)
        and isinstance(node.target, nodes.ContextRef)
        and node.target.name.lower() == "env"
        and isinstance(node.index, nodes.Literal)
        and isinstance(node.index.value, str)
    ):
        return node.index.value
    return None


def transform(tree: nodes.Expr, change: Callable[[nodes.Expr], nodes.Expr | None]) -> nodes.Expr:
    """``tree`` with every node for which ``change`` gives a replacement replaced (outermost first)."""
    replaced = change(tree)
    if replaced is not None:
        return replaced
    if isinstance(tree, nodes.Index):
        index = tree.index if isinstance(tree.index, nodes.Star) else transform(tree.index, change)
        return nodes.Index(transform(tree.target, change), index)
    if isinstance(tree, nodes.Not):
        return nodes.Not(transform(tree.operand, change))
    if isinstance(tree, nodes.Compare):
        return nodes.Compare(tree.op, transform(tree.left, change), transform(tree.right, change))
    if isinstance(tree, nodes.Logical):
        return nodes.Logical(tree.op, tuple(transform(a, change) for a in tree.args))
    if isinstance(tree, nodes.Call):
        return nodes.Call(tree.name, tuple(transform(a, change) for a in tree.args), tree.offset)
    return tree


def inline_env(tree: nodes.Expr, dynamic: Mapping[str, str], depth: int = 0) -> nodes.Expr:
    """``tree`` with ``env.K`` for each ``K`` of ``dynamic`` (name -> value text) replaced.

    A value that cannot be parsed is left alone (the caller reports the original problem).
    """
    if not dynamic or depth >= MAX_DEPTH:
        return tree
    lowered = {k.lower(): v for k, v in dynamic.items()}

    def change(node: nodes.Expr) -> nodes.Expr | None:
        key = _env_key(node)
        if key is None:
            return None
        text = dynamic.get(key, lowered.get(key.lower()))
        if text is None:
            return None
        try:
            value = interpolation(text)
        except ExpressionError:
            return None
        return inline_env(value, {k: v for k, v in dynamic.items() if k != key}, depth + 1)

    return transform(tree, change)
