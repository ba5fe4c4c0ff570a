"""``when`` expressions as Argo reads them: tags substituted first, then govaluate.

fasttemplate ends a tag at the first ``}}``, so an expression tag with braces inside is fine
until two closing braces meet; only what is left around the tags is parsed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator


def template_tags(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, tag)`` of each tag as fasttemplate finds it: a tag ends at the FIRST ``}}``.

    So ``{{= {"a": "b"}[x] }}`` is one expression tag (``}[`` is not ``}}``), while in
    ``{{= {"a": {"b": 1}} }}`` the tag stops after ``1``. An unclosed ``{{`` is left as text.
    """
    pos = 0
    while (start := text.find("{{", pos)) >= 0:
        end = text.find("}}", start + 2)
        if end < 0:
            return
        yield start, end + 2, text[start + 2 : end]
        pos = end + 2


def when_syntax_problem(when: str) -> str | None:
    """Why a ``when`` cannot be parsed by govaluate once its tags are substituted, or None.

    Tags become a plain word (expression tags ``true``): the real value is unknown before run
    time, so only the expression around the tags is judged, and an expression tag only for
    being cut short by a ``}}`` inside it.
    """
    from wfsync.expressions.govaluate import WhenError, check_when

    parts: list[str] = []
    pos = 0
    for start, end, tag in template_tags(when):
        stripped = tag.strip()
        if stripped.startswith("="):
            problem = _cut_expression(stripped[1:])
            if problem:
                return problem
        parts.append(when[pos:start] + ("true" if stripped.startswith("=") else "x"))
        pos = end
    text = ("".join(parts) + when[pos:]).strip()
    if not text:
        return "empty expression"
    try:
        check_when(text)
    except WhenError as err:
        return str(err).split(": ", 1)[-1]
    return None


def _cut_expression(expression: str) -> str | None:
    """Why an expression tag is not what its author wrote: Argo ended it at a ``}}`` inside it."""
    from wfsync.expressions import exprlang

    quoted = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', "", expression)
    if sum(quoted.count(c) for c in "{[(") <= sum(quoted.count(c) for c in "}])"):
        return None
    try:
        exprlang.compile(expression)
    except exprlang.ExprError:
        return (
            f"Argo ends a '{{{{=' expression at the first '}}}}', so it evaluates {expression.strip()!r}, "
            "which is cut short (write '} }' for braces that close together inside an expression)"
        )
    return None
