"""Generated documents written in ``wfsync fmt``'s canonical form without ruamel's round-trip emitter.

A converted 2,000-target Makefile is ~74,000 YAML nodes; ruamel's representer, serializer and
emitter spend seconds on them, ten times the conversion itself. A generated document is plain data
(dict, list, str, int, bool) without comments, so its canonical text is a simple function of the
data and of two layout choices (which mappings are ``{...}`` and which strings are ``|`` blocks).
:func:`dump` writes exactly the text ``new_yaml().dump()`` writes after :func:`~wfsync.fmt.formatter.canonicalize`:

- key order from the formatter's own tables (only Argo kinds are reordered);
- each scalar's style as ruamel's emitter chooses it: a word that is plain in every context is
  recognised by a rule (tested against ruamel's analysis), every other string is written by ruamel
  itself once (cached) in the same context, and its one-line text reused;
- block layout as ``new_yaml()`` sets it (mappings +2, sequences +2 with the dash, ``|`` bodies +2).

Anything outside that subset (floats, nulls, sequences in sequences, a container inside ``{...}``,
a string so long that ruamel would fold it) raises :class:`Unsupported`; the caller then uses ruamel.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

from wfsync.fmt import key_order as ko
from wfsync.fmt.formatter import _ITEMS, _MAPS, _ROOTS, new_yaml  # the canonical order tables, shared

INDENT = 2
SIMPLE_KEY = 128
"""ruamel writes a longer key as ``? key`` (which the fast writer does not)."""
LONGEST = 100_000
"""Longer scalars are left to ruamel (it folds lines past its width; ours never get near it)."""

_PLAIN_WORD = re.compile(r"[A-Za-z_/][A-Za-z0-9_./+=<>|@%!&*$()~^:;\- ]*")
"""A string written plain everywhere when it also passes :func:`_plain_everywhere`'s checks."""
_RESOLVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
"""Words starting with a letter that some YAML resolver reads as a bool or null (left to ruamel)."""


class Unsupported(Exception):
    """The document has a shape this writer does not reproduce exactly (use ruamel)."""


@dataclass(frozen=True)
class Layout:
    """The two choices the generated form makes (the rest is the canonical form).

    ``flow(key, mapping)``: whether a mapping reached through ``key`` (a list's key for its
    items) is written ``{a: 1, b: 2}``. ``literal(text)``: whether a string is a ``|`` block.
    """

    flow: Callable[[str, dict[str, object]], bool]
    literal: Callable[[str], bool]


def dump(document: dict[str, object], layout: Layout) -> str:
    """The canonical text of ``document`` (a mapping); :class:`Unsupported` when not reproducible."""
    if not isinstance(document, dict) or not document:
        raise Unsupported("the document is not a non-empty mapping")
    context = None
    if document.get("kind") in ko.ARGO_KINDS:
        context = _ROOTS.get(str(document["kind"]), "workflow")
    out: list[str] = []
    writer = _Writer(layout, out)
    writer.mapping(document, 0, context, inline=False)
    if writer.open_ended:
        raise Unsupported("the document ends with a |+ block")
    return "".join(out)


def _keys(node: dict[str, object], order: ko.KeyOrder | None) -> list[str]:
    """``node``'s keys in canonical order (as ``canonicalize`` moves them)."""
    keys = list(node)
    if order is None:
        return keys
    head = [k for k in order.head if k in node]
    tail = [k for k in order.tail if k in node]
    placed = set(head) | set(tail)
    return head + [k for k in keys if k not in placed] + tail


