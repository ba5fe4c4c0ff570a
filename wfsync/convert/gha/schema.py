"""Check a workflow's node tree against ``workflow-schema.yaml``, collecting every problem.

The checker follows GitHub's template reader where it matters for accepting or rejecting a file:
unknown keys, missing required keys, wrong value kinds, repeated keys (case-insensitive), one-of
resolution by a mapping's keys, and where ``${{ }}`` may appear and which named values and
functions it may use there.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Required, TypedDict

from wfsync.convert.gha.expressions import ExpressionError, find_expressions, parse, walk
from wfsync.convert.gha.expressions.nodes import Call, ContextRef
from wfsync.convert.gha.yaml12 import YNode, load, to_python

SCHEMA_FILE = Path(__file__).with_name("workflow-schema.yaml")


class PropertySpec(TypedDict, total=False):
    """A mapping key's value: its type, and whether it is required, opens a context or is an ``if``."""

    type: Required[str]
    required: bool
    context: str
    expression: bool


Property = str | PropertySpec
"""A key's type name, or its full spec."""

MappingSpec = TypedDict(
    "MappingSpec",
    {"properties": dict[str, Property], "loose-key": str, "loose-value": str},
    total=False,
)
"""Known keys, and the types of any other keys and their values (when others are allowed)."""

StringSpec = TypedDict("StringSpec", {"constant": str, "allowed": list[str], "non-empty": bool}, total=False)
"""What a scalar's text may be."""

Definition = TypedDict(
    "Definition",
    {
        "context": str,
        "any": object,
        "one-of": list[str],
        "mapping": MappingSpec,
        "sequence": str | None,
        "string": StringSpec | None,
        "boolean": object,
        "number": object,
        "null": object,
    },
    total=False,
)
"""One definition of ``workflow-schema.yaml`` (see its header)."""

_BUILTIN: dict[str, Definition] = {
    "string": {"string": {}},
    "boolean": {"boolean": {}},
    "number": {"number": {}},
    "null": {"null": {}},
    "any": {"any": {}},
    "sequence": {"sequence": None},
    "mapping": {"mapping": {}},
}
"""Type names every definition may use, without a definition of their own."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a workflow is invalid, at a 1-based line and column (0 when not known)."""

    line: int
    column: int
    message: str


