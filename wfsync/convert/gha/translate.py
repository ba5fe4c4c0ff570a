"""GitHub expressions at conversion time: fold what is known, compile the rest for Argo.

``fold`` evaluates an expression whose contexts are all known now. ``to_argo`` compiles one that
needs run-time values into an Argo expr-lang expression (for ``when`` and argument values), with
GitHub's case-insensitive comparison and truthiness emulated. ``Scope`` says where the
expression is evaluated (DAG level for job ``if``, inside a job for steps), because the Argo names
of ``needs``, ``steps`` and ``matrix`` differ there. What cannot be compiled raises
:class:`Untranslatable` with the reason, which the report shows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wfsync.convert.gha.expressions import (
    STATUS_FUNCTIONS,
    ExpressionError,
    evaluate,
    parse,
    referenced_contexts,
    referenced_functions,
)
from wfsync.convert.gha.expressions.nodes import (
    Call,
    Compare,
    ContextRef,
    Expr,
    Index,
    Literal,
    Logical,
    Not,
    Star,
)

GITHUB_FIELDS = {
    "event_name": "push",
    "ref": "refs/heads/main",
    "ref_name": "main",
    "ref_type": "branch",
    "sha": "",
    "repository": "OWNER/REPO",
    "repository_owner": "OWNER",
    "actor": "",
    "triggering_actor": "",
    "head_ref": "",
    "base_ref": "",
    "server_url": "https://github.com",
    "api_url": "https://api.github.com",
    "workflow": "",
    "run_number": "1",
    "run_attempt": "1",
}
"""``github.*`` fields that become workflow parameters (``github-<field>``), with defaults."""

RUNNER = {"os": "Linux", "arch": "X64", "temp": "/tmp", "tool_cache": "/opt/hostedtoolcache", "name": "argo"}


class Untranslatable(Exception):
    """An expression (or part of one) with no Argo equivalent; the message says why."""


@dataclass
class Scope:
    """Where an expression is evaluated and what is known there."""

    level: str
    """``dag`` (job ``if``) or ``job`` (inside the job's steps template)."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Environment known at conversion time (workflow, job and step ``env`` without expressions)."""
    matrix: Mapping[str, Any] | None = None
    """The job's matrix keys (values per leg are only known at run time), or None without a matrix."""
    task_names: Mapping[str, str] = field(default_factory=dict)
    """GitHub job id -> Argo task name."""
    step_names: Mapping[str, str] = field(default_factory=dict)
    """GitHub step id -> Argo step name (inside the job)."""
    used_parameters: dict[str, str] = field(default_factory=dict)
    """Workflow parameters the translation used, with their default values (filled in)."""
    secrets: set[str] = field(default_factory=set)


def known_contexts(scope: Scope) -> dict[str, Any]:
    """Contexts whose values are known at conversion time."""
    contexts: dict[str, Any] = {"env": dict(scope.env), "runner": RUNNER}
    if scope.matrix is None:
        contexts["matrix"] = {}
    return contexts


_NOT_FOLDABLE = frozenset({"hashfiles", *STATUS_FUNCTIONS})


def fold(expression: str, scope: Scope) -> tuple[bool, Any]:
    """``(True, value)`` when the expression only uses what is known now, else ``(False, None)``."""
    try:
        tree = parse(expression)
    except ExpressionError as err:
        raise Untranslatable(str(err)) from None
    return fold_tree(tree, scope)


def fold_tree(tree: Any, scope: Scope) -> tuple[bool, Any]:
    """:func:`fold` for an already parsed tree."""
    known = known_contexts(scope)
    if {c.lower() for c in referenced_contexts(tree)} - set(known):
        return False, None
    if {f.lower() for f in referenced_functions(tree)} & _NOT_FOLDABLE:
        return False, None
    try:
        return True, evaluate(tree, known)
    except ExpressionError as err:
        raise Untranslatable(str(err)) from None


def to_argo(expression: str | Expr, scope: Scope) -> str:
    """An expr-lang expression computing the GitHub expression's value at run time."""
    tree = parse(expression) if isinstance(expression, str) else expression
    return _Compiler(scope).value(tree)


def to_argo_condition(expression: str | Expr, scope: Scope) -> str:
    """An expr-lang boolean: GitHub's truthiness of the expression."""
    tree = parse(expression) if isinstance(expression, str) else expression
    return _Compiler(scope).condition(tree)


def expr_string(value: str) -> str:
    """An expr-lang string literal (JSON escaping is valid expr syntax)."""
    return json.dumps(value)


_BOOLEAN_CALLS = frozenset({"contains", "startswith", "endswith"})


class _Compiler:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def condition(self, node: Expr) -> str:
        if isinstance(node, (Compare, Not)) or isinstance(node, Call) and node.name.lower() in _BOOLEAN_CALLS:
            return self.value(node)
        if isinstance(node, Logical):
            joiner = " && " if node.op == "&&" else " || "
            return "(" + joiner.join(self.condition(a) for a in node.args) + ")"
        if isinstance(node, Literal):
            return "true" if node.value not in (None, False, 0, "") else "false"
        value = self.value(node)
        # Argo parameters are strings: "false" and "0" stand for the booleans and numbers of inputs.
        return f'(({value}) not in [nil, false, 0, "", "false", "0"])'

    def value(self, node: Expr) -> str:
        if isinstance(node, Literal):
            if node.value is None:
                return "nil"
            if isinstance(node.value, bool):
                return "true" if node.value else "false"
            if isinstance(node.value, str):
                return expr_string(node.value)
            number = float(node.value)
            return str(int(number)) if number.is_integer() else repr(number)
        if isinstance(node, Not):
            return f"!{self.condition(node.operand)}"
        if isinstance(node, Logical):
            # GitHub's && and || give an operand, not a boolean (`x && 'a' || 'b'` is a ternary).
            first = node.args[0]
            if len(node.args) == 1:
                return self.value(first)
            rest = self.value(Logical(node.op, tuple(node.args[1:])))
            if node.op == "&&":
                return f"({self.condition(first)} ? {rest} : {self.value(first)})"
            return f"({self.condition(first)} ? {self.value(first)} : {rest})"
        if isinstance(node, Compare):
            left, right = self.value(node.left), self.value(node.right)
            if node.op in ("==", "!="):
                return f"(lower(string({left})) {node.op} lower(string({right})))"
            return f"(float({left}) {node.op} float({right}))"
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, (ContextRef, Index)):
            return self.reference(node)
        raise Untranslatable("unsupported expression")  # pragma: no cover

    def call(self, node: Call) -> str:
        name = node.name.lower()
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
        if name in _BOOLEAN_CALLS and len(node.args) == 2:
            a, b = (self.value(x) for x in node.args)
            op = {"contains": "contains", "startswith": "startsWith", "endswith": "endsWith"}[name]
            return f"(lower(string({a})) {op} lower(string({b})))"
        if (
            name == "format"
            and node.args
            and isinstance(node.args[0], Literal)
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

    def reference(self, node: Expr) -> str:
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
            return f"{_RESULTS}[tasks[{expr_string(job)}].status]"
        if rest[1].lower() == "outputs" and len(rest) == 3:
            source = (
                f"tasks[{expr_string(job)}].outputs.parameters.outputs"
                if self.scope.level == "dag"
                else f"inputs.parameters[{expr_string('needs-' + job)}]"
            )
            return _line_value(source, rest[2], encoded=True)
        raise Untranslatable(f"needs.{'.'.join(rest)} has no Argo equivalent here")

    def steps(self, rest: list[str]) -> str:
        step = self.scope.step_names.get(rest[0])
        if step is None:
            raise Untranslatable(f"steps.{rest[0]} is not an earlier step of this job")
        if rest[1].lower() in ("outcome", "conclusion") and len(rest) == 2:
            return f"{_RESULTS}[steps[{expr_string(step)}].status]"
        if rest[1].lower() == "outputs" and len(rest) == 3:
            return _line_value(
                f"steps[{expr_string(step)}].outputs.parameters.output", rest[2], encoded=False
            )
        raise Untranslatable(f"steps.{'.'.join(rest)} has no Argo equivalent")


_RESULTS = '{"Succeeded": "success", "Failed": "failure", "Error": "failure", "Skipped": "skipped", "Omitted": "skipped"}'


def _line_value(source: str, key: str, *, encoded: bool) -> str:
    """The value of ``key`` in ``KEY=VALUE`` lines held by ``source`` (base64 values if encoded)."""
    pattern = expr_string(f"(?m)^{re.escape(key)}=.*$")
    found = f"sprig.trimPrefix({expr_string(key + '=')}, sprig.regexFind({pattern}, {source}))"
    return f"sprig.b64dec({found})" if encoded else found


def _path(node: Expr) -> list[str]:
    parts: list[str] = []
    while isinstance(node, Index):
        if (
            isinstance(node.index, Star)
            or not isinstance(node.index, Literal)
            or not isinstance(node.index.value, str)
        ):
            raise Untranslatable("filters and computed indexes have no Argo equivalent")
        parts.append(node.index.value)
        node = node.target
    if not isinstance(node, ContextRef):
        raise Untranslatable("only context properties can be read")
    parts.append(node.name)
    return parts[::-1]


def status_calls(tree: Expr) -> set[str]:
    """The status functions an expression calls (lower-cased)."""
    return {f.lower() for f in referenced_functions(tree)} & STATUS_FUNCTIONS