class _Writer:
    """Appends lines to ``out``; ``open_ended`` is whether the last scalar was a ``|+`` block.

    ``context`` names what a node is for the key order (the formatter's ``_MAPS``/``_ITEMS``).
    """

    def __init__(self, layout: Layout, out: list[str]) -> None:
        self.layout = layout
        self.out = out
        self.open_ended = False

    def mapping(self, node: dict[str, object], indent: int, context: str | None, *, inline: bool) -> None:
        """A block mapping whose keys start at ``indent`` (the first on the current line if ``inline``)."""
        pad = " " * indent
        order, children = _MAPS.get(context or "", (None, {}))
        for position, key in enumerate(_keys(node, order)):
            if not isinstance(key, str):
                raise Unsupported(f"a {type(key).__name__} key")
            lead = ("" if inline and position == 0 else pad) + scalar(key, "key") + ":"
            self.value(key, node[key], lead, indent, children.get(key))

    def value(self, key: str, value: object, lead: str, indent: int, context: str | None) -> None:
        """``lead`` (``key:`` or ``-``) followed by ``value``, whose block content is at ``indent + 2``."""
        self.open_ended = False
        if isinstance(value, dict):
            if not value:
                self.out.append(f"{lead} {{}}\n")
            elif self.layout.flow(key, value):
                self.out.append(f"{lead} {self.flow(value, context)}\n")
            elif lead.endswith("-"):
                self.out.append(lead + " ")
                self.mapping(value, indent + INDENT, context, inline=True)
            else:
                self.out.append(lead + "\n")
                self.mapping(value, indent + INDENT, context, inline=False)
        elif isinstance(value, list):
            if lead.endswith("-"):
                raise Unsupported("a sequence in a sequence")
            if not value:
                self.out.append(f"{lead} []\n")
                return
            self.out.append(lead + "\n")
            dash = " " * (indent + INDENT) + "-"
            item = _ITEMS.get(context or "")
            for entry in value:
                self.value(key, entry, dash, indent + INDENT, item)
        elif isinstance(value, str) and "\n" in value and self.layout.literal(value):
            self.literal(value, lead, indent + INDENT)
        else:
            self.out.append(f"{lead} {scalar(value, 'block')}\n")

    def flow(self, node: dict[str, object], context: str | None) -> str:
        """``{key: value, ...}`` of scalars (ruamel double-quotes a ``|`` string in a flow mapping)."""
        parts = []
        for key in _keys(node, _MAPS.get(context or "", (None, {}))[0]):
            value = node[key]
            if not isinstance(key, str) or isinstance(value, dict | list):
                raise Unsupported("a container or a non-string key in a flow mapping")
            parts.append(f"{scalar(key, 'flow key')}: {scalar(value, 'flow')}")
        return "{" + ", ".join(parts) + "}"

    def literal(self, text: str, lead: str, indent: int) -> None:
        """``|`` with ruamel's hints (indentation if the text starts blank, chomping), then the lines."""
        hints = str(INDENT) if text[0] in " \n\x85\u2028\u2029" else ""
        if text[-1] != "\n":
            hints += "-"
        elif len(text) == 1 or text[-2] == "\n":
            hints += "+"
        if any(ch in text for ch in "\r\x85\u2028\u2029"):
            raise Unsupported("a block scalar with a line break other than \\n")
        pad = " " * indent
        body = text if text.endswith("\n") else text + "\n"
        lines = "".join(f"{pad}{line}\n" if line else "\n" for line in body[:-1].split("\n"))
        self.out.append(f"{lead} |{hints}\n{lines}")
        self.open_ended = hints.endswith("+")


_SEEN: dict[str, dict[str, str]] = {"block": {}, "flow": {}, "key": {}, "flow key": {}}
"""Strings already written, per context (generated documents repeat most of theirs)."""


def scalar(value: object, context: str) -> str:
    """One scalar as ruamel writes it in ``context`` (``block``, ``flow``, ``key``, ``flow key``)."""
    seen = _SEEN[context]
    if isinstance(value, str):
        known = seen.get(value)
        if known is not None:
            return known
        text = _string(value, context)
        if len(seen) < 65536:
            seen[value] = text
        return text
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    raise Unsupported(f"a {type(value).__name__} scalar")


def _string(value: str, context: str) -> str:
    if _plain_everywhere(value) and (len(value) < SIMPLE_KEY or "key" not in context):
        return value
    if len(value) > LONGEST:
        raise Unsupported("a scalar longer than the fast writer keeps on one line")
    return _by_ruamel(value, context)


def _plain_everywhere(text: str) -> bool:
    """Whether ruamel writes ``text`` plain in block, flow and key context (no indicator, not typed)."""
    return (
        _PLAIN_WORD.fullmatch(text) is not None
        and text[-1] not in " :"
        and ": " not in text
        and " #" not in text
        and text.lower() not in _RESOLVED
    )


def _by_ruamel(text: str, context: str) -> str:
    """Ask ruamel to write ``text`` in ``context`` in a one-entry document and cut its text out."""
    from ruamel.yaml.comments import CommentedMap

    inner: object
    if context == "block":
        data, before, after = CommentedMap(k=text), "k: ", "\n"
    elif context == "key":
        data, before, after = CommentedMap([(text, 0)]), "", ": 0\n"
    else:
        inner = CommentedMap(k=text) if context == "flow" else CommentedMap([(text, 0)])
        inner.fa.set_flow_style()
        data = CommentedMap(k=inner)
        before, after = ("k: {k: ", "}\n") if context == "flow" else ("k: {", ": 0}\n")
    buffer = io.StringIO()
    new_yaml().dump(data, buffer)
    written = buffer.getvalue()
    one_line = written.count("\n") == 1 and not any(ch in written for ch in "\r\x85\u2028\u2029")
    if not (written.startswith(before) and written.endswith(after) and one_line):
        raise Unsupported(f"ruamel writes {text[:40]!r} on more than one line or in another form")
    return written[len(before) : -len(after)]
