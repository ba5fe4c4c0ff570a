"""Field values with ``${{ }}``: as ``shell/step`` env lines, or as parameter text with Argo tags.

An env line value is folded when every part is known now, is ``$NAME`` for what only the step
knows (secrets, ``env`` that GITHUB_ENV may set, the workspace) and an Argo tag giving a JSON
string for the rest; see ``shell/step``'s ``env`` parameter. Secrets never reach Argo.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from wfsync.convert.gha import script as drivers
from wfsync.convert.gha.argo import library_call, named
from wfsync.convert.gha.compiler import to_argo
from wfsync.convert.gha.expressions import ExpressionError, find_expressions, parse
from wfsync.convert.gha.expressions.nodes import Call, Expr, Literal, Logical
from wfsync.convert.gha.jobstate import (
    NAME,
    ArgoStep,
    JobState,
    StepProblem,
    inlined,
    reads_secrets,
    reads_secrets_or_env,
    simple_path,
)
from wfsync.convert.gha.model import Step
from wfsync.convert.gha.translate import Scope, Untranslatable, expr_string, fold_tree
from wfsync.convert.gha.yaml12 import scalar_text

Helper = Callable[[str], str]
"""Stores an ``env`` line value in a new variable of the step and gives the variable's name."""

Part = tuple[str, str]
"""One piece of a value: ``("text", constant)``, ``("var", "$NAME")`` or ``("argo", expr)``."""

DIRECT = {
    ("github", "token"): "GITHUB_TOKEN",
    ("github", "workspace"): "GITHUB_WORKSPACE",
    ("runner", "temp"): "RUNNER_TEMP",
}
"""Contexts ``shell/step`` sets as variables (GITHUB_TOKEN: a key of ``secret-env``)."""


def env_value(job: JobState, text: str, scope: Scope) -> str:
    """An ``env`` line value for field text with ``${{ }}`` (see ``shell/step``'s ``env``)."""
    if "${{" not in text:
        return drivers.env_value(text)
    spans = find_expressions(text)
    parts: list[Part] = []
    pos = 0
    try:
        for span in spans:
            parts.append(("text", text[pos : span.start]))
            whole = len(spans) == 1 and text == text[span.start : span.end]
            parts.append(value_part(job, span.expression, scope, whole=whole))
            pos = span.end
    except Untranslatable as err:
        raise StepProblem(f"{text}: {err}", "partial") from None
    except ExpressionError as err:
        raise StepProblem(f"{text}: {err}") from None
    parts.append(("text", text[pos:]))
    return _joined(_merged(parts))


def _merged(parts: list[Part]) -> list[Part]:
    """Adjacent text parts as one, empty ones dropped."""
    merged: list[Part] = []
    for kind, value in parts:
        if kind == "text" and merged and merged[-1][0] == "text":
            merged[-1] = ("text", merged[-1][1] + value)
        elif kind != "text" or value:
            merged.append((kind, value))
    return merged


def _joined(merged: list[Part]) -> str:
    """The env line value of the parts: a constant, one Argo tag, or a ``+`` of words."""
    if all(kind == "text" for kind, _ in merged):
        return drivers.env_value("".join(value for _, value in merged))
    if all(kind in ("text", "argo") for kind, _ in merged):
        pieces = [expr_string(v) if kind == "text" else v for kind, v in merged]
        return drivers.runtime_value(" + ".join(pieces))
    words = []
    for kind, value in merged:
        if kind == "text":
            words.append(drivers.json_string(value))
        elif kind == "argo":
            words.append(drivers.runtime_value(value))
        else:
            words.append(value)
    return " + ".join(words)


def value_part(
    job: JobState, expression: str | Expr, scope: Scope, *, whole: bool, helper: Helper | None = None
) -> Part:
    """One ``${{ }}`` of a value: ``("text", constant)``, ``("var", "$NAME")`` or ``("argo", expr)``."""
    tree = parse(expression) if isinstance(expression, str) else expression
    path = simple_path(tree)
    lowered = [p.lower() for p in path] if path else []
    if path and len(path) == 2 and lowered[0] in ("env", "secrets") and NAME.match(path[1]):
        if lowered[0] == "secrets":
            job.secret(path[1])
            return "var", f"${path[1]}"
        if path[1] not in scope.env:
            return "var", f"${path[1]}"  # read at run time: computed, or set by GITHUB_ENV
    formatted = _format_parts(job, tree, scope, helper)
    if formatted is not None:
        return formatted
    if len(lowered) == 2 and (lowered[0], lowered[1]) in DIRECT:
        name = DIRECT[(lowered[0], lowered[1])]
        if name == "GITHUB_TOKEN":
            job.secret(name)
        return "var", f"${name}"
    fallback = _fallback(job, tree, whole=whole, helper=helper)
    if fallback is not None:
        return fallback
    tree = inlined(tree, scope)
    shown = f"${{{{ {expression} }}}}" if isinstance(expression, str) else "a part of the value"
    if reads_secrets(tree):
        raise StepProblem(f"{shown}: only secrets.X and secrets.X || 'default' are converted in a value")
    ok, value = fold_tree(tree, scope, env_at_run_time=True)
    if ok:
        return "text", scalar_text(value)
    argo = to_argo(tree, scope)
    job.conv.use_parameters(scope)
    if "?." in argo or "nil" in argo:  # it may be null, which is '' as text
        argo = f'({argo}) ?? ""'
    return "argo", f"string({argo})"


