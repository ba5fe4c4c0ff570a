"""How every converter lays out the documents it writes, so that converted workflows read alike.

Scripts and other multi-line text are ``|`` blocks; a ``templateRef`` and a short one-line
parameter (``{name: job, value: jobs/build}``) take one line each. The choices are predicates
(:func:`flow_style`, :func:`literal_style`) that both ruamel (through :func:`commented`) and
``wfsync.fmt.emit``'s fast writer apply, so the two writers agree.
"""

from __future__ import annotations

from collections.abc import Mapping

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

FLOW_WIDTH = 72
"""A parameter whose name and one-line value fit in this many characters is written on one line."""


def commented(value: object, key: str = "") -> object:
    """The document as ruamel's types, with :func:`flow_style` mappings and :func:`literal_style` blocks."""
    if isinstance(value, dict):
        node = CommentedMap((k, commented(v, str(k))) for k, v in value.items())
        if flow_style(key, value):
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        return CommentedSeq(commented(v, key) for v in value)
    if isinstance(value, str) and literal_style(value):
        return LiteralScalarString(value)
    return value


def flow_style(key: str, mapping: Mapping[str, object]) -> bool:
    """Whether a mapping reached through ``key`` is written ``{...}``: a ``templateRef``, a short parameter."""
    return key == "templateRef" or (key == "parameters" and short_parameter(mapping))


def short_parameter(parameter: Mapping[str, object]) -> bool:
    """Whether a parameter is written on one line: only name and a short one-line value."""
    if set(parameter) - {"name", "value"} or not isinstance(parameter.get("value", ""), str):
        return False
    text = str(parameter.get("value", ""))
    if any(str(parameter.get(k, ""))[:1] in ("?", ":") for k in ("name", "value")):
        return False  # ruamel writes {value: : x} plain, which no reader takes back
    return (
        "\n" not in text
        and "\r" not in text
        and len(str(parameter.get("name", ""))) + len(text) <= FLOW_WIDTH
    )


def literal_style(text: str) -> bool:
    """Whether a ``|`` block gives ``text`` back exactly (line breaks, printable, no edge blanks)."""
    if "\n" not in text.rstrip("\n") or text != text.lstrip(" ") or "\n\n\n" in text[-3:] + "\n":
        return False
    if any((ch < " " and ch not in "\n\t") or ch in "\x7f\u2028\u2029\ufeff\x85" for ch in text):
        return False
    return not any(line != line.rstrip(" \t") for line in text.split("\n"))
