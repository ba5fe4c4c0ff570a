"""How converted documents are laid out as YAML: block scripts, one-line calls, a safe header.

The converter's documents are plain data; these helpers give them the emitter's (ruamel) types
so that the written file reads as a person would write it. Canonical key order comes from
``wfsync fmt``, which the command applies (the converter does not import the formatter).
"""

from __future__ import annotations

from collections.abc import Mapping

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

FLOW_WIDTH = 72
"""A parameter whose name and one-line value fit in this many characters is written on one line."""


def commented(value: object, key: str = "") -> object:
    """The emitter's (ruamel) types, laid out as a person would write them.

    Scripts and other multi-line text are ``|`` blocks; a ``templateRef`` and a short
    one-line parameter (``{name: job, value: jobs/build}``) take one line each.
    """
    if isinstance(value, dict):
        node = CommentedMap((k, commented(v, str(k))) for k, v in value.items())
        if key == "templateRef" or (key == "parameters" and short_parameter(value)):
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        return CommentedSeq(commented(v, key) for v in value)
    if isinstance(value, str) and block_friendly(value):
        return LiteralScalarString(value)
    return value


def short_parameter(parameter: Mapping[str, object]) -> bool:
    """Whether a parameter is written on one line: only name and a short one-line value."""
    if set(parameter) - {"name", "value"} or not isinstance(parameter.get("value", ""), str):
        return False
    text = str(parameter.get("value", ""))
    return (
        "\n" not in text
        and "\r" not in text
        and len(str(parameter.get("name", ""))) + len(text) <= FLOW_WIDTH
    )


def block_friendly(text: str) -> bool:
    """Whether a ``|`` block gives ``text`` back exactly (line breaks, printable, no edge blanks)."""
    if "\n" not in text.rstrip("\n") or text != text.lstrip(" ") or "\n\n\n" in text[-3:] + "\n":
        return False
    if any((ch < " " and ch not in "\n\t") or ch in "\x7f\u2028\u2029\ufeff\x85" for ch in text):
        return False
    return not any(line != line.rstrip(" \t") for line in text.split("\n"))


def comment_line(line: str) -> str:
    """A header line as one YAML comment line: text from the source never ends the comment."""
    # YAML also ends a line at NEL, LINE and PARAGRAPH SEPARATOR; other control characters are not text.
    flat = "".join(
        " " if ch < " " and ch != "\t" or ch in "\x7f\x85\u2028\u2029\ufeff" else ch for ch in line
    )
    return "#" if not flat else f"# {flat}"


def header_text(header: list[str]) -> str:
    """The header lines as the comment block above the document."""
    return "".join(f"{comment_line(line)}\n" for line in header)
