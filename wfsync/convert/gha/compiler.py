"""GitHub expressions compiled to Argo expr-lang, for what is known only at run time.

GitHub's case-insensitive comparison and truthiness are emulated; ``needs``, ``steps`` and
``matrix`` read the Argo names of :class:`.translate.Scope`. What has no equivalent raises
:class:`.translate.Untranslatable` with the reason, which the report shows. Folding what is known
now lives in :mod:`.translate`, which this module builds on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from wfsync.convert.gha.expressions import (
    ExpressionError,
    evaluate,
    nodes,
    parse,
    referenced_contexts,
    referenced_functions,
    to_string,
    truthy,
)
from wfsync.convert.gha.translate import (
    GITHUB_FIELDS,
    NOT_FOLDABLE,
    RUNNER,
    Scope,
    Untranslatable,
    expr_string,
    known_contexts,
)


def to_argo(expression: str | nodes.Expr, scope: Scope) -> str:
    """An expr-lang expression computing the GitHub expression's value at run time."""
    tree = parse(expression) if isinstance(expression, str) else expression
    return _Compiler(scope).value(tree)


def to_argo_condition(expression: str | nodes.Expr, scope: Scope) -> str:
    """An expr-lang boolean: GitHub's truthiness of the expression."""
    tree = parse(expression) if isinstance(expression, str) else expression
    return _Compiler(scope).condition(tree)


_BOOLEAN_CALLS = frozenset({"contains", "startswith", "endswith"})


