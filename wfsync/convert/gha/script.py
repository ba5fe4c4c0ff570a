"""How a ``run:`` step is written for the library's ``shell/step`` (library/shell.yaml, 2.0).

The runner's plumbing (GITHUB_ENV/OUTPUT/PATH, HOME and TMPDIR, working directory, shell) lives in
that template; a converted step only carries its script, verbatim, and its ``env`` lines. The one
change to a script: ``{{`` becomes ``{{='{{'}}`` (an Argo expression giving ``{{``), because Argo
substitutes ``{{...}}`` in parameter values. ``${{ }}`` in a script becomes ``${NAME}`` and its
value travels as an ``env`` line, so no value is ever parsed as shell code.
"""

from __future__ import annotations

import json
import re
import shlex

BRACE_ESCAPE = "{{='{{'}}"
"""What a literal ``{{`` in a script or value becomes (Argo evaluates it back to ``{{``)."""

RESERVED = frozenset(
    {
        "CI", "HOME", "PATH", "PWD", "SHELL", "TMPDIR", "IFS",
        "GITHUB_ACTIONS", "GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STEP_SUMMARY",
        "GITHUB_WORKSPACE", "GITHUB_EVENT_PATH", "RUNNER_TEMP", "RUNNER_OS",
    }
)  # fmt: skip
"""Variables ``shell/step`` sets itself: an expression's variable never takes these names."""

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def escape_braces(text: str) -> str:
    """``text`` as a parameter value Argo gives back unchanged (``{{`` escaped)."""
    return text.replace("{{", BRACE_ESCAPE)


def env_value(value: str) -> str:
    """A constant as an ``env`` line value: verbatim when that is unambiguous, else a JSON string.

    JSON when the value spans lines, starts with ``"`` or ``$`` (which have a meaning there), or
    holds ``{{``/``}}`` (braces written as JSON escapes, so Argo substitutes nothing).
    """
    plain = not any(c in value for c in "\n\r") and not value.startswith(('"', "$"))
    if plain and "{{" not in value and "}}" not in value:
        return value
    return json_string(value)


def json_string(value: str) -> str:
    """A JSON string literal with braces escaped when Argo would see a tag in it."""
    text = json.dumps(value, ensure_ascii=False)
    if "{{" in text or "}}" in text:
        text = text.replace("{", "\\u007b").replace("}", "\\u007d")
    return text


def runtime_value(text: str) -> str:
    """An ``env`` line value computed by Argo: a JSON string, so that it can never add a line."""
    return f"{{{{=toJSON({text})}}}}"


def env_lines(values: dict[str, str]) -> str:
    """``KEY=VALUE`` lines (values already in ``env`` line form)."""
    return "\n".join(f"{key}={value}" for key, value in values.items())


def var_name(path: list[str] | None, taken: set[str]) -> str:
    """A readable variable name for an expression: its path in upper case, else ``EXPR_<n>``."""
    base = "_".join(re.sub(r"[^A-Za-z0-9]+", "_", p).strip("_").upper() for p in path) if path else ""
    if not base or not _NAME.match(base):
        base = "EXPR"
    candidate, n = base, 1
    while candidate in taken or candidate in RESERVED or (base == "EXPR" and n == 1):
        n += 1
        candidate = f"{base}_{n - 1}" if base == "EXPR" else f"{base}_{n}"
    taken.add(candidate)
    return candidate


def is_posix_shell(shell: str | None) -> bool:
    """Whether ``${{ }}`` in the script can become ``${VAR}`` (sh-family shells)."""
    if shell is None:
        return True
    first = shlex.split(shell)[0] if shell.strip() else ""
    return first.rsplit("/", 1)[-1] in ("bash", "sh", "dash", "zsh", "ksh")


def quote_state(script: str, end: int) -> str:
    """The shell quoting at offset ``end``: ``'`` or ``"`` inside quotes, ``''`` outside.

    A ``${{ }}`` inside single quotes becomes ``'"${VAR}"'`` so that its value still arrives
    (GitHub splices the text there; the variable keeps it data). Comments and heredocs are
    read as plain text, which is close enough for where expressions appear in scripts.
    """
    state, i = "", 0
    while i < end:
        char = script[i]
        if state == "'":
            if char == "'":
                state = ""
        elif char == "\\":
            i += 1
        elif state == '"':
            if char == '"':
                state = ""
        elif char in ("'", '"'):
            state = char
        elif char == "#" and (i == 0 or script[i - 1] in " \t\n;"):
            newline = script.find("\n", i)
            if newline == -1 or newline >= end:
                return ""
            i = newline
        i += 1
    return state


def env_condition(tree: object) -> str | None:
    """A POSIX test for an ``if:`` over ``env`` and literals, or None when it uses anything else.

    ``shell/step`` decides such conditions (its ``condition``) at run time, because ``GITHUB_ENV``
    written by an earlier step changes ``env``. Comparisons are case-insensitive like GitHub's; a string is
    true when not empty.
    """
    from wfsync.convert.gha.expressions.nodes import Compare, ContextRef, Index, Literal, Logical, Not

    def operand(node: object) -> str | None:
        if isinstance(node, Literal):
            if isinstance(node.value, bool):
                return shlex.quote("true" if node.value else "false")
            if node.value is None:
                return "''"
            if isinstance(node.value, float) and node.value.is_integer():
                return shlex.quote(str(int(node.value)))
            return shlex.quote(str(node.value).lower())
        if (
            isinstance(node, Index)
            and isinstance(node.target, ContextRef)
            and node.target.name.lower() == "env"
            and isinstance(node.index, Literal)
            and isinstance(node.index.value, str)
            and node.index.value.replace("_", "a").isalnum()
        ):
            return f'"$(printf %s "${{{node.index.value}:-}}" | tr "[:upper:]" "[:lower:]")"'
        return None

    def test(node: object) -> str | None:
        if isinstance(node, Not):
            inner = test(node.operand)
            return None if inner is None else f"! {{ {inner}; }}"
        if isinstance(node, Logical):
            parts = [test(a) for a in node.args]
            if any(p is None for p in parts):
                return None
            joiner = " && " if node.op == "&&" else " || "
            return "{ " + joiner.join(f"{{ {p}; }}" for p in parts if p) + "; }"
        if isinstance(node, Compare) and node.op in ("==", "!="):
            left, right = operand(node.left), operand(node.right)
            if left is None or right is None:
                return None
            return f"[ {left} {'=' if node.op == '==' else '!='} {right} ]"
        word = operand(node)
        if word is None or isinstance(node, Literal):
            return None
        return f"[ -n {word} ]"

    return test(tree)
