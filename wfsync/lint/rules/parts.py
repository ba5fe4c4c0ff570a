"""The parts of a workflow spec that several rules read: spec, templates, names, inputs.

Lint reads documents before their types are trusted (the schema rules report wrong types), so
these readers take plain mappings of unchecked values and skip whatever has the wrong shape.
"""

from __future__ import annotations

from collections.abc import Mapping

from wfsync.model.findings import JsonPath

Fields = Mapping[str, object]
"""A YAML mapping whose values lint has not checked yet."""

TEMPLATE_TYPES = (
    "container",
    "containerSet",
    "script",
    "resource",
    "suspend",
    "steps",
    "dag",
    "http",
    "data",
    "plugin",
)
NON_LEAF = frozenset({"steps", "dag"})
LOOP_KEYS = ("withItems", "withParam", "withSequence")
TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")


def workflow_spec(body: Fields, kind: str) -> tuple[Fields | None, JsonPath]:
    """The workflow spec of a document and its path (CronWorkflows nest it)."""
    spec = body.get("spec")
    if not isinstance(spec, dict):
        return None, ("spec",)
    if kind == "CronWorkflow":
        inner = spec.get("workflowSpec")
        return (
            (inner, ("spec", "workflowSpec")) if isinstance(inner, dict) else (None, ("spec", "workflowSpec"))
        )
    return spec, ("spec",)


def names(items: object, key: str = "name") -> list[str]:
    """The string ``key`` of each mapping in a list (others skipped)."""
    if not isinstance(items, list):
        return []
    return [i[key] for i in items if isinstance(i, dict) and isinstance(i.get(key), str)]


def params(template: Fields, section: str, kind: str) -> list[Fields]:
    """The mappings of ``template[section][kind]`` (``inputs.parameters`` ...)."""
    block = template.get(section)
    items = block.get(kind) if isinstance(block, dict) else None
    return [p for p in items if isinstance(p, dict)] if isinstance(items, list) else []


def template_type(template: Fields) -> str | None:
    """The body type of a template (``container``, ``steps`` ...), or None if not exactly one."""
    found = [t for t in TEMPLATE_TYPES if template.get(t) is not None]
    return found[0] if len(found) == 1 else None


def required_inputs(template: Fields) -> list[str]:
    """Input parameters a caller must supply: no value, default or valueFrom of their own."""
    return [
        name
        for p in params(template, "inputs", "parameters")
        if isinstance(name := p.get("name"), str)
        and all(p.get(k) is None for k in ("value", "default", "valueFrom"))
    ]