class _Compiler:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def per_leg(self, node: nodes.Expr, *, condition: bool = False) -> str | None:
        """The value of ``node`` for each matrix leg, picked by the leg's index at run time.

        For expressions that read the matrix other than as ``matrix.<key>`` (``toJSON(matrix)``,
        ``matrix.a.b``) and otherwise only what is known now: GitHub evaluates them per leg,
        here they are evaluated per leg at conversion time.
        """
        legs = self.scope.legs
        if not legs or self.scope.level != "job" or not _reads_whole_matrix(node):
            return None
        known = known_contexts(self.scope)
        if {c.lower() for c in referenced_contexts(node)} - {*known, "matrix"}:
            return None
        if {f.lower() for f in referenced_functions(node)} & NOT_FOLDABLE:
            return None
        values = []
        for leg in legs:
            try:
                value = evaluate(node, {**known, "matrix": leg})
            except ExpressionError as err:
                raise Untranslatable(str(err)) from None
            values.append(_expr_literal(bool(truthy(value)) if condition else value))
        if len(set(values)) == 1:
            return values[0]
        return f"[{', '.join(values)}][int(inputs.parameters.leg)]"

    def condition(self, node: nodes.Expr) -> str:
        leg = self.per_leg(node, condition=True)
        if leg is not None:
            return leg
        if (
            isinstance(node, (nodes.Compare, nodes.Not))
            or isinstance(node, nodes.Call)
            and node.name.lower() in _BOOLEAN_CALLS
        ):
            return self.value(node)
        if isinstance(node, nodes.Logical):
            joiner = " && " if node.op == "&&" else " || "
            return "(" + joiner.join(self.condition(a) for a in node.args) + ")"
        if isinstance(node, nodes.Literal):
            return "true" if node.value not in (None, False, 0, "") else "false"
        value = self.value(node)
        # Argo parameters are strings: "false" and "0" stand for the booleans and numbers of inputs.
        return f'(({value}) not in [nil, false, 0, "", "false", "0"])'

    def value(self, node: nodes.Expr) -> str:
        leg = self.per_leg(node)
        if leg is not None:
            return leg
        if isinstance(node, nodes.Literal):
            return _expr_literal(node.value)
        if isinstance(node, nodes.Not):
            return f"!{self.condition(node.operand)}"
        if isinstance(node, nodes.Logical):
            # GitHub's && and || give an operand, not a boolean (`x && 'a' || 'b'` is a ternary).
            first = node.args[0]
            if len(node.args) == 1:
                return self.value(first)
            rest = self.value(nodes.Logical(node.op, tuple(node.args[1:])))
            if node.op == "&&":
                return f"({self.condition(first)} ? {rest} : {self.value(first)})"
            return f"({self.condition(first)} ? {self.value(first)} : {rest})"
        if isinstance(node, nodes.Compare):
            left, right = self.value(node.left), self.value(node.right)
            if node.op in ("==", "!="):
                return f"(lower(string({left})) {node.op} lower(string({right})))"
            return f"(float({left}) {node.op} float({right}))"
        if isinstance(node, nodes.Call):
            return self.call(node)
        if isinstance(node, (nodes.ContextRef, nodes.Index)):
            if self.dynamic_matrix() and _matrix_root(node):
                return self.matrix_value(node)
            if isinstance(node, nodes.Index) and not _plain_path(node):
                return self.index(node)
            return self.reference(node)
        raise Untranslatable("unsupported expression")  # pragma: no cover

    def index(self, node: nodes.Index) -> str:
        """An index or filter on a computed value: ``fromJSON(x)[0]``, ``a.*.name``, ``a[b]``.

        ``.*`` keeps an array's elements (GitHub's filter); a property of a filtered array is
        taken from each element (``map``). A missing key or index gives null, as on GitHub.
        """
        if isinstance(node.index, nodes.Star):
            return self.value(node.target)
        key = self.key(node.index)
        if _filtered(node.target):
            return f"map({self.value(node.target)}, #?.[{key}])"
        return f"({self.value(node.target)})?.[{key}]"

    def key(self, index: nodes.Expr) -> str:
        if (
            isinstance(index, nodes.Literal)
            and isinstance(index.value, (int, float))
            and not isinstance(index.value, bool)
        ):
            number = float(index.value)
            if not number.is_integer():
                raise Untranslatable("an index must be a whole number")
            return str(int(number))
        if isinstance(index, nodes.Literal) and isinstance(index.value, str):
            return expr_string(index.value)
        return self.value(index)

    def dynamic_matrix(self) -> bool:
        """Whether the job's matrix is computed at run time (each leg gets it as JSON)."""
        return self.scope.level == "job" and self.scope.matrix is not None and self.scope.legs == []

    def matrix_value(self, node: nodes.Expr) -> str:
        """``matrix``, ``matrix.a.b`` or ``matrix[expr]`` read from the leg's JSON."""
        if isinstance(node, nodes.ContextRef):
            return 'fromJSON(inputs.parameters["matrix"])'
        assert isinstance(node, nodes.Index)
        target = self.matrix_value(node.target)
        if isinstance(node.index, nodes.Star):
            raise Untranslatable("filters have no Argo equivalent")
        # ?.[ ]: a missing key is null (GitHub), also when something is read from it.
        if isinstance(node.index, nodes.Literal) and isinstance(node.index.value, str):
            return f"({target}?.[{expr_string(node.index.value)}])"
        return f"({target}?.[string({self.value(node.index)})])"

    def call(self, node: nodes.Call) -> str:
        name = node.name.lower()
        if name == "tojson" and len(node.args) == 1:
            arg = node.args[0]
            if self.dynamic_matrix() and isinstance(arg, nodes.ContextRef) and arg.name.lower() == "matrix":
                # expr's toJSON indents like GitHub's but orders keys (Go maps are sorted).
                return 'toJSON(fromJSON(inputs.parameters["matrix"]))'
            return f"toJSON({self.value(arg)})"
        if name == "fromjson" and len(node.args) == 1:
            return f"fromJSON(string({self.value(node.args[0])}))"
        if name in ("always", "cancelled") and not node.args:
            return "true" if name == "always" else "false"  # nothing is ever cancelled here
        if name in ("success", "failure") and not node.args and self.scope.level == "dag":
            # Inside a larger job condition: over the jobs this one needs.
            tasks = [expr_string(t) for t in self.scope.task_names.values()]
            if name == "success":
                return (
                    "(" + " && ".join(f"tasks[{t}].status == 'Succeeded'" for t in tasks) + ")"
                    if tasks
                    else "true"
                )
            checks = [f"tasks[{t}].status in ['Failed', 'Error']" for t in tasks]
            return "(" + " || ".join(checks) + ")" if checks else "false"
        if name == "contains" and len(node.args) == 2 and _filtered(node.args[0]):
            # An array (a filter's result): whether an item equals the value, case-insensitively.
            items, wanted = (self.value(x) for x in node.args)
            return f"any({items}, lower(string(#)) == lower(string({wanted})))"
        if name in _BOOLEAN_CALLS and len(node.args) == 2:
            a, b = (self.value(x) for x in node.args)
            op = {"contains": "contains", "startswith": "startsWith", "endswith": "endsWith"}[name]
            return f"(lower(string({a})) {op} lower(string({b})))"
        if (
            name == "format"
            and node.args
            and isinstance(node.args[0], nodes.Literal)
            and isinstance(node.args[0].value, str)
        ):
            parts = re.split(r"(\{\d+\})", node.args[0].value)
            pieces = []
            for part in parts:
                match = re.fullmatch(r"\{(\d+)\}", part)
                if match and int(match.group(1)) + 1 < len(node.args):
                    pieces.append(f"string({self.value(node.args[int(match.group(1)) + 1])})")
                elif part:
                    pieces.append(expr_string(part.replace("{{", "{").replace("}}", "}")))
            return "(" + " + ".join(pieces or ['""']) + ")"
        raise Untranslatable(f"the function {node.name}() has no Argo equivalent here")

    def reference(self, node: nodes.Expr) -> str:
        path = _path(node)
        head = path[0].lower()
        rest = path[1:]
        if head == "github":
            return self.github(rest)
        if head == "inputs" and len(rest) == 1:
            self.scope.used_parameters.setdefault(rest[0], "")
            return f"workflow.parameters[{expr_string(rest[0])}]"
        if head == "vars" and len(rest) == 1:
            name = f"vars-{rest[0]}"
            self.scope.used_parameters.setdefault(name, "")
            return f"workflow.parameters[{expr_string(name)}]"
        if (
            head == "matrix"
            and len(rest) == 1
            and self.scope.level == "job"
            and self.scope.matrix is not None
        ):
            return f"inputs.parameters[{expr_string('matrix-' + rest[0])}]"
        if head == "runner" and len(rest) == 1 and rest[0] in RUNNER:
            return expr_string(RUNNER[rest[0]])
        if head == "env" and len(rest) == 1 and rest[0] in self.scope.env:
            return expr_string(self.scope.env[rest[0]])
        if head == "needs" and len(rest) >= 2:
            return self.needs(rest)
        if head == "steps" and len(rest) >= 2 and self.scope.level == "job":
            return self.steps(rest)
        raise Untranslatable(f"'{'.'.join(path)}' is not available to Argo here")

    def github(self, rest: list[str]) -> str:
        if not rest:
            raise Untranslatable("the whole github context has no Argo equivalent")
        field_name = rest[0].lower()
        if field_name == "event":
            self.scope.used_parameters.setdefault("github-event", "{}")
            if len(rest) == 1:
                return "workflow.parameters['github-event']"
            json_path = "$" + "".join(f"[{json.dumps(p)}]" for p in rest[1:])
            return f"jsonpath(workflow.parameters['github-event'], {expr_string(json_path)})"
        if field_name == "run_id":
            return "workflow.uid"
        if field_name == "workspace" and len(rest) == 1 and self.scope.workspace is not None:
            return self.scope.workspace
        if field_name in GITHUB_FIELDS and len(rest) == 1:
            name = "github-" + field_name.replace("_", "-")
            self.scope.used_parameters.setdefault(name, GITHUB_FIELDS[field_name])
            return f"workflow.parameters[{expr_string(name)}]"
        raise Untranslatable(f"github.{'.'.join(rest)} has no Argo equivalent")

    def needs(self, rest: list[str]) -> str:
        job = self.scope.task_names.get(rest[0])
        if job is None:
            raise Untranslatable(f"needs.{rest[0]} is not a job this job needs")
        if rest[1].lower() == "result" and len(rest) == 2 and self.scope.level == "dag":
            return _result(f"tasks[{expr_string(job)}].status")
        if rest[1].lower() == "outputs" and len(rest) == 3:
            source = (
                (
                    f'(last(fromJSON(tasks[{expr_string(job)}].outputs.parameters.outputs)) ?? "{{}}")'
                    if job in self.scope.matrix_tasks
                    else f"tasks[{expr_string(job)}].outputs.parameters.outputs"
                )
                if self.scope.level == "dag"
                else f"inputs.parameters[{expr_string('needs-' + job)}]"
            )
            return _json_value(source, rest[2])
        raise Untranslatable(f"needs.{'.'.join(rest)} has no Argo equivalent here")

    def steps(self, rest: list[str]) -> str:
        step = self.scope.step_names.get(rest[0])
        if step is None:
            raise Untranslatable(f"steps.{rest[0]} is not an earlier step of this job")
        if rest[1].lower() == "conclusion" and len(rest) == 2 and step in self.scope.continue_steps:
            return f'(steps[{expr_string(step)}].status in ["Skipped", "Omitted"] ? "skipped" : "success")'
        if rest[1].lower() in ("outcome", "conclusion") and len(rest) == 2:
            return _result(f"steps[{expr_string(step)}].status")
        if rest[1].lower() == "outputs" and len(rest) == 3:
            return _json_value(f"steps[{expr_string(step)}].outputs.parameters.outputs", rest[2])
        raise Untranslatable(f"steps.{'.'.join(rest)} has no Argo equivalent")


