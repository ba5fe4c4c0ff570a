"""Label and field selectors with the API server's grammar, so list filtering behaves like a cluster."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_TOKEN = re.compile(r"\s*(\(|\)|,|==|=|!=|!|" + _KEY + r"|[-A-Za-z0-9_.]+|.)")


class SelectorError(ValueError):
    """A selector that the API server would answer with 400 BadRequest."""


@dataclass(frozen=True)
class Requirement:
    """One ``key op values`` clause of a label selector."""

    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a label set satisfies this clause (absent keys satisfy ``!=`` and ``notin``)."""
        present = self.key in labels
        value = labels.get(self.key)
        if self.op in ("=", "in"):
            return present and value in self.values
        if self.op in ("!=", "notin"):
            return not present or value not in self.values
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if not present or value is None or not value.lstrip("-").isdigit():
            return False
        bound = int(self.values[0])
        return int(value) > bound if self.op == "gt" else int(value) < bound


def _tokens(text: str) -> list[str]:
    return [tok for tok in _TOKEN.findall(text) if tok.strip()]


def parse_label_selector(text: str) -> list[Requirement]:
    """Parse ``a=b,c!=d,e in (f,g),h notin (i),j,!k,l>3`` into requirements (empty text: everything)."""
    tokens = _tokens(text)
    reqs: list[Requirement] = []
    pos = 0

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise SelectorError(f"unable to parse requirement: unexpected end of selector {text!r}")
        pos += 1
        return tokens[pos - 1]

    while pos < len(tokens):
        tok = take()
        if tok == "!":
            reqs.append(Requirement(_check_key(take(), text), "!"))
        else:
            key = _check_key(tok, text)
            nxt = tokens[pos] if pos < len(tokens) else ","
            if nxt == ",":
                reqs.append(Requirement(key, "exists"))
            elif nxt in ("=", "==", "!="):
                take()
                value = take() if pos < len(tokens) and tokens[pos] != "," else ""
                reqs.append(Requirement(key, "!=" if nxt == "!=" else "=", (_check_value(value, text),)))
            elif nxt in ("in", "notin"):
                take()
                if take() != "(":
                    raise SelectorError(f"unable to parse requirement: expected '(' after {nxt} in {text!r}")
                values: list[str] = []
                while (tok := take()) != ")":
                    if tok != ",":
                        values.append(_check_value(tok, text))
                reqs.append(Requirement(key, nxt, tuple(values)))
            elif nxt in (">", "<"):
                take()
                bound = take()
                if not bound.lstrip("-").isdigit():
                    raise SelectorError(
                        f"unable to parse requirement: {bound!r} is not an integer in {text!r}"
                    )
                reqs.append(Requirement(key, "gt" if nxt == ">" else "lt", (bound,)))
            else:
                raise SelectorError(f"unable to parse requirement: unexpected {nxt!r} in {text!r}")
        if pos < len(tokens) and take() != ",":
            raise SelectorError(f"unable to parse requirement: expected ',' in {text!r}")
    return reqs


def _check_key(key: str, text: str) -> str:
    if not re.fullmatch(_KEY, key) or key in ("in", "notin"):
        raise SelectorError(f"unable to parse requirement: invalid label key {key!r} in {text!r}")
    return key


def _check_value(value: str, text: str) -> str:
    if value and not re.fullmatch(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?", value):
        raise SelectorError(f"unable to parse requirement: invalid label value {value!r} in {text!r}")
    return value


def label_matcher(text: str) -> Callable[[Mapping[str, str]], bool]:
    """A predicate over label sets; every requirement must hold."""
    reqs = parse_label_selector(text)
    return lambda labels: all(req.matches(labels) for req in reqs)


_FIELDS = {"metadata.name": ("metadata", "name"), "metadata.namespace": ("metadata", "namespace")}


def field_matcher(text: str) -> Callable[[Mapping[str, Any]], bool]:
    """Custom resources support only ``metadata.name`` and ``metadata.namespace`` (``=``, ``==``, ``!=``)."""
    clauses: list[tuple[tuple[str, str], bool, str]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = re.fullmatch(r"([^=!]+?)\s*(==|=|!=)\s*(.*)", part)
        if not match:
            raise SelectorError(f"invalid field selector: {part!r}")
        field, op, value = match.groups()
        if field not in _FIELDS:
            raise SelectorError(f'field label not supported: "{field}"')
        clauses.append((_FIELDS[field], op != "!=", value))

    def matches(obj: Mapping[str, Any]) -> bool:
        for (outer, inner), equal, value in clauses:
            actual = (obj.get(outer) or {}).get(inner) or ""
            if (actual == value) != equal:
                return False
        return True

    return matches
