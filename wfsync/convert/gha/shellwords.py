"""``${{ }}`` inside a ``run:`` script as shell words: the script stays verbatim, values come by env.

A value is never pasted into the script (that is how script injection happens): each expression
becomes ``${NAME}`` and its value an ``env`` line of the step; expressions over secrets, which
Argo must never see, become shell tests over the step's environment.
"""

from __future__ import annotations

import shlex

from wfsync.convert.gha import script as drivers
from wfsync.convert.gha.expressions import parse
from wfsync.convert.gha.expressions.nodes import Compare, Expr, Literal, Logical, Not
from wfsync.convert.gha.jobstate import (
    NAME,
    JobState,
    StepProblem,
    boolean_valued,
    reads_secrets,
    simple_path,
)
from wfsync.convert.gha.translate import Scope, Untranslatable, reads_unknown_env
from wfsync.convert.gha.values import DIRECT, Helper, env_value, value_part
from wfsync.convert.gha.yaml12 import scalar_text

SCRIPT_DIRECT = {**DIRECT, ("runner", "os"): "RUNNER_OS"}
"""Contexts a script reads as the variables ``shell/step`` sets."""


def script_word(
    job: JobState, expression: str, scope: Scope, env: dict[str, str], names: dict[str, str], taken: set[str]
) -> str:
    """``${NAME}`` for one ``${{ }}`` of a script; its value goes into ``env`` when needed."""
    key = expression.strip()
    if key in names:
        return f"${{{names[key]}}}"
    tree = parse(expression)
    path = simple_path(tree)
    lowered = [p.lower() for p in path] if path else []
    if path and len(path) == 2 and lowered[0] in ("env", "secrets") and NAME.match(path[1]):
        if lowered[0] == "secrets":
            job.secret(path[1])
        return f"${{{path[1]}}}"
    name = SCRIPT_DIRECT.get((lowered[0], lowered[1])) if len(lowered) == 2 else None
    if name is not None:
        if name == "GITHUB_TOKEN":
            job.secret(name)
        return f"${{{name}}}"
    runtime_env = reads_unknown_env(tree, scope)  # GITHUB_ENV may set it: the step reads it
    word = _shell_word(job, tree, scope, _helper(env, taken)) if runtime_env else None
    if word is not None:
        return word
    if reads_secrets(tree):
        word = _shell_word(job, tree, scope, _helper(env, taken))
        if word is None:
            raise StepProblem(
                f"${{{{ {expression} }}}}: only comparisons of secrets and `secrets.X || 'default'` are converted"
            )
        return word
    name = drivers.var_name(path, taken)
    names[key] = name
    env[name] = env_value(job, f"${{{{ {expression} }}}}", scope)
    return f"${{{name}}}"


def _shell_word(job: JobState, tree: Expr, scope: Scope, helper: Helper) -> str | None:
    """A shell word for an expression over secrets (which Argo never sees), or None.

    Secrets are environment variables of the step: ``secrets.X || 'd'`` is ``${X:-d}``, and
    a comparison is a shell test (case-insensitive, as GitHub's) of its operands, each an
    ``env`` line of the step (:func:`.values.value_part`); the word is ``true`` or ``false``.
    """
    if isinstance(tree, Logical) and tree.op == "||" and len(tree.args) == 2:
        path = simple_path(tree.args[0]) or []
        if (
            isinstance(tree.args[1], Literal)
            and len(path) == 2
            and path[0].lower() == "secrets"
            and NAME.match(path[1])
        ):
            job.secret(path[1])
            return f'"${{{path[1]}:-$(printf %s {shlex.quote(scalar_text(tree.args[1].value))})}}"'
    if not boolean_valued(tree):
        return None
    test = _shell_test(job, tree, scope, helper)
    return None if test is None else f'"$(if {test}; then echo true; else echo false; fi)"'


def _shell_test(job: JobState, node: Expr, scope: Scope, helper: Helper) -> str | None:
    if isinstance(node, Not):
        inner = _shell_test(job, node.operand, scope, helper)
        return None if inner is None else f"! {{ {inner}; }}"
    if isinstance(node, Logical):
        parts = [_shell_test(job, a, scope, helper) for a in node.args]
        if any(p is None for p in parts):
            return None
        return "{ " + (" && " if node.op == "&&" else " || ").join(f"{{ {p}; }}" for p in parts) + "; }"
    if isinstance(node, Compare) and node.op in ("==", "!="):
        left, right = (_shell_operand(job, x, scope, helper) for x in (node.left, node.right))
        if left is None or right is None:
            return None
        return f"[ {left} {'=' if node.op == '==' else '!='} {right} ]"
    word = _shell_operand(job, node, scope, helper)
    return None if word is None or isinstance(node, Literal) else f"[ -n {word} ]"


def _shell_operand(job: JobState, node: Expr, scope: Scope, helper: Helper) -> str | None:
    """A lower-cased shell word for one operand of a comparison."""
    if isinstance(node, Literal):
        value = node.value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return shlex.quote(str(int(value)))
        return "''" if value is None else shlex.quote(str(value).lower())
    try:
        kind, text = value_part(job, node, scope, whole=True, helper=helper)
    except (StepProblem, Untranslatable):
        return None
    if kind == "text":
        text = drivers.env_value(text)
    elif kind == "argo":
        text = drivers.runtime_value(text)
    return f'"$(printf %s "${{{helper(text)}}}" | tr "[:upper:]" "[:lower:]")"'


def _helper(env: dict[str, str], taken: set[str]) -> Helper:
    def store(value: str) -> str:
        name = drivers.var_name(None, taken)
        env[name] = value
        return name

    return store