@dataclass(frozen=True, slots=True)
class Allowed:
    """What ``${{ }}`` may use at one place: named values and functions (lower-cased)."""

    names: frozenset[str]
    functions: dict[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Schema:
    """The loaded definitions and context sets."""

    definitions: dict[str, Definition]
    contexts: dict[str, Allowed]


@functools.cache
def load_schema() -> Schema:
    """Read the schema once; its own consistency is checked by the tests."""
    data = to_python(load(SCHEMA_FILE.read_text(encoding="utf-8")))
    contexts: dict[str, Allowed] = {}
    for name, entries in data["contexts"].items():
        names = frozenset(e.lower() for e in entries if "(" not in e)
        functions = {}
        for entry in entries:
            if "(" in entry:
                function, _, arity = entry.rstrip(")").partition("(")
                low, high = arity.split(",")
                functions[function] = (int(low), 255 if high == "MAX" else int(high))
        contexts[name] = Allowed(names, functions)
    return Schema(data["definitions"], contexts)


_ALWAYS_FUNCTIONS = frozenset(
    {"contains", "startswith", "endswith", "format", "join", "tojson", "fromjson", "case"}
)


def check_expression(expression: str, allowed: Allowed) -> str | None:
    """The problem with one expression (its inside, without ``${{ }}``) at a place, or ``None``."""
    if not expression.strip():
        return "An expression was expected"
    try:
        tree = parse(expression, functions=allowed.functions)
    except ExpressionError as err:
        return str(err)
    for node in walk(tree):
        if isinstance(node, ContextRef) and node.name.lower() not in allowed.names:
            return (
                f"Unrecognized named-value: '{node.name}'. "
                f"Located at position {node.offset + 1} within expression: {expression}"
            )
        if isinstance(node, Call):
            name = node.name.lower()
            if name not in _ALWAYS_FUNCTIONS and name not in {f.lower() for f in allowed.functions}:
                return (
                    f"Unrecognized function: '{node.name}'. "
                    f"Located at position {node.offset + 1} within expression: {expression}"
                )
    return None


class Checker:
    """Walks a node tree against the definitions; ``problems`` collects what is wrong."""

    def __init__(self, schema: Schema | None = None) -> None:
        self.schema = schema or load_schema()
        self.problems: list[Problem] = []

    def error(self, node: YNode, message: str) -> None:
        """Record a problem at ``node``."""
        self.problems.append(Problem(node.line, node.column, message))

    def check(self, node: YNode, type_name: str, allowed: Allowed | None = None) -> None:
        """Check ``node`` against the definition ``type_name``."""
        definition = self._definition(type_name)
        context = definition.get("context")
        if context is not None:
            allowed = self.schema.contexts[context]
        if node.kind == "string" and "${{" in node.value:
            if self._expression_value(node, allowed):
                return  # one whole expression: its type is only known at run time
        self._check_value(node, type_name, definition, allowed)

    def _definition(self, type_name: str) -> Definition:
        builtin = _BUILTIN.get(type_name)
        return builtin if builtin is not None else self.schema.definitions[type_name]

    def _expression_value(self, node: YNode, allowed: Allowed | None) -> bool:
        """Check the expressions in a string; True when the string is exactly one expression."""
        text: str = node.value
        try:
            spans = find_expressions(text)
        except ExpressionError:
            self.error(
                node,
                "The expression is not closed. An unescaped ${{ sequence was found, "
                "but the closing }} sequence was not found.",
            )
            return True
        if allowed is None:
            self.error(node, "A template expression is not allowed in this context")
            return True
        whole = len(spans) == 1 and spans[0].start == 0 and spans[0].end == len(text.rstrip())
        for span in spans:
            if span.expression == "insert":
                self.error(
                    node,
                    "The directive 'insert' is not allowed in this context. Directives are not supported "
                    "for expressions that are embedded within a string. Directives are only supported when "
                    "the entire value is an expression.",
                )
                continue
            problem = check_expression(span.expression, allowed)
            if problem:
                self.error(node, problem)
        return whole

    def _check_value(
        self, node: YNode, type_name: str, definition: Definition, allowed: Allowed | None
    ) -> None:
        if "any" in definition:
            self._check_any(node, allowed)
        elif "one-of" in definition:
            self._one_of(node, definition["one-of"], allowed)
        elif "mapping" in definition:
            if node.kind != "mapping":
                self._unexpected(node, "mapping")
                return
            self._mapping(node, [definition["mapping"]], allowed)
        elif "sequence" in definition:
            if node.kind != "sequence":
                self._unexpected(node, "sequence")
                return
            item = definition["sequence"] or "any"
            for child in node.items:
                self.check(child, item if isinstance(item, str) else "any", allowed)
        elif "string" in definition:
            self._string(node, definition["string"] or {})
        elif "boolean" in definition:
            if node.kind != "boolean":
                self._unexpected(node, "boolean")
        elif "number" in definition:
            if node.kind != "number":
                self._unexpected(node, "number")
        elif "null" in definition:
            if node.kind != "null":
                self._unexpected(node, "null")
        else:  # pragma: no cover - the schema test rules this out
            raise AssertionError(f"definition {type_name} has no type")

    def _check_any(self, node: YNode, allowed: Allowed | None) -> None:
        if node.kind == "mapping":
            self._duplicates(node)
            for key, value in node.pairs:
                if not (allowed is not None and key.kind == "string" and _is_insert(key.value)):
                    self.check(key, "string", allowed)
                self.check(value, "any", allowed)
        elif node.kind == "sequence":
            for item in node.items:
                self.check(item, "any", allowed)

    def _unexpected(self, node: YNode, expected: str) -> None:
        del expected
        if node.kind == "mapping":
            self.error(node, "A mapping was not expected")
        elif node.kind == "sequence":
            self.error(node, "A sequence was not expected")
        else:
            self.error(node, f"Unexpected value '{node.text()}'")

    def _string(self, node: YNode, spec: StringSpec) -> None:
        if node.kind in ("mapping", "sequence"):
            self._unexpected(node, "string")
            return
        text = node.text()
        if spec.get("non-empty") and not text:
            self.error(node, f"Unexpected value '{text}'")
        elif "constant" in spec and text != spec["constant"]:
            self.error(node, f"Unexpected value '{text}'")
        elif "allowed" in spec and text not in spec["allowed"]:
            self.error(node, f"Unexpected value '{text}'")

    def _members(self, names: list[str]) -> list[tuple[str, Definition]]:
        """Flatten nested one-of lists into (name, definition) pairs."""
        out: list[tuple[str, Definition]] = []
        for name in names:
            definition = self._definition(name)
            if "one-of" in definition:
                out.extend(self._members(definition["one-of"]))
            else:
                out.append((name, definition))
        return out

    def _one_of(self, node: YNode, names: list[str], allowed: Allowed | None) -> None:
        members = self._members(names)
        if node.kind == "mapping":
            maps = [(n, d) for n, d in members if "mapping" in d or "any" in d]
            if not maps:
                self.error(node, "A mapping was not expected")
            elif len(maps) == 1:
                self.check(node, maps[0][0], allowed)
            else:
                self._mapping(node, [d["mapping"] for _, d in maps], allowed)
            return
        if node.kind == "sequence":
            seqs = [n for n, d in members if "sequence" in d or "any" in d]
            if not seqs:
                self.error(node, "A sequence was not expected")
            else:
                self.check(node, seqs[0], allowed)
            return
        exact = {"null": "null", "boolean": "boolean", "number": "number"}.get(node.kind)
        if exact and any(exact in d for _, d in members):
            return
        strings = [d["string"] or {} for _, d in members if "string" in d]
        if any("any" in d for _, d in members):
            return
        if not strings:
            self.error(node, f"Unexpected value '{node.text()}'")
            return
        text = node.text()
        for spec in strings:
            if spec.get("non-empty") and not text:
                continue
            if "constant" in spec and text != spec["constant"]:
                continue
            if "allowed" in spec and text not in spec["allowed"]:
                continue
            return
        self.error(node, f"Unexpected value '{text}'")

    def _duplicates(self, node: YNode) -> None:
        seen: set[str] = set()
        for key, _ in node.pairs:
            if key.kind in ("mapping", "sequence"):
                continue
            folded = key.text().lower()
            if folded in seen:
                self.error(key, f"'{key.text()}' is already defined")
            seen.add(folded)

    def _mapping(self, node: YNode, candidates: list[MappingSpec], allowed: Allowed | None) -> None:
        """Check a mapping against one or several mapping definitions (a one-of)."""
        self._duplicates(node)
        unexpected, candidates = self._keys(node, candidates, allowed)
        if len(candidates) > 1:
            chosen = self._choose(node, candidates)
            if chosen is None:
                return
            candidates = [chosen]
        spec = candidates[0]
        properties: dict[str, Property] = spec.get("properties") or {}
        present = set()
        for index, (key, value) in enumerate(node.pairs):
            if index in unexpected:
                if "${{" in key.text() and allowed is not None:
                    self.check(value, "any", allowed)
                continue
            name = key.text()
            present.add(name)
            prop = properties.get(name)
            if prop is None:
                if not key.text():
                    self.error(key, "Unexpected value ''")
                    continue
                self.check(key, spec["loose-key"], None)
                self.check(value, spec["loose-value"], allowed)
                continue
            self._property_value(value, prop, allowed)
        for name, prop in properties.items():
            if isinstance(prop, dict) and prop.get("required") and name not in present:
                self.error(node, f"Required property is missing: {name}")

    def _keys(
        self, node: YNode, candidates: list[MappingSpec], allowed: Allowed | None
    ) -> tuple[set[int], list[MappingSpec]]:
        """The indexes of keys no definition has (reported), and the definitions that fit the others."""
        unexpected: set[int] = set()
        for index, (key, _) in enumerate(node.pairs):
            if key.kind in ("mapping", "sequence"):
                self._unexpected(key, "string")
                unexpected.add(index)
                continue
            name = key.text()
            if "${{" in name:
                unexpected.add(index)
                if allowed is None:
                    self.error(key, "A template expression is not allowed in this context")
                elif not _is_insert(name):
                    # a computed key, legal where expressions are (GitHub's TemplateReader)
                    self._expression_value(key, allowed)
                continue
            fitting = [c for c in candidates if name in (c.get("properties") or {}) or "loose-key" in c]
            if not fitting:
                self.error(key, f"Unexpected value '{name}'")
                unexpected.add(index)
            else:
                candidates = fitting
        return unexpected, candidates

    def _choose(self, node: YNode, candidates: list[MappingSpec]) -> MappingSpec | None:
        """The one definition whose required properties are all present; else an error and None."""
        keys = {k.text() for k, _ in node.pairs}
        complete = [
            c
            for c in candidates
            if all(
                p in keys
                for p, spec in (c.get("properties") or {}).items()
                if isinstance(spec, dict) and spec.get("required")
            )
        ]
        if len(complete) == 1:
            return complete[0]
        counts: dict[str, int] = {}
        for c in candidates:
            for p in c.get("properties") or {}:
                counts[p] = counts.get(p, 0) + 1
        distinct = sorted(p for p, n in counts.items() if n < len(candidates))
        self.error(
            node,
            "There's not enough info to determine what you meant. "
            f"Add one of these properties: {', '.join(distinct)}",
        )
        return None

    def _property_value(self, value: YNode, prop: Property, allowed: Allowed | None) -> None:
        """Check a known property's value (an ``expression`` property is one without ``${{ }}``)."""
        prop_type, prop_allowed = self._property(prop, allowed)
        if isinstance(prop, dict) and prop.get("expression") and value.kind == "string":
            if "${{" not in value.value and prop_allowed is not None and value.value.strip():
                problem = check_expression(value.value, prop_allowed)
                if problem:
                    self.error(value, problem)
                return
        self.check(value, prop_type, prop_allowed)

    def _property(self, prop: Property, allowed: Allowed | None) -> tuple[str, Allowed | None]:
        if isinstance(prop, str):
            return prop, allowed
        context = prop.get("context")
        return prop["type"], self.schema.contexts[context] if context else allowed


def _is_insert(text: str) -> bool:
    """Whether a mapping key is the ``${{ insert }}`` directive (any spacing inside the braces)."""
    try:
        spans = find_expressions(text.strip())
    except ExpressionError:
        return False
    return (
        len(spans) == 1
        and spans[0].start == 0
        and spans[0].end == len(text.strip())
        and spans[0].expression.strip() == "insert"
    )