def _result(status: str) -> str:
    """GitHub's result (success, failure, skipped) of an Argo node phase.

    A chain of conditionals, not a map literal: braces inside a ``{{=...}}`` tag are legal for
    Argo but easy to misread for tools that look for the tag's end.
    """
    return f'({status} == "Succeeded" ? "success" : {status} in ["Failed", "Error"] ? "failure" : "skipped")'


def _json_value(source: str, key: str) -> str:
    """Output ``key`` of a step or job: ``source`` holds its outputs as a JSON object."""
    return f'(fromJSON({source})?.[{expr_string(key)}] ?? "")'


def _path(node: nodes.Expr) -> list[str]:
    parts: list[str] = []
    while isinstance(node, nodes.Index):
        if (
            isinstance(node.index, nodes.Star)
            or not isinstance(node.index, nodes.Literal)
            or not isinstance(node.index.value, str)
        ):
            raise Untranslatable("filters and computed indexes have no Argo equivalent")
        parts.append(node.index.value)
        node = node.target
    if not isinstance(node, nodes.ContextRef):
        raise Untranslatable("only context properties can be read")
    parts.append(node.name)
    return parts[::-1]


def _plain_path(node: nodes.Expr) -> bool:
    """Whether ``node`` is a context property path (``a.b['c']``) with string keys only."""
    while isinstance(node, nodes.Index):
        if not (isinstance(node.index, nodes.Literal) and isinstance(node.index.value, str)):
            return False
        node = node.target
    return isinstance(node, nodes.ContextRef)