def _fallback(job: JobState, tree: Expr, *, whole: bool, helper: Helper | None) -> Part | None:
    """``secrets.X || 'd'`` (or ``env.X || 'd'``) as ``$X || "d"``; None for other expressions."""
    if not (
        (whole or helper is not None)
        and isinstance(tree, Logical)
        and tree.op == "||"
        and len(tree.args) == 2
        and isinstance(tree.args[1], Literal)
    ):
        return None
    first = simple_path(tree.args[0]) or []
    if not (len(first) == 2 and first[0].lower() in ("secrets", "env") and NAME.match(first[1])):
        return None
    if first[0].lower() == "secrets":
        job.secret(first[1])
    default = drivers.json_string(scalar_text(tree.args[1].value))
    fallback = f"${first[1]} || {default}"
    # ` || ` ends a whole value; inside a larger one it gets a variable of its own.
    return "var", fallback if whole or helper is None else f"${helper(fallback)}"


def _format_parts(job: JobState, tree: Expr, scope: Scope, helper: Helper | None) -> Part | None:
    """``format('{0}/{1}', a, b)`` over run-time variables as one ``+`` value, else None."""
    if not (
        isinstance(tree, Call)
        and tree.name.lower() == "format"
        and tree.args
        and isinstance(tree.args[0], Literal)
        and isinstance(tree.args[0].value, str)
        and reads_secrets_or_env(tree)
    ):
        return None
    words: list[str] = []
    for piece in re.split(r"(\{\d+\})", tree.args[0].value):
        match = re.fullmatch(r"\{(\d+)\}", piece)
        if match and int(match.group(1)) + 1 < len(tree.args):
            arg = tree.args[int(match.group(1)) + 1]
            kind, value = value_part(job, arg, scope, whole=False, helper=helper)
            if kind == "text":
                words.append(drivers.json_string(value))
            else:
                words.append(drivers.runtime_value(value) if kind == "argo" else value)
        elif piece:
            words.append(drivers.json_string(piece.replace("{{", "{").replace("}}", "}")))
    return ("var", " + ".join(words)) if words else ("text", "")


def folded(job: JobState, text: str) -> str:
    """``text`` with its ``${{ }}`` replaced by their values when every one is known now.

    A rule then sees the value of ``${{ env.DOTNET_VERSION }}`` ('8.0.x') and can normalise it
    into an image tag; text that needs run-time values is left to :func:`argo_text`.
    """
    if "${{" not in text:
        return text
    scope = job.scope()
    out, pos = [], 0
    for span in find_expressions(text):
        try:
            ok, value = fold_tree(inlined(parse(span.expression), scope), scope)
        except (ExpressionError, Untranslatable):
            return text
        if not ok:
            return text
        out += [text[pos : span.start], scalar_text(value)]
        pos = span.end
    return "".join(out) + text[pos:]


def argo_text(job: JobState, text: str, step: Step, pre: list[ArgoStep]) -> str:
    """A parameter value with ``${{ }}`` turned into Argo tags (``hashFiles`` into a step in ``pre``)."""
    if "${{" not in text:
        return text
    scope = job.scope()
    out, pos = [], 0
    for span in find_expressions(text):
        out.append(text[pos : span.start])
        pos = span.end
        tree = inlined(parse(span.expression), scope)
        ok, value = fold_tree(tree, scope)
        if ok:
            out.append(scalar_text(value))
            continue
        if (
            isinstance(tree, Call)
            and tree.name.lower() == "hashfiles"
            and all(isinstance(a, Literal) and isinstance(a.value, str) for a in tree.args)
        ):
            out.append(_hash_files(job, tree, step, pre))
            continue
        try:
            argo = to_argo(tree, scope)
        except Untranslatable as err:
            raise StepProblem(f"${{{{ {span.expression} }}}}: {err}", "unsupported") from None
        job.conv.use_parameters(scope)
        out.append(f"{{{{=string({argo})}}}}")
    out.append(text[pos:])
    return "".join(out)


def _hash_files(job: JobState, tree: Call, step: Step, pre: list[ArgoStep]) -> str:
    """A ``cache/hash-files`` step before the step (in ``pre``); its output replaces ``hashFiles(...)``."""
    hash_name = job.unique(f"{step.id}-hash")
    patterns = "".join(f"{job.workdir}/{a.value}\n" for a in tree.args if isinstance(a, Literal))
    pre.append(named(hash_name, library_call("cache", "hash-files", {"patterns": patterns})))
    return f"{{{{steps.{hash_name}.outputs.parameters.hash}}}}"
