"""Move full-line comments onto the key or item they describe, so that they follow it when keys move.

ruamel.yaml attaches a comment to the token read just before it: the comment lines above ``spec:``
hang off the last scalar of ``metadata``. Reordering keys would then carry a comment away from the
key it describes. :func:`hoist_comments` moves such lines into the "before" slot of the next key (or
sequence item) and indents them like it, which also re-aligns comments when the sequence indentation
changes. End-of-line comments and comment lines indented deeper than the next key (commented-out
content of the previous block) stay where they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from ruamel.yaml.comments import CommentedBase, CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken

_BLOCK_SCALARS = (LiteralScalarString, FoldedScalarString)
_MAP_POST = 2  # ca.items[key] slot of the comment after a mapping value
_SEQ_POST = 0  # ca.items[index] slot of the comment after a sequence item
_BEFORE = 1  # ca.items[key or index] slot of the comments before a key or item
_END = -1  # marks a trail held in ``ca.end`` of a collection (comments after its last item)


@dataclass
class _Trail:
    """The comment text after a value: an end-of-line part and the full lines that follow it."""

    owner: CommentedBase
    key: object
    slot: int
    token: CommentToken | None
    eol: str | None
    """The end-of-line comment ("" when there is none); None when the token holds only full lines."""
    lines: list[str]

    def keep(self, lines: list[str]) -> None:
        """Write back the lines that stay after the value."""
        if self.slot == _END:
            self.owner.ca.end[:] = [CommentToken(line + "\n", CommentMark(0), None) for line in lines]
        elif self.token is None:
            return
        elif self.eol is not None:
            self.token.value = self.eol + "\n" + "".join(line + "\n" for line in lines)
        elif lines:
            self.token.value = "".join(line + "\n" for line in lines)
        else:
            self.owner.ca.items[self.key][self.slot] = None


def is_block(node: object) -> bool:
    """A block (not flow) mapping or sequence, the only kind whose layout the formatter controls."""
    return isinstance(node, CommentedMap | CommentedSeq) and not node.fa.flow_style()


def _find_trail(owner: CommentedMap | CommentedSeq, key: object) -> _Trail | None:
    """The comment after ``owner[key]``: on the value's last scalar, however deep it is nested."""
    value = owner[key]
    if is_block(value) and len(value):
        last = next(reversed(value)) if isinstance(value, CommentedMap) else len(value) - 1
        inner = _find_trail(value, last)
        if inner is not None:
            return inner
        end = getattr(value.ca, "end", None)
        if end:
            return _Trail(value, None, _END, None, None, _token_lines(end))
    slot = _MAP_POST if isinstance(owner, CommentedMap) else _SEQ_POST
    entry = owner.ca.items.get(key)
    token = entry[slot] if entry is not None and len(entry) > slot else None
    if not isinstance(token, CommentToken):
        return None
    text: str = token.value
    if isinstance(value, _BLOCK_SCALARS):
        # A block scalar consumes its own line break: every line of the token is a full line.
        return _Trail(owner, key, slot, token, None, text.splitlines())
    eol, _, rest = text.partition("\n")
    return _Trail(owner, key, slot, token, eol, rest.splitlines())


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _shifted(line: str, shift: int) -> str:
    """``line`` indented ``shift`` columns more (or less, never below zero); blank lines stay blank."""
    if not line.strip():
        return ""
    return " " * max(0, _indent_of(line) + shift) + line.lstrip(" ")


def _tokens(lines: list[str], column: int) -> list[CommentToken]:
    """One token per line, comments at ``column``, blank lines empty."""
    out = []
    for line in lines:
        text = line.strip()
        if text:
            out.append(CommentToken(text + "\n", CommentMark(column), None))
        else:
            out.append(CommentToken("\n", CommentMark(0), None))
    return out


def _token_lines(tokens: list[object]) -> list[str]:
    return [line for token in tokens if isinstance(token, CommentToken) for line in token.value.splitlines()]


def _original_column(node: CommentedMap | CommentedSeq, key: object) -> int | None:
    """Column where the key (or the item's content) started in the input, when ruamel recorded it."""
    try:
        position = node.lc.key(key) if isinstance(node, CommentedMap) else node.lc.item(key)
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return int(position[1]) if position is not None else None


def hoist_comments(node: CommentedMap | CommentedSeq, column: int) -> None:
    """Attach the full-line comments above each key or item of ``node`` to that key or item.

    ``column`` is where the keys (for a mapping) or the dashes (for a sequence) of ``node`` start in
    the output; moved comments and the comments above the first key are indented to it.
    """
    if not is_block(node) or not len(node):
        return
    keys = list(node) if isinstance(node, CommentedMap) else list(range(len(node)))
    first = node.ca.comment[1] if node.ca.comment and len(node.ca.comment) > 1 else None
    if first:
        first[:] = _tokens(_token_lines(first), column)
    for previous, key in zip(keys, keys[1:], strict=False):
        moved: list[str] = []
        trail = _find_trail(node, previous)
        if trail is not None and trail.lines:
            limit = _original_column(node, key)
            if limit is None:
                split = 0
            else:
                # Lines indented deeper than the next key describe the previous block: they stay.
                inside = isinstance(node, CommentedSeq)
                deeper = [
                    i
                    for i, line in enumerate(trail.lines)
                    if line.strip() and (_indent_of(line) >= limit if inside else _indent_of(line) > limit)
                ]
                split = deeper[-1] + 1 if deeper else 0
            moved = trail.lines[split:]
            kept = trail.lines[:split]
            if limit is not None and kept:
                # Deeper lines move with their block: by as much as this level's keys (or items) moved.
                shift = column + (len("- ") if isinstance(node, CommentedSeq) else 0) - limit
                kept = [_shifted(line, shift) for line in kept]
            trail.keep(kept)
        entry = node.ca.items.setdefault(key, [None, None, None, None])
        while len(entry) <= _BEFORE:
            entry.append(None)
        existing = _token_lines(entry[_BEFORE] or [])
        lines = moved + existing
        entry[_BEFORE] = _tokens(lines, column) if lines else None
