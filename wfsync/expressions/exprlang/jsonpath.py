"""The JSONPath subset behind Argo's ``jsonpath(json, path)`` (``evilmonkeyinc/jsonpath`` semantics).

Supported: ``$``, ``.key``, ``['key']``, ``[0]`` (negative too), ``[*]``/``.*``, unions ``[0,2]``,
slices ``[a:b:c]``, recursive descent ``..key`` and filters ``[?(@.age > 42 && @.name == 'x')]``.
A definite path (keys and single indexes only) returns one value and fails when it is missing;
any wildcard, slice, union, filter or recursion returns a list of what matched.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import re
from collections.abc import Callable
from typing import Any

from wfsync.expressions.exprlang.errors import ExprError


@dataclasses.dataclass(frozen=True)
class _Segment:
    kind: str  # "key", "index", "wild", "slice", "union", "filter"
    value: Any = None
    recursive: bool = False


def _fail(message: str) -> ExprError:
    return ExprError(f"jsonpath: {message}")


@functools.lru_cache(maxsize=512)
def _parse(path: str) -> tuple[_Segment, ...]:
    text = path.strip()
    if not text.startswith("$"):
        raise _fail(f"invalid path '{path}': must start with $")
    i, segments = 1, []
    while i < len(text):
        recursive = text.startswith("..", i)
        if text[i] == ".":
            i += 2 if recursive else 1
            if i < len(text) and text[i] == "[":
                continue_at, segment = _bracket(text, i, recursive)
                segments.append(segment)
                i = continue_at
                continue
            match = re.compile(r"\*|[^.\[\]]+").match(text, i)
            if not match:
                raise _fail(f"invalid path '{path}'")
            name = match.group(0)
            segments.append(
                _Segment("wild", None, recursive) if name == "*" else _Segment("key", name, recursive)
            )
            i = match.end()
        elif text[i] == "[":
            i, segment = _bracket(text, i, False)
            segments.append(segment)
        else:
            raise _fail(f"invalid path '{path}' at position {i}")
    return tuple(segments)


def _bracket(text: str, start: int, recursive: bool) -> tuple[int, _Segment]:
    depth, quote, i = 0, "", start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0:
                break
        i += 1
    if i >= len(text):
        raise _fail(f"invalid path '{text}': unclosed bracket")
    body = text[start + 1 : i].strip()
    return i + 1, _selector(body, recursive)


def _selector(body: str, recursive: bool) -> _Segment:
    if body == "*":
        return _Segment("wild", None, recursive)
    if body.startswith("?(") and body.endswith(")"):
        return _Segment("filter", _Filter(body[2:-1]), recursive)
    if re.fullmatch(r"-?\d*\s*:\s*-?\d*(\s*:\s*-?\d*)?", body):
        bounds = [int(p) if p.strip() else None for p in body.split(":")]
        return _Segment("slice", (*bounds, None, None)[:3], recursive)
    values: list[object] = []
    for part in (p.strip() for p in _split_union(body)):
        if part[:1] in "'\"" and part[-1:] == part[:1] and len(part) >= 2:
            values.append(part[1:-1])
        elif re.fullmatch(r"-?\d+", part):
            values.append(int(part))
        else:
            values.append(part)
    if len(values) == 1:
        value = values[0]
        return _Segment("index" if isinstance(value, int) else "key", value, recursive)
    return _Segment("union", tuple(values), recursive)


def _split_union(body: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    for ch in body:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == ",":
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _descendants(value: object) -> list[object]:
    out = [value]
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        out.extend(_descendants(child))
    return out


def _children(value: object) -> list[object]:
    if isinstance(value, dict):
        return [value[key] for key in sorted(value)]
    if isinstance(value, list):
        return list(value)
    return []


def _apply(segment: _Segment, value: object, definite: bool, root: object) -> list[object]:
    if segment.kind == "key":
        if isinstance(value, dict) and segment.value in value:
            return [value[segment.value]]
        if definite:
            raise _fail(f"key: invalid token key '{segment.value}' not found")
        return []
    if segment.kind == "index":
        if isinstance(value, list):
            index = segment.value + len(value) if segment.value < 0 else segment.value
            if 0 <= index < len(value):
                return [value[index]]
        if definite:
            raise _fail(f"index: invalid token out of range '{segment.value}'")
        return []
    if segment.kind == "wild":
        return _children(value)
    if segment.kind == "union":
        out = []
        for item in segment.value:
            kind = "index" if isinstance(item, int) else "key"
            out.extend(_apply(_Segment(kind, item), value, False, root))
        return out
    if segment.kind == "slice":
        if not isinstance(value, list):
            return []
        start, stop, step = segment.value
        return value[slice(start, stop, 1 if step is None else step)]
    flt: _Filter = segment.value
    return [item for item in _children(value) if flt.matches(item, root)]


def query(path: str, data: object) -> object:
    """Evaluate ``path`` against parsed JSON ``data``."""
    segments = _parse(path)
    definite = all(seg.kind in ("key", "index") and not seg.recursive for seg in segments)
    current: list[object] = [data]
    for segment in segments:
        nxt: list[object] = []
        for value in current:
            targets = _descendants(value) if segment.recursive else [value]
            for target in targets:
                nxt.extend(_apply(segment, target, definite, data))
        current = nxt
    return current[0] if definite else current


_FILTER_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<str>'(?:\\.|[^'])*'|\"(?:\\.|[^\"])*\")"
    r"|(?P<path>[@$](?:\.[A-Za-z0-9_\-]+|\[[^\]]*\])*)|(?P<op>==|!=|<=|>=|=~|&&|\|\||[<>!()])"
    r"|(?P<word>true|false|null)|(?P<regex>/(?:\\.|[^/])*/[a-z]*))"
)
_MISSING = object()


class _Filter:
    """A ``?(...)`` expression compiled to a small token list and evaluated per element."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._pos = 0
        self._item: object = None
        self._root: object = None
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _FILTER_TOKEN.match(text, pos)
            if not match or match.end() == pos:
                raise _fail(f"invalid filter '{text}'")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()

    def matches(self, item: object, root: object) -> bool:
        """Whether ``item`` passes the filter (evaluated on a copy, so threads can share filters)."""
        run = copy.copy(self)
        run._pos, run._item, run._root = 0, item, root
        result = run._or()
        if run._pos != len(self.tokens):
            raise _fail(f"invalid filter '{self.text}'")
        return self._truthy(result)

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self._pos] if self._pos < len(self.tokens) else None

    def _or(self) -> object:
        return self._chain("||", self._and, lambda a, b: a or b)

    def _and(self) -> object:
        return self._chain("&&", self._not, lambda a, b: a and b)

    def _chain(self, op: str, operand: Callable[[], object], combine: Callable[[bool, bool], bool]) -> object:
        """``operand (op operand)*``, each side judged truthy and combined left to right."""
        left = operand()
        while self._peek() == ("op", op):
            self._pos += 1
            right = operand()
            left = combine(self._truthy(left), self._truthy(right))
        return left

    def _not(self) -> object:
        if self._peek() == ("op", "!"):
            self._pos += 1
            return not self._truthy(self._not())
        return self._comparison()

    def _comparison(self) -> object:
        left = self._operand()
        token = self._peek()
        if token and token[0] == "op" and token[1] in ("==", "!=", "<", "<=", ">", ">=", "=~"):
            self._pos += 1
            return _compare(token[1], left, self._operand())
        return left

    def _operand(self) -> object:
        token = self._peek()
        if token is None:
            raise _fail(f"invalid filter '{self.text}'")
        self._pos += 1
        kind, text = token
        if kind == "op" and text == "(":
            value = self._or()
            if self._peek() != ("op", ")"):
                raise _fail(f"invalid filter '{self.text}'")
            self._pos += 1
            return value
        if kind == "num":
            return float(text)
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "word":
            return {"true": True, "false": False, "null": None}[text]
        if kind == "regex":
            return text
        if kind == "path":
            base = self._item if text[0] == "@" else self._root
            try:
                return query("$" + text[1:], base) if len(text) > 1 else base
            except ExprError:
                return _MISSING
        raise _fail(f"invalid filter '{self.text}'")

    @staticmethod
    def _truthy(value: object) -> bool:
        return value is not _MISSING and value not in (False, None)


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is _MISSING or right is _MISSING:
        return op == "!=" and not (left is _MISSING and right is _MISSING)
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right))
    if op == "=~":
        if not isinstance(left, str) or not isinstance(right, str):
            return False
        pattern = right[1:].rsplit("/", 1)[0] if right.startswith("/") else right
        return re.search(pattern, left) is not None
    if op in ("==", "!="):
        equal = (float(left) == float(right)) if numbers else (type(left) is type(right) and left == right)
        return equal if op == "==" else not equal
    if not numbers and not (isinstance(left, str) and isinstance(right, str)):
        return False
    ordered: dict[str, bool] = {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }
    return ordered[op]
