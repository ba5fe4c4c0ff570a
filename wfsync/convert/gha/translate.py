"""GitHub expressions at conversion time: fold what is known, compile the rest for Argo.

``fold`` evaluates an expression whose contexts are all known now; :mod:`.compiler` compiles one
that needs run-time values into an Argo expr-lang expression (for ``when`` and argument values). ``Scope`` says where the
expression is evaluated (DAG level for job ``if``, inside a job for steps), because the Argo names
of ``needs``, ``steps`` and ``matrix`` differ there. What cannot be compiled raises
:class:`Untranslatable` with the reason, which the report shows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from wfsync.convert.gha.expressions import (
    STATUS_FUNCTIONS,
    ExpressionError,
    evaluate,
    find_expressions,
    parse,
    referenced_contexts,
    referenced_functions,
    to_string,
    walk,
)
from wfsync.convert.gha.expressions.nodes import (
    ContextRef,
    Expr,
    Index,
    Literal,
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
    matrix: Mapping[str, object] | None = None
    """The job's matrix keys (values per leg are only known at run time), or None without a matrix."""
    task_names: Mapping[str, str] = field(default_factory=dict)
    """GitHub job id -> Argo task name."""
    step_names: Mapping[str, str] = field(default_factory=dict)
    """GitHub step id -> Argo step name (inside the job)."""
    used_parameters: dict[str, str] = field(default_factory=dict)
    """Workflow parameters the translation used, with their default values (filled in)."""
    secrets: set[str] = field(default_factory=set)
    matrix_tasks: set[str] = field(default_factory=set)
    """Argo task names of needed matrix jobs (their outputs are a list of the legs' outputs)."""
    legs: list[dict[str, object]] | None = None
    """The matrix legs when known at conversion time (the leg's index is ``inputs.parameters.leg``)."""
    continue_steps: set[str] = field(default_factory=set)
    """Argo names of steps with ``continue-on-error: true`` (their conclusion is success)."""
    workspace: str | None = None
    """An expr-lang expression for ``github.workspace`` (the job's folder), inside a job."""


def known_contexts(scope: Scope) -> dict[str, object]:
    """Contexts whose values are known at conversion time."""
    contexts: dict[str, object] = {"env": dict(scope.env), "runner": RUNNER}
    if scope.matrix is None:
        contexts["matrix"] = {}
    return contexts


NOT_FOLDABLE = frozenset({"hashfiles", *STATUS_FUNCTIONS})
"""Functions whose value is known only when the step runs."""


def fold(expression: str, scope: Scope) -> tuple[bool, object]:
    """``(True, value)`` when the expression only uses what is known now, else ``(False, None)``."""
    try:
        tree = parse(expression)
    except ExpressionError as err:
        raise Untranslatable(str(err)) from None
    return fold_tree(tree, scope)


def fold_tree(tree: Expr, scope: Scope, *, env_at_run_time: bool = False) -> tuple[bool, object]:
    """:func:`fold` for an already parsed tree.

    With ``env_at_run_time``, an ``env`` value not known now is not taken as missing: a
    ``GITHUB_ENV`` line of an earlier step may set it (for values the step itself computes).
    """
    known = known_contexts(scope)
    if {c.lower() for c in referenced_contexts(tree)} - set(known):
        return False, None
    if env_at_run_time and reads_unknown_env(tree, scope):
        return False, None
    if {f.lower() for f in referenced_functions(tree)} & NOT_FOLDABLE:
        return False, None
    try:
        return True, evaluate(tree, known)
    except ExpressionError as err:
        raise Untranslatable(str(err)) from None


def fold_field(text: str, scope: Scope) -> tuple[bool, object]:
    """:func:`fold` for a field's text: one whole ``${{ }}`` keeps its type, else a string."""
    spans = find_expressions(text)
    if len(spans) == 1 and spans[0].start == 0 and spans[0].end == len(text):
        return fold(spans[0].expression, scope)
    out, pos = [], 0
    for span in spans:
        ok, value = fold(span.expression, scope)
        if not ok:
            return False, None
        out += [text[pos : span.start], to_string(value)]
        pos = span.end
    return True, "".join(out) + text[pos:]


def expr_string(value: str) -> str:
    """An expr-lang string literal (JSON escaping is valid expr syntax).

    Braces are escaped when the text holds ``{{`` or ``}}``: the literal goes inside an Argo
    ``{{=...}}`` tag, which would end (or a new tag start) at them.
    """
    text = json.dumps(value)
    if "{{" in text or "}}" in text:
        text = text.replace("{", "\\u007b").replace("}", "\\u007d")
    return text


def reads_unknown_env(tree: Expr, scope: Scope) -> bool:
    """Whether ``tree`` reads an ``env`` value that is not known now (or the whole ``env``)."""
    known = {k.lower() for k in scope.env}
    bare = indexed = 0
    for node in walk(tree):
        if isinstance(node, ContextRef) and node.name.lower() == "env":
            bare += 1
        if (
            isinstance(node, Index)
            and isinstance(node.target, ContextRef)
            and node.target.name.lower() == "env"
        ):
            indexed += 1
            if not (isinstance(node.index, Literal) and str(node.index.value).lower() in known):
                return True
    return bare > indexed


def status_calls(tree: Expr) -> set[str]:
    """The status functions an expression calls (lower-cased)."""
    return {f.lower() for f in referenced_functions(tree)} & STATUS_FUNCTIONS
