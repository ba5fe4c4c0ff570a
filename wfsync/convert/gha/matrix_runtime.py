"""A ``strategy.matrix`` known only at run time (``fromJSON(needs.x.outputs.y)``): a generator task.

GitHub evaluates such a matrix when the job starts. Here a task before the job does it: every
``${{ }}`` that needs run-time values becomes an Argo expression passed to the task as JSON
(``toJson``), the rest is folded now, and a small Python script rebuilds the matrix with
GitHub's template rules (``${{ insert }}`` keys, sequences spliced from expressions), expands it
with :func:`wfsync.convert.gha.matrix.expand_matrix` (its source is embedded, so there is one
implementation) and writes the legs as JSON. The job runs ``withParam`` over them; each leg gets
its matrix as JSON (``matrix``) and its index (``leg``).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable

from wfsync.convert.gha import matrix as static_matrix
from wfsync.convert.gha.expressions import find_expressions
from wfsync.convert.gha.matrix import Fold, is_insert

GENERATOR_IMAGE = "python:3.12-alpine"
"""The generator's image: it runs Python (the local engine maps it to the host's Python)."""

Compile = Callable[[str], str]
"""Compiles one GitHub expression to an expr-lang expression (raises ``Untranslatable``)."""


def template(value: object, fold: Fold, compile_expression: Compile) -> tuple[list[object], list[str]]:
    """The matrix as the generator's node tree, and the Argo expressions of its run-time values.

    Nodes: ``["v", value]`` a known value, ``["x", pieces, whole]`` a string with run-time
    values (pieces are text or value indexes; ``whole`` keeps the value's type), ``["l", items]``,
    ``["m", [[key, value], ...]]`` with ``["i"]`` as the key of ``${{ insert }}``.
    """
    values: list[str] = []

    def node(item: object) -> list[object]:
        if isinstance(item, str):
            if "${{" not in item:
                return ["v", item]
            ok, folded = fold(item)
            if ok:
                return ["v", folded]
            spans = find_expressions(item)
            whole = len(spans) == 1 and spans[0].start == 0 and spans[0].end == len(item)
            pieces: list[object] = []
            pos = 0
            for span in spans:
                if item[pos : span.start]:
                    pieces.append(item[pos : span.start])
                values.append(compile_expression(span.expression))
                pieces.append(len(values) - 1)
                pos = span.end
            if item[pos:]:
                pieces.append(item[pos:])
            return ["x", pieces, whole]
        if isinstance(item, list):
            return ["l", [node(i) for i in item]]
        if isinstance(item, dict):
            return ["m", [[["i"] if is_insert(str(k)) else node(str(k)), node(v)] for k, v in item.items()]]
        return ["v", item]

    return node(value), values


_EVALUATE = """
def to_string(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else repr(value)
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return str(value)


def evaluate(node, values):
    kind = node[0]
    if kind == "v":
        return node[1]
    if kind == "x":
        if node[2]:
            return values[node[1][0]]
        return "".join(p if isinstance(p, str) else to_string(values[p]) for p in node[1])
    if kind == "l":
        out = []
        for item in node[1]:
            result = evaluate(item, values)
            if item[0] == "x" and item[2] and isinstance(result, list):
                out.extend(result)
            else:
                out.append(result)
        return out
    out = {}
    for key, item in node[1]:
        result = evaluate(item, values)
        if key[0] == "i":
            if not isinstance(result, dict):
                raise MatrixError("${{ insert }} needs a mapping")
            out.update(result)
        else:
            out[to_string(evaluate(key, values))] = result
    return out
"""

_MAIN = """
import itertools, json, os, sys
from typing import Any
{functions}
TEMPLATE = json.loads({template!r})
try:
    values = [json.loads(os.environ["WFSYNC_M%d" % n]) for n in range({count})]
    matrix = evaluate(TEMPLATE, values)
    if not isinstance(matrix, dict):
        raise MatrixError("the matrix is not a mapping: %r" % (matrix,))
    legs = expand_matrix(matrix)
except (MatrixError, ValueError, KeyError) as err:
    print("wfsync: strategy.matrix of job {job}: %s" % err, file=sys.stderr)
    sys.exit(1)
items = [
    {{"leg": str(i), "matrix": json.dumps(leg, separators=(",", ":"))}}
    for i, leg in enumerate(legs)
]
print("job {job}: %d legs: %s" % (len(legs), json.dumps(legs)))
with open(os.environ["GITHUB_OUTPUT"], "w") as out:
    out.write(json.dumps(items))
"""


def generator_script(node: object, count: int, job: str) -> str:
    """The Python script that evaluates and expands the matrix (values in ``WFSYNC_M<n>``)."""
    functions = "\n\n".join(
        inspect.getsource(f)
        for f in (static_matrix.MatrixError, static_matrix.expand_matrix, static_matrix._equal)
    )
    return _MAIN.format(
        functions=functions + "\n" + _EVALUATE,
        template=json.dumps(node),
        count=count,
        job=job.replace('"', "'").replace("{", "(").replace("}", ")"),
    )