def _filtered(node: nodes.Expr) -> bool:
    """Whether ``node`` is the result of a ``.*`` filter (an array of values)."""
    while isinstance(node, nodes.Index):
        if isinstance(node.index, nodes.Star):
            return True
        node = node.target
    return False


def _matrix_root(node: nodes.Expr) -> bool:
    while isinstance(node, nodes.Index):
        node = node.target
    return isinstance(node, nodes.ContextRef) and node.name.lower() == "matrix"


def _reads_whole_matrix(node: nodes.Expr) -> bool:
    """Whether ``node`` reads ``matrix`` other than as ``matrix.<key>`` (a leg parameter)."""
    chain, depth = node, 0
    while isinstance(chain, nodes.Index):
        chain, depth = chain.target, depth + 1
    if isinstance(chain, nodes.ContextRef) and chain.name.lower() == "matrix":
        index = node.index if isinstance(node, nodes.Index) else None
        return depth != 1 or not (isinstance(index, nodes.Literal) and isinstance(index.value, str))
    if isinstance(node, nodes.Index):
        children: tuple[nodes.Expr | nodes.Star, ...] = (node.target, node.index)
    elif isinstance(node, nodes.Not):
        children = (node.operand,)
    elif isinstance(node, nodes.Compare):
        children = (node.left, node.right)
    elif isinstance(node, (nodes.Logical, nodes.Call)):
        children = node.args
    else:
        children = ()
    return any(_reads_whole_matrix(c) for c in children if not isinstance(c, nodes.Star))


def _expr_literal(value: object) -> str:
    """An expr-lang literal for a value of a GitHub expression."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    if isinstance(value, str):
        return expr_string(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{expr_string(str(k))}: {_expr_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_expr_literal(v) for v in value) + "]"
    return expr_string(to_string(value))
